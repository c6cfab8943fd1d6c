"""Errors raised at asymroute's boundaries, each naming what is wrong and how to fix it."""

from __future__ import annotations


class AsymrouteError(Exception):
    """Base class for every error asymroute raises on purpose."""


class ConfigurationError(AsymrouteError, ValueError):
    """A setting, context field or model string is invalid; nothing was called."""


class InvalidRequestError(AsymrouteError, ValueError):
    """The request itself is unusable (empty, wrong type, too long); no model was called."""


class UnsupportedByTierError(InvalidRequestError):
    """No usable tier can honour a request's parameter or content part (`param` names it:
    `n`, `logit_bias`, `messages[0].content[1]`); no model was called."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


class FrontierUnavailableError(AsymrouteError):
    """Strict mode: the request needs the frontier tier, but none is configured."""


class NoAnswerError(AsymrouteError):
    """Every tier that could answer failed; the message lists each failure."""


class BudgetExceededError(AsymrouteError):
    """Budget policy `refuse`: the next frontier call would exceed the thread or run budget."""
