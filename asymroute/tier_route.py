"""One tier call across the tier's deployments: which to try, in what order, and one record.

`model_calls.call_tier` asks a `TierRoute` for the next deployment, calls it (its retries and
its own breaker, as for any endpoint), and reports the outcome; the route falls back to the
tier's next deployment on a failure or a cooldown, skips one at its concurrency limit, and
folds every call into one `ModelCall` whose usage record says which deployment answered and
why (`deployment`, `fallback_from`, `skipped`). The order itself is `deployments.call_order`.
A tier of one zero-config deployment never gets here (`model_calls` calls it directly).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from langchain_core.messages import BaseMessage

from asymroute.budget import estimate_input_tokens
from asymroute.context import RouterContext
from asymroute.deployments import (
    NO_NEEDS,
    Deployment,
    RequestNeeds,
    SkipReason,
    all_of,
    call_order,
    primary,
)
from asymroute.effects import ModelCall
from asymroute.json_mode import wants_json
from asymroute.planning import RouterSetup, RunPlan
from asymroute.providers import ModelSpec, endpoint_of
from asymroute.providers.sampling import content_kinds
from asymroute.records import Tier, UsageRecord
from asymroute.resilience.failures import classify_failure, overflows_context_window
from asymroute.tracing import annotate_current_run

REQUEST_FAULT_STATUSES = frozenset({400, 413, 422})
"""A request another deployment would refuse alike (unless it is a context-window overflow:
deployments' windows differ)."""


def deployment_endpoint(setup: RouterSetup, plan: RunPlan, deployment: Deployment) -> str:
    """The breaker key: provider, the deployment's own base URL (else the provider's), model."""
    spec = setup.models(plan).spec_of(deployment)
    return endpoint_of(spec, setup.settings, deployment.base_url)


def request_needs(context: RouterContext, messages: Sequence[BaseMessage]) -> RequestNeeds:
    """What the request asks of a deployment: room for its prompt (the budget's estimate, tools
    and images counted) and its most output tokens, image reading, JSON mode."""
    return RequestNeeds(
        tokens=estimate_input_tokens(messages, context.tools) + context.max_output_tokens,
        images="image" in content_kinds(messages).values(),
        json_mode=wants_json(context.response_format),
    )


def served_specs(setup: RouterSetup, plan: RunPlan, tier: Tier) -> list[ModelSpec]:
    """Each deployment's model of the tier, as its server names it once known."""
    models = setup.models(plan)
    return [models.spec_of(deployment) for deployment in all_of(plan.deployments(tier))]


def tier_cooling_down(setup: RouterSetup, plan: RunPlan, tier: Tier) -> bool:
    """Every deployment of the tier is cooling down (one that is not can answer)."""
    breakers = setup.resilience.breakers
    return all(
        breakers.is_cooling_down(deployment_endpoint(setup, plan, deployment))
        for deployment in all_of(plan.deployments(tier))
    )


def falls_back(call: ModelCall, error: BaseException | None, privacy_hold: bool) -> bool:
    """Whether the tier's next deployment should be tried after this failed call."""
    if privacy_hold:
        return False  # the same for every deployment of the tier
    if error is None:
        return True  # nothing was sent: a cooldown
    status = classify_failure(error).status
    return status not in REQUEST_FAULT_STATUSES or overflows_context_window(str(call.error))


@dataclass
class TierRoute:
    plan: RunPlan
    tier: Tier
    setup: RouterSetup
    calls: list[tuple[Deployment, ModelCall]] = field(default_factory=list)
    skipped: dict[str, SkipReason] = field(default_factory=dict)
    needs: RequestNeeds = NO_NEEDS
    """What the request asks of a deployment (`request_needs`); one that cannot is skipped."""

    def deployments(self) -> Iterator[Deployment]:
        """The deployments to call, in order, each counted in flight until `release`d; the
        caller stops early (after an answer) by leaving the loop."""
        in_flight = self.setup.in_flight
        order = call_order(
            self.plan.deployments(self.tier),
            in_flight.snapshot(),
            self._cooling_down,
            self.setup.resilience.rng,
            self.needs,
        )
        # Every skip is recorded up front: the caller leaves the loop at the first answer.
        self.skipped.update({c.deployment.id: c.skipped for c in order if c.skipped is not None})
        for candidate in order:
            if candidate.skipped is not None:
                continue
            if not in_flight.try_acquire(candidate.deployment):
                self.skipped[candidate.deployment.id] = "at_concurrency_limit"  # filled since
            else:
                yield candidate.deployment

    def release(self, deployment: Deployment) -> None:
        self.setup.in_flight.release(deployment)

    def attempted(
        self, deployment: Deployment, call: ModelCall, error: BaseException | None, held: bool
    ) -> bool:
        """Record a deployment's call; True when the route is settled (answered, or no other
        deployment may help)."""
        if call.message is None and call.usage.get("attempts", 1) == 0 and not held:
            self.skipped[deployment.id] = "cooling_down"  # another caller holds the probe
            return False
        self.calls.append((deployment, call))
        return call.message is not None or not falls_back(call, error, held)

    def _cooling_down(self, deployment: Deployment) -> bool:
        endpoint = deployment_endpoint(self.setup, self.plan, deployment)
        return self.setup.resilience.breakers.is_cooling_down(endpoint)

    def result(self) -> ModelCall:
        """Every call folded into one: the last call's answer, all their tokens and cost."""
        if not self.calls:
            return self._none_called()
        (last_deployment, last), earlier = self.calls[-1], [call for _, call in self.calls[:-1]]
        usage = merged_usage(last.usage, [call.usage for call in earlier])
        if last_deployment.listed:
            usage["deployment"] = last_deployment.id
        if earlier:
            usage["fallback_from"] = [deployment.id for deployment, _ in self.calls[:-1]]
        if self.skipped:
            usage["skipped"] = dict(self.skipped)
        annotate_current_run(
            deployment=usage.get("deployment"),
            fallback_from=usage.get("fallback_from"),
            skipped_deployments=usage.get("skipped"),
        )
        return ModelCall(message=last.message, usage=usage)

    def _none_called(self) -> ModelCall:
        first = primary(self.plan.deployments(self.tier))
        reasons = ", ".join(f"{name} ({why})" for name, why in self.skipped.items())
        usage = UsageRecord(
            model=self.setup.models(self.plan).spec_of(first).id,
            tier=self.tier,
            input_tokens=0,
            output_tokens=0,
            latency_s=0.0,
            cost_usd=0.0,
            priced=True,
            # Named like an exception, as recorded errors are (clients see this name only).
            error=f"NoDeploymentAvailable: every deployment of the {self.tier} tier was "
            f"skipped: {reasons}",
            attempts=0,
            attempt_errors=[],
            skipped=dict(self.skipped),
        )
        annotate_current_run(skipped_deployments=usage.get("skipped"))
        return ModelCall(message=None, usage=usage)


def merged_usage(last: UsageRecord, earlier: Sequence[UsageRecord]) -> UsageRecord:
    """One record for a tier call that went through several deployments: the last one's model
    and outcome; every call's tokens, cost, time and attempts (what the upstreams counted)."""
    if not earlier:
        return UsageRecord(**last)  # type: ignore[typeddict-item]
    every = [*earlier, last]
    usage = UsageRecord(
        **{  # type: ignore[typeddict-item]
            **last,
            "input_tokens": sum(r["input_tokens"] for r in every),
            "output_tokens": sum(r["output_tokens"] for r in every),
            "latency_s": round(sum(r["latency_s"] for r in every), 4),
            "cost_usd": round(sum(r["cost_usd"] for r in every), 10),
            # A failed call that billed nothing does not make the answer's price unknown.
            "priced": last["priced"]
            and all(r["priced"] for r in earlier if r["input_tokens"] or r["output_tokens"]),
            "attempts": sum(int(r.get("attempts", 1)) for r in every),
            "attempt_errors": [e for r in every for e in r.get("attempt_errors", [])],
        }
    )
    if any(r.get("tokens_estimated") for r in every):
        usage["tokens_estimated"] = True
    return usage


__all__ = [
    "TierRoute",
    "deployment_endpoint",
    "merged_usage",
    "request_needs",
    "served_specs",
    "tier_cooling_down",
]
