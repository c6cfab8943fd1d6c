"""Bearer keys and per-key USD budgets.

Spend is kept in memory, per gateway process: it restarts at zero when the process restarts,
and each worker of a multi-worker deployment counts its own. A budget is checked before a
request starts, so requests already running when it runs out may overshoot it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from asymroute.gateway.errors import GatewayError
from asymroute.gateway.keys import hash_key
from asymroute.settings import Settings

ANONYMOUS = "anonymous"


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class KeyRing:
    """Who is calling, from the Authorization header; keys are compared by hash only."""

    names_by_hash: dict[str, str]
    budgets_usd: dict[str, float]
    allow_unauthenticated_remote: bool = False
    spent_usd: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyRing:
        unknown = sorted(set(settings.gateway_key_budgets_usd) - set(settings.gateway_keys))
        if unknown:
            from asymroute.errors import ConfigurationError

            raise ConfigurationError(
                f"ASYMROUTE_GATEWAY_KEY_BUDGETS names keys not in ASYMROUTE_GATEWAY_KEYS: "
                f"{', '.join(unknown)}"
            )
        return cls(
            names_by_hash={digest: name for name, digest in settings.gateway_keys.items()},
            budgets_usd=dict(settings.gateway_key_budgets_usd),
            allow_unauthenticated_remote=settings.gateway_allow_unauthenticated_remote,
        )

    @property
    def enabled(self) -> bool:
        return bool(self.names_by_hash)

    def authenticate(self, authorization: str | None, client_host: str | None) -> str:
        """The key's name; raises 401 for a missing or wrong key."""
        if not self.enabled:
            if self.allow_unauthenticated_remote or is_loopback(client_host):
                return ANONYMOUS
            raise GatewayError(
                403,
                "this gateway has no API keys configured, so it only serves loopback clients; "
                "set ASYMROUTE_GATEWAY_KEYS (or ASYMROUTE_GATEWAY_ALLOW_UNAUTHENTICATED_REMOTE)",
                type="permission_error",
                code="unauthenticated_remote",
            )
        scheme, _, key = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise _unauthorized("missing API key: send 'Authorization: Bearer <key>'")
        name = self.names_by_hash.get(hash_key(key.strip()))
        if name is None:
            raise _unauthorized("incorrect API key provided")
        return name

    def check_budget(self, name: str) -> None:
        budget = self.budgets_usd.get(name)
        if budget is not None and self.spent_usd.get(name, 0.0) >= budget:
            raise GatewayError(
                429,
                f"the budget of key '{name}' (${budget:.4f}) is exhausted; "
                "raise it in ASYMROUTE_GATEWAY_KEY_BUDGETS or use another key",
                type="insufficient_quota",
                code="budget_exceeded",
            )

    def record_spend(self, name: str, cost_usd: float) -> None:
        if cost_usd:
            self.spent_usd[name] = self.spent_usd.get(name, 0.0) + cost_usd


def _unauthorized(message: str) -> GatewayError:
    return GatewayError(
        401,
        message,
        type="invalid_request_error",
        code="invalid_api_key",
        headers={"www-authenticate": "Bearer"},
    )
