"""Virtual model names: each selects a routing profile of the `router` graph."""

from __future__ import annotations

from dataclasses import replace

from asymroute.context import RouterContext
from asymroute.errors import ConfigurationError
from asymroute.gateway.errors import GatewayError

DEFAULT_PROFILE = "asymroute"
THRESHOLD_PREFIX = "router-"
# Higher threshold: fewer requests reach the frontier. Lower: more do.
NAMED_THRESHOLDS = {"asymroute-cheap": 0.75, "asymroute-quality": 0.25}


def profile_names() -> list[str]:
    """What `/v1/models` lists; `router-<threshold>` works for any threshold in [0, 1]."""
    return [DEFAULT_PROFILE, *NAMED_THRESHOLDS]


def profile_context(model: str, defaults: RouterContext) -> RouterContext:
    """The routing context a virtual model name selects; unknown names are a 404."""
    if model == DEFAULT_PROFILE:
        return defaults
    if model in NAMED_THRESHOLDS:
        return replace(defaults, threshold=NAMED_THRESHOLDS[model])
    if model.startswith(THRESHOLD_PREFIX):
        text = model.removeprefix(THRESHOLD_PREFIX)
        try:
            return replace(defaults, threshold=float(text))
        except (ValueError, ConfigurationError) as exc:
            raise GatewayError(
                404,
                f"the model '{model}' does not exist: router-<threshold> needs a number "
                "from 0 to 1, e.g. router-0.4",
                param="model",
                code="model_not_found",
            ) from exc
    raise GatewayError(
        404,
        f"the model '{model}' does not exist; use one of {', '.join(profile_names())} "
        "or router-<threshold> (GET /v1/models lists them)",
        param="model",
        code="model_not_found",
    )
