"""Health endpoints for load balancers and orchestrators: no key needed, no model called.

- `GET /health/liveness`: the process serves HTTP (restart it when this fails).
- `GET /health/readiness`: it can take requests: when any key has a budget, the spend store
  answers a read (without it, budgeted requests get 503; see `auth.KeyRing.reserve`); when
  any key has a rate limit, its store (Redis) answers a ping (`rate_limits`).
  Models are not called: a probe every few seconds must not cost frontier tokens, and an
  upstream outage is handled per request (retries, cooldowns, fallback to the other tier).

Neither says more than the store's kind, so they can stay unauthenticated.
"""

from __future__ import annotations

import json
import logging

from starlette.requests import Request
from starlette.responses import Response

from asymroute.gateway.auth import KeyRing
from asymroute.gateway.rate_limits import KeyRateLimits
from asymroute.gateway.spend.base import SpendStoreError

logger = logging.getLogger(__name__)
PROBE_KEY = "__asymroute_readiness_probe__"
"""Read, never written: a key name no configured key can have (names come from settings)."""


def _json(status: int, body: dict[str, str]) -> Response:
    return Response(json.dumps(body), status_code=status, media_type="application/json")


async def liveness(request: Request) -> Response:
    return _json(200, {"status": "alive"})


class Readiness:
    def __init__(self, keys: KeyRing, rate_limits: KeyRateLimits | None = None) -> None:
        self.keys = keys
        self.rate_limits = rate_limits

    async def respond(self, request: Request) -> Response:
        if self.rate_limits is not None and not await self.rate_limits.reachable():
            logger.error("readiness: the rate-limit store (ASYMROUTE_REDIS_URL) does not answer")
            return _json(
                503, {"status": "not ready", "reason": "the rate-limit store cannot be reached"}
            )
        if not self.keys.budgets_usd:
            return _json(200, {"status": "ready", "spend_store": "not needed (no budgets)"})
        try:
            await self.keys.spend.aspent(PROBE_KEY)
        except SpendStoreError as exc:
            logger.error("readiness: the spend store cannot be read: %s", exc)
            return _json(503, {"status": "not ready", "reason": "the spend store cannot be read"})
        return _json(200, {"status": "ready", "spend_store": self.keys.spend.name})
