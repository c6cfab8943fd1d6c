"""confidence: token log-probs in each provider's shape, thresholds, the no-logprob policy."""

from __future__ import annotations

import math

import pytest

from asymroute.context import RouterContext
from asymroute.errors import ConfigurationError
from asymroute.validators.base import CandidateAnswer, ValidationPolicy
from asymroute.validators.confidence import ConfidenceValidator, token_logprobs_of


def answer(logprobs: tuple[float, ...] | None, text: str = "5") -> CandidateAnswer:
    return CandidateAnswer("2+3?", text, "stop", token_logprobs=logprobs)


def test_reads_openai_and_llamacpp_shape() -> None:
    meta = {"logprobs": {"content": [{"token": "5", "logprob": -0.1, "top_logprobs": []}]}}
    assert token_logprobs_of(meta) == (-0.1,)


def test_reads_ollama_shape() -> None:
    assert token_logprobs_of({"logprobs": [{"token": "a", "logprob": -1.5}]}) == (-1.5,)


@pytest.mark.parametrize("meta", [{}, {"logprobs": None}, {"logprobs": {"content": []}}])
def test_missing_logprobs_are_none(meta: dict[str, object]) -> None:
    assert token_logprobs_of(meta) is None


def test_confident_answer_passes_with_geometric_mean_probability() -> None:
    judgement = ConfidenceValidator(ValidationPolicy()).check(answer((-0.1, -0.3)))
    assert judgement.passed
    assert judgement.confidence == pytest.approx(math.exp(-0.2))
    assert judgement.reasons == ("mean token log-prob -0.200, min -0.300 over 2 tokens",)


def test_low_mean_fails() -> None:
    judgement = ConfidenceValidator(ValidationPolicy(confidence_min_mean_logprob=-0.5)).check(
        answer((-0.2, -1.4))
    )
    assert not judgement.passed and "mean below -0.5" in judgement.reasons[0]


def test_token_floor_fails_a_single_guess() -> None:
    policy = ValidationPolicy(confidence_min_token_logprob=-3.0)
    judgement = ConfidenceValidator(policy).check(answer((-0.01,) * 9 + (-4.0,)))
    assert not judgement.passed
    assert judgement.reasons == (
        "mean token log-prob -0.409, min -4.000 over 10 tokens: a token below -3.0",
    )


def test_without_logprobs_it_abstains_and_says_so() -> None:
    judgement = ConfidenceValidator(ValidationPolicy()).check(answer(None))
    assert judgement.passed and judgement.confidence is None
    assert judgement.reasons == (
        "not measured, abstains: the local provider returned no token log-probs",
    )


def test_without_logprobs_it_escalates_under_the_escalate_policy() -> None:
    judgement = ConfidenceValidator(ValidationPolicy(unmeasured_policy="escalate")).check(
        answer(None)
    )
    assert not judgement.passed and judgement.confidence is None
    assert judgement.reasons[0].startswith("not measured, escalates (unmeasured_policy=escalate)")


def test_context_fields_are_checked_with_their_names() -> None:
    with pytest.raises(ConfigurationError, match="confidence_min_mean_logprob must be a log-prob"):
        RouterContext(confidence_min_mean_logprob=0.5)
    with pytest.raises(ConfigurationError, match="unmeasured_policy must be one of pass, escalate"):
        RouterContext(unmeasured_policy="ignore")
    with pytest.raises(ConfigurationError, match="self_verify_samples must be an integer"):
        RouterContext(self_verify_samples=0)
    with pytest.raises(ConfigurationError, match="validation_combine must be one of all, mean"):
        RouterContext(validation_combine="any")


def test_confidence_on_requests_logprobs_from_the_local_tier_only() -> None:
    from asymroute.planning import model_options, plan_run
    from asymroute.settings import Settings

    settings = Settings()
    plan = plan_run(RouterContext(validators=("structural", "confidence")), settings)
    assert model_options(plan, "local", settings).logprobs is True
    assert model_options(plan, "frontier", settings).logprobs is False
    assert model_options(plan_run(RouterContext(), settings), "local", settings).logprobs is False
