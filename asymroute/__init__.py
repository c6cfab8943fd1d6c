"""asymroute: route each request to the smallest competent model."""

from asymroute.context import RouterContext
from asymroute.errors import (
    AsymrouteError,
    BudgetExceededError,
    ConfigurationError,
    FrontierUnavailableError,
    InvalidRequestError,
    NoAnswerError,
)
from asymroute.settings import Settings

__all__ = [
    "AsymrouteError",
    "BudgetExceededError",
    "ConfigurationError",
    "FrontierUnavailableError",
    "InvalidRequestError",
    "NoAnswerError",
    "RouterContext",
    "Settings",
]
