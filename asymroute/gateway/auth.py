"""Bearer keys and per-key USD budgets.

Spend is counted in a `SpendStore` (asymroute.gateway.spend) that every worker and instance
shares (SQLite on one host, Postgres across hosts). A budget is a cap: each request reserves
its worst-case cost before it starts (spent + reserved + estimate <= budget, atomically in the
store) and is charged its real cost when it ends (asymroute.gateway.metering).
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass

from asymroute.gateway.errors import GatewayError
from asymroute.gateway.keys import hash_key
from asymroute.gateway.settings import GatewaySettings
from asymroute.gateway.spend import SpendStore, SpendStoreError, open_spend_store
from asymroute.gateway.spend.reservations import Reservation

logger = logging.getLogger(__name__)

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
    spend: SpendStore
    allow_unauthenticated_remote: bool = False

    @classmethod
    def from_settings(cls, settings: GatewaySettings, spend: SpendStore | None = None) -> KeyRing:
        """The key ring; `spend` defaults to the store the settings choose."""
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
            spend=spend if spend is not None else open_spend_store(settings),
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

    async def reserve(self, name: str, estimate_usd: float) -> Reservation | None:
        """Hold the request's worst-case cost against the key's budget (None: no budget).

        429 when spent + reserved + the estimate would pass the budget; 503 (fail closed)
        when the store cannot be reached, as then the budget cannot be enforced.
        """
        budget = self.budgets_usd.get(name)
        if budget is None:
            return None
        reservation = Reservation(name, estimate_usd)
        try:
            admission = await self.spend.areserve(reservation, budget)
        except SpendStoreError as exc:
            logger.error("cannot check the budget of key %r: %s", name, exc)
            raise GatewayError(
                503,
                "the gateway cannot read its spend store to check this key's budget; "
                "retry later (the operator should check the gateway log)",
                type="server_error",
                code="spend_store_unavailable",
            ) from exc
        if admission.admitted:
            return reservation
        if admission.spent_usd >= budget:
            message = (
                f"the budget of key '{name}' (${budget:.4f}) is exhausted; "
                "raise it in ASYMROUTE_GATEWAY_KEY_BUDGETS or use another key"
            )
        else:
            message = (
                f"the budget of key '{name}' (${budget:.4f}) cannot cover this request: "
                f"${admission.spent_usd:.6f} is spent and ${admission.reserved_usd:.6f} held by "
                f"requests in flight, and this one may cost up to ${estimate_usd:.6f}; retry "
                "when those finish, lower max_tokens, or raise ASYMROUTE_GATEWAY_KEY_BUDGETS"
            )
        raise GatewayError(429, message, type="insufficient_quota", code="budget_exceeded")

    async def settle(self, reservation: Reservation | None, cost_usd: float) -> None:
        """Release a reservation and charge the request's real cost.

        A store failure is logged and the answer still goes out; the reservation then stays
        in the store and is charged at its estimate by the recovery rule.
        """
        if reservation is None:
            return
        try:
            await self.spend.asettle(reservation, cost_usd)
        except SpendStoreError:
            logger.exception(
                "spend of $%.8f by key %r was not recorded", cost_usd, reservation.key_name
            )

    def recover(self) -> None:
        """Charge reservations left by a gateway that died (at start; see reservations.py)."""
        if not self.budgets_usd:
            return
        try:
            recovered = self.spend.recover()
        except SpendStoreError:
            logger.exception("cannot recover budget reservations left by a stopped gateway")
            return
        for reservation in recovered:
            logger.warning(
                "charged key %r $%.8f, the estimate of a request whose gateway (%s) stopped "
                "before settling it",
                reservation.key_name,
                reservation.estimate_usd,
                reservation.holder,
            )


def _unauthorized(message: str) -> GatewayError:
    return GatewayError(
        401,
        message,
        type="invalid_request_error",
        code="invalid_api_key",
        headers={"www-authenticate": "Bearer"},
    )
