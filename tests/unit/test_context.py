"""Per-run context and the run plan checked from it before any model call."""

from __future__ import annotations

import dataclasses
from weakref import WeakKeyDictionary

import pytest

from asymroute import planning
from asymroute.context import RouterContext
from asymroute.errors import ConfigurationError
from asymroute.planning import RouterSetup, model_options, plan_run
from asymroute.providers import ModelOptions, ModelSpec
from asymroute.settings import Settings
from asymroute.validators.base import ValidationPolicy

# --- RouterContext -------------------------------------------------------------------------


def test_router_context_defaults() -> None:
    context = RouterContext()

    assert dataclasses.asdict(context) == {
        "local_model": "llamacpp:smollm2",
        "frontier_model": "openai:gpt-4o-mini",
        "classifier": "embedding",
        "threshold": 0.5,
        "validate": True,
        "validators": ("structural",),
        "max_output_tokens": 512,
        "truncation_escalates": True,
        "temperature": 0.0,
        "strict": False,
        "privacy": "route-local",
        "budget_per_thread_usd": None,
        "budget_per_run_usd": None,
        "budget_policy": "downgrade",
        "followup_policy": "inherit",
        "followup_max_words": 12,
        "validation_combine": "all",
        "min_confidence": 0.5,
        "confidence_min_mean_logprob": -1.0,
        "confidence_min_token_logprob": None,
        "self_verify_samples": 3,
        "self_verify_min_agreement": 0.5,
        "consistency_samples": 2,
        "consistency_min_agreement": 0.5,
        "scorer_threshold": 0.3,
        "scorer_model": None,
        "scorer_cost_aware": True,
        "format_retry": True,
        "unmeasured_policy": "pass",
        "stop": (),
        "response_format": None,
        "n": 1,
        "seed": None,
        "top_p": None,
        "presence_penalty": None,
        "frequency_penalty": None,
        "logprobs": False,
        "top_logprobs": None,
        "logit_bias": None,
        "reasoning_effort": None,
        "accepts_content": None,
        "tools": (),
        "tool_choice": None,
        "tool_grounding": True,
        "parallel_tool_calls": None,
    }


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"threshold": -0.01}, "threshold must be within [0, 1], got -0.01"),
        ({"threshold": 1.5}, "threshold must be within [0, 1], got 1.5"),
        ({"threshold": float("nan")}, "threshold must be within [0, 1], got nan"),
        ({"max_output_tokens": 0}, "max_output_tokens must be a positive integer, got 0"),
        ({"max_output_tokens": -5}, "max_output_tokens must be a positive integer, got -5"),
        ({"temperature": -0.1}, "temperature must be within [0, 2], got -0.1"),
        ({"temperature": 2.5}, "temperature must be within [0, 2], got 2.5"),
    ],
)
def test_router_context_rejects_out_of_range_values(fields: dict[str, float], message: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        RouterContext(**fields)  # type: ignore[arg-type]

    assert str(raised.value) == message


def test_router_context_rejects_a_non_numeric_threshold_as_configuration_error() -> None:
    # JSON clients (LangGraph Server's `context`) can send "0.7" as a string.
    with pytest.raises(ConfigurationError, match="threshold"):
        RouterContext(threshold="0.7")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "fields",
    [{"threshold": 0.0}, {"threshold": 1.0}, {"temperature": 2.0}, {"max_output_tokens": 1}],
)
def test_router_context_accepts_boundary_values(fields: dict[str, float]) -> None:
    context = RouterContext(**fields)  # type: ignore[arg-type]

    assert all(getattr(context, name) == value for name, value in fields.items())


def test_router_context_turns_a_validators_list_into_a_tuple() -> None:
    context = RouterContext(validators=["structural", "structural"])  # type: ignore[arg-type]

    assert context.validators == ("structural", "structural")
    assert hash(context) == hash(RouterContext(validators=("structural", "structural")))


def test_router_context_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        RouterContext().threshold = 0.9  # type: ignore[misc]


# --- plan_run ------------------------------------------------------------------------------


def test_plan_run_resolves_default_context() -> None:
    plan = plan_run(None, Settings())

    assert plan.context == RouterContext()
    assert plan.local == ModelSpec("llamacpp", "smollm2")
    assert plan.frontier == ModelSpec("openai", "gpt-4o-mini")
    assert plan.frontier_available is False
    assert plan.classifier.name == "embedding"
    assert [v.name for v in plan.validators] == ["structural"]
    assert plan.price_table.name == "default"
    setup = RouterSetup.build(Settings())
    assert setup.spec(plan, "local") == plan.local  # nothing learned from a server yet
    assert setup.spec(plan, "frontier") == plan.frontier


def test_plan_run_sees_a_configured_frontier() -> None:
    plan = plan_run(RouterContext(), Settings(OPENAI_BASE_URL="http://127.0.0.1:9/v1"))

    assert plan.frontier_available is True


@pytest.mark.parametrize(
    ("fields", "names"),
    [
        ({"local_model": "gpt-4"}, "local_model 'gpt-4'"),
        ({"local_model": "vllm:qwen"}, "local_model 'vllm:qwen' names unknown provider 'vllm'"),
        ({"frontier_model": "openai:"}, "frontier_model 'openai:'"),
        ({"classifier": "bayes"}, "unknown classifier 'bayes'"),
        ({"validators": ("judge",)}, "unknown validator(s) 'judge'"),
        ({"validators": ()}, "validators must be a non-empty list"),
    ],
)
def test_plan_run_names_the_bad_field(fields: dict[str, object], names: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        plan_run(RouterContext(**fields), Settings())  # type: ignore[arg-type]

    assert names in str(raised.value)


def test_plan_run_rejects_an_unknown_price_table() -> None:
    with pytest.raises(ConfigurationError, match="unknown price table 'nope'"):
        plan_run(RouterContext(), Settings(ASYMROUTE_PRICE_TABLE="nope"))


def test_plan_run_rejects_a_context_that_is_not_a_router_context() -> None:
    with pytest.raises(ConfigurationError, match=r"context must be a RouterContext.*got dict"):
        plan_run({"threshold": 0.2}, Settings())  # type: ignore[arg-type]


def test_model_options_set_per_tier_timeouts_and_turn_client_retries_off() -> None:
    settings = Settings(
        ASYMROUTE_LOCAL_TIMEOUT_S=30,
        ASYMROUTE_FRONTIER_TIMEOUT_S=20,
        ASYMROUTE_CONNECT_TIMEOUT_S=2,
        ASYMROUTE_FRONTIER_CONNECT_TIMEOUT_S=4,
        ASYMROUTE_FRONTIER_MAX_RETRIES=3,
    )
    plan = plan_run(RouterContext(max_output_tokens=64, temperature=0.7), settings)

    # Retries happen in call_tier (asymroute.resilience); client retries would multiply them.
    assert model_options(plan, "local", settings) == ModelOptions(64, 0.7, 30.0, 2.0, 0)
    assert model_options(plan, "frontier", settings) == ModelOptions(64, 0.7, 20.0, 4.0, 0)


# --- RouterSetup ---------------------------------------------------------------------------


def test_router_setup_build_rejects_bad_defaults_naming_the_field() -> None:
    with pytest.raises(ConfigurationError) as raised:
        RouterSetup.build(Settings(), RouterContext(frontier_model="claude"))

    message = str(raised.value)
    assert message.startswith("default routing context is invalid: frontier_model 'claude'")


def test_router_setup_plans_with_defaults_unless_given_a_context() -> None:
    setup = RouterSetup.build(Settings(), RouterContext(classifier="keywords"))

    assert setup.defaults == RouterContext(classifier="keywords")
    assert setup.plan(None).classifier.name == "keywords"
    assert setup.plan(RouterContext()).classifier.name == "embedding"


def test_router_setup_build_uses_router_context_defaults() -> None:
    assert RouterSetup.build(Settings()).defaults == RouterContext()


def test_the_validation_fields_are_declared_once_and_stay_context_keys() -> None:
    policy_fields = [f.name for f in dataclasses.fields(ValidationPolicy)]
    context_fields = [f.name for f in dataclasses.fields(RouterContext)]
    assert len(context_fields) == len(set(context_fields))
    assert set(policy_fields) <= set(context_fields)
    context = RouterContext(min_confidence=0.3, unmeasured_policy="escalate")
    policy = context.validation_policy()
    assert type(policy) is ValidationPolicy
    assert policy == ValidationPolicy(min_confidence=0.3, unmeasured_policy="escalate")


def test_a_plan_is_a_value_and_its_models_are_the_setups() -> None:
    setup = RouterSetup.build(Settings())
    plan = setup.plan(None)
    mutable = (dict, list, set, WeakKeyDictionary)
    assert not [
        f.name for f in dataclasses.fields(plan) if isinstance(getattr(plan, f.name), mutable)
    ]
    assert setup.models(plan) is setup.models(setup.plan(RouterContext()))  # one per context
    assert setup.models(setup.plan(RouterContext(threshold=0.9))) is not setup.models(plan)
    assert RouterSetup.build(Settings()).models(plan) is not setup.models(plan)


def test_the_setup_forgets_the_models_of_a_plan_it_no_longer_caches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(planning, "PLAN_CACHE_SIZE", 1)
    setup = RouterSetup.build(Settings())
    first = setup.plan(RouterContext(threshold=0.1))
    kept = setup.models(first)
    setup.plan(RouterContext(threshold=0.2))  # evicts the first plan, and its models
    assert setup.models(first) is not kept
