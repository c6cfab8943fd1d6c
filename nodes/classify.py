"""classify: check the request, score its complexity, pick a tier."""

from __future__ import annotations

from asymroute.conversation import followup_policy, score_conversation
from asymroute.deployments import primary, tier_unfit
from asymroute.errors import FrontierUnavailableError
from asymroute.guards import capability_route, guard_route, privacy_findings
from asymroute.node_steps import NodeSteps
from asymroute.nodes.dual import DualRunnable, dual_node
from asymroute.planning import RouterSetup, RunPlan
from asymroute.providers import alearn_capabilities, learn_capabilities
from asymroute.records import FRONTIER_UNAVAILABLE, PRIVACY_LOCAL, Tier
from asymroute.requests import request_prompt
from asymroute.routing import decide
from asymroute.state import RouterState
from asymroute.tier_models import deployment_calls_tools
from asymroute.tier_route import request_needs, tier_cooling_down
from asymroute.tool_calls import offers_tools, skip_local_for_tools
from asymroute.tracing import annotate_current_run


def cooling_tiers(plan: RunPlan, setup: RouterSetup) -> list[Tier]:
    """Tiers every deployment of which is cooling down."""
    return [tier for tier in ("local", "frontier") if tier_cooling_down(setup, plan, tier)]


def make_classify(setup: RouterSetup) -> DualRunnable:
    def classify(state: RouterState, plan: RunPlan) -> NodeSteps:
        yield from ()  # no model call: scoring is local (in a worker thread under ainvoke)
        request_prompt(state["messages"], setup.settings.max_prompt_chars)  # raises if unusable
        decision = decide(
            score_conversation(state["messages"], plan.classifier, followup_policy(plan.context)),
            plan.context.threshold,
            plan.classifier.name,
            plan.frontier_available,
        )
        decision, guard_flags = guard_route(
            decision,
            privacy_mode=plan.context.privacy,
            privacy=privacy_findings(plan.context.privacy, state["messages"]),
            cooling_down=cooling_tiers(plan, setup),
            frontier_available=plan.frontier_available,
        )
        # A tier none of whose deployments fits (context window, vision, JSON mode) is unable.
        needs = request_needs(plan.context, state["messages"])
        decision, capability_flags = capability_route(
            decision,
            plan.context,
            state["messages"],
            local=plan.local,
            frontier=plan.frontier,
            frontier_available=plan.frontier_available,
            held_local=PRIVACY_LOCAL in guard_flags,
            local_unfit=tier_unfit(plan.deployments("local"), needs),
            frontier_unfit=tier_unfit(plan.deployments("frontier"), needs),
        )
        decision, tool_flags = skip_local_for_tools(
            decision,
            offered=offers_tools(plan.context.tools, plan.context.tool_choice),
            local_calls_tools=deployment_calls_tools(
                primary(plan.deployments("local")), setup.spec(plan, "local"), setup.settings
            ),
            frontier_usable=plan.frontier_available and PRIVACY_LOCAL not in guard_flags,
        )
        if decision["frontier_unavailable"] and plan.context.strict:
            raise FrontierUnavailableError(
                f"this request needs the frontier tier ({plan.frontier.id}) but it is not "
                "configured; set OPENAI_API_KEY or OPENAI_BASE_URL, or turn strict off"
            )
        annotate_current_run(
            tier=decision["tier"],
            model=setup.spec(plan, decision["tier"]).id,
            score=decision["score"],
            reasons=decision["reasons"],
            classifier=decision["classifier"],
            frontier_unavailable=decision["frontier_unavailable"],
            escalated=False,
            cost_usd=0.0,
            privacy=decision.get("privacy"),
            cooling_down=decision.get("cooling_down"),
            diverted_to=decision.get("diverted_to"),
        )
        unavailable = {FRONTIER_UNAVAILABLE} if decision["frontier_unavailable"] else set()
        # A thread may carry an earlier request's record: start this one afresh.
        return {
            "decision": decision,
            "local_answer": None,
            "verdict": None,
            "escalated": False,
            "escalation_reason": None,
            "answered_by": None,
            "answer_model": None,
            "flags": sorted(
                set(guard_flags) | unavailable | set(capability_flags) | set(tool_flags)
            ),
            "usage": None,
            "total_cost_usd": 0.0,
            "earlier_cost_usd": round(
                state.get("earlier_cost_usd", 0.0) + state.get("total_cost_usd", 0.0), 10
            ),
        }

    def offers(plan: RunPlan) -> bool:
        return offers_tools(plan.context.tools, plan.context.tool_choice)

    # A request with tools: ask the local model's server once what the model can do
    # (Ollama's /api/show capabilities), so one without tools is skipped up front.
    # A model list entry that states `capabilities.tools` is taken at its word.
    def must_learn(plan: RunPlan) -> bool:
        stated = primary(plan.deployments("local")).capabilities.tools
        return offers(plan) and stated is None

    # The tier's first deployment's own server (its base_url), else the provider's.
    def prepare(plan: RunPlan) -> None:
        if must_learn(plan):
            local = primary(plan.deployments("local"))
            learn_capabilities(plan.local, setup.settings, local.base_url)

    async def aprepare(plan: RunPlan) -> None:
        if must_learn(plan):
            local = primary(plan.deployments("local"))
            await alearn_capabilities(plan.local, setup.settings, local.base_url)

    return dual_node("classify", setup, classify, prepare, aprepare, compute_bound=True)
