"""One call to one deployment of a tier, across its attempts, and its accounting.

Shared line for line by the blocking and async drivers of `asymroute.model_calls`: the privacy
hold, the breaker's admission, empty-completion checks, secrets kept out of recorded errors,
and the usage record (tokens, estimated when a paid endpoint reports none, cost at the
deployment's own price or the price table's).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage

from asymroute.budget import estimated_usage
from asymroute.deployments import Deployment, all_of
from asymroute.effects import ModelCall
from asymroute.json_mode import unfenced_reply
from asymroute.planning import RouterSetup, RunPlan, model_options
from asymroute.pricing.base import ModelPrice
from asymroute.privacy.policy import outgoing, restore_answer
from asymroute.privacy.scrub import known_secrets, scrub_secrets
from asymroute.providers import ModelSpec, endpoint_of
from asymroute.records import Tier, UsageRecord
from asymroute.requests import content_text
from asymroute.resilience import retry_policy
from asymroute.resilience.attempts import AttemptLog

logger = logging.getLogger("asymroute.model_calls")  # the name operators' log filters know


@lru_cache(maxsize=256)
def _warn_unpriced(model_id: str) -> None:
    """Once per model and process: the warning matters, a line per request would drown it."""
    logger.warning(
        "no price for %s; its cost is recorded as 0. Add it with ASYMROUTE_PRICES (or a "
        "deployment's price in the model list)",
        model_id,
    )


def describe_error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class EmptyCompletion(Exception):
    """The frontier replied with no text and no tool call; nothing validates its answers."""


class PrivacyHold(Exception):
    """The privacy policy keeps this request off the frontier: no request was sent."""


class TierCall:
    """One tier call's attempts and their accounting; identical for both drivers."""

    def __init__(
        self,
        plan: RunPlan,
        tier: Tier,
        deployment: Deployment,
        spec: ModelSpec,
        messages: Sequence[BaseMessage],
        setup: RouterSetup,
    ) -> None:
        settings = setup.settings
        self.plan, self.tier, self.spec, self.settings = plan, tier, spec, settings
        self.deployment = deployment
        self.resilience = setup.resilience
        options = model_options(plan, tier, settings)
        self.log = AttemptLog(
            policy=retry_policy(tier, settings),
            resilience=self.resilience,
            endpoint=endpoint_of(spec, settings, deployment.base_url),
            attempt_timeout_s=options.connect_timeout_s + options.timeout_s,
        )
        self.outgoing = outgoing(plan.context.privacy, tier, messages)
        self.last_error: BaseException | None = None
        self.rejected: list[AIMessage] = []

    def refusal(self) -> BaseException | None:
        """Why no (further) attempt may be sent: privacy hold or cooldown; None lets it go."""
        if self.outgoing.blocked:
            return PrivacyHold(
                f"the request holds {', '.join(self.outgoing.blocked)}; privacy=route-local "
                "keeps it off the frontier"
            )
        return self.log.admit()

    def check_reply(self, reply: Any) -> BaseException | None:
        """A frontier reply with no text and no tool call counts as a failed attempt.

        Its tokens were still billed: they are kept, and added to the call's usage.
        """
        if (
            self.tier == "frontier"
            and isinstance(reply, AIMessage)
            and not reply.tool_calls
            and not content_text(reply).strip()
        ):
            self.rejected.append(reply)
            return EmptyCompletion("the model returned no text")
        return None

    def failed(self, exc: BaseException) -> float | None:
        self.last_error = exc
        return self.log.failed(exc, self.describe(exc))

    def describe(self, exc: BaseException) -> str:
        secrets = known_secrets(self.settings)
        if self.deployment.api_key is not None:
            secrets = (*secrets, self.deployment.api_key.get_secret_value())
        return scrub_secrets(describe_error(exc), secrets)

    def answered(self, reply: Any) -> ModelCall:
        self.log.succeeded()
        message = reply if isinstance(reply, AIMessage) else AIMessage(content=str(reply.content))
        if self.outgoing.redaction is not None:
            message = restore_answer(message, self.outgoing.redaction)
        # JSON mode: the answer is the bare JSON, whichever tier fenced it.
        message = unfenced_reply(message, self.plan.context.response_format)
        return self._account(message, None)

    def unanswered(self, refusal: BaseException | None) -> ModelCall:
        """Every attempt failed, or none could be sent (`refusal` says why)."""
        if self.log.attempts == 0 or self.last_error is None:
            error = self.describe(refusal) if refusal is not None else "no attempt was made"
        else:
            error = self.log.errors[-1]
            if refusal is not None:
                error += f" (then {self.describe(refusal)})"
        where = (
            f"{self.spec.id} (deployment {self.deployment.id})" if self.deployment.listed else ""
        )
        logger.warning("%s call to %s failed: %s", self.tier, where or self.spec.id, error)
        return self._account(None, error)

    def _account(self, message: AIMessage | None, error: str | None) -> ModelCall:
        replies = [*self.rejected, *([message] if message is not None else [])]
        price = deployment_price(self.deployment, self.plan, self.spec)
        # A paid endpoint that reports no usage is estimated from the text, never free.
        paid = price is not None and not price.free
        estimate = paid and any(not reply.usage_metadata for reply in replies)
        usages: list[Mapping[str, Any]] = [
            reply.usage_metadata
            or (
                estimated_usage(self.outgoing.messages, reply, self.plan.context.tools)
                if estimate
                else {}
            )
            for reply in replies
        ]
        input_tokens = sum(int(usage.get("input_tokens", 0)) for usage in usages)
        output_tokens = sum(int(usage.get("output_tokens", 0)) for usage in usages)
        if price is None and error is None:
            _warn_unpriced(self.spec.id)
        record = UsageRecord(
            model=self.spec.id,
            tier=self.tier,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            latency_s=round(self.log.elapsed_s, 4),
            cost_usd=price.cost(input_tokens, output_tokens) if price else 0.0,
            priced=price is not None,
            error=error,
            attempts=self.log.attempts,
            attempt_errors=list(self.log.errors),
        )
        if estimate:
            record["tokens_estimated"] = True
        return ModelCall(message=message, usage=record)


def deployment_price(deployment: Deployment, plan: RunPlan, spec: ModelSpec) -> ModelPrice | None:
    """The deployment's own price (the model list), else the price table's; None: unknown."""
    if deployment.price == "unknown":
        return None
    if deployment.price is not None:
        return deployment.price
    return plan.price_table.price_for(spec.provider, spec.model)


def tier_prices(setup: RouterSetup, plan: RunPlan, tier: Tier) -> list[ModelPrice | None]:
    """The price of each deployment of the tier (as served); a budget reserves for the
    dearest, since a fallback may land on any of them."""
    models = setup.models(plan)
    return [
        deployment_price(deployment, plan, models.spec_of(deployment))
        for deployment in all_of(plan.deployments(tier))
    ]


def dearest(prices: Sequence[ModelPrice | None]) -> ModelPrice | None:
    """The price that costs most per token (None only when none is known)."""
    known = [price for price in prices if price is not None]
    return max(known, key=lambda p: p.input_per_million + p.output_per_million, default=None)
