"""Validators against real local inference: log-probs (llama.cpp server and embedded),
self-verification and self-consistency calls. SmolLM2 is tiny: assert calls, parsing and
accounting, not wisdom."""

from __future__ import annotations

from asymroute.context import RouterContext
from asymroute.graphs.router import build_router
from asymroute.requests import content_text
from asymroute.settings import Settings
from asymroute.validators.consistency import final_answer_key
from tests.integration.conftest import FRONTIER_ALIAS, OLLAMA_MODEL

SIMPLE = "What is 2+3?"


def ask(settings: Settings, **context: object) -> dict:
    defaults = RouterContext(
        **{
            "frontier_model": f"openai:{FRONTIER_ALIAS}",
            "classifier": "keywords",
            "max_output_tokens": 24,
            **context,
        }
    )
    return build_router(settings, defaults=defaults).invoke({"messages": [("user", SIMPLE)]})


def measured_confidence(result: dict) -> float:
    judgement = result["verdict"]["judgements"]["confidence"]
    assert judgement["reasons"][0].startswith("mean token log-prob "), judgement
    confidence = judgement["confidence"]
    assert isinstance(confidence, float) and 0.0 < confidence <= 1.0
    return confidence


def test_confidence_reads_logprobs_from_the_llama_cpp_server(settings: Settings) -> None:
    server_local = f"openai:{FRONTIER_ALIAS}"
    strict = ask(
        settings,
        local_model=server_local,
        validators=("structural", "confidence"),
        confidence_min_mean_logprob=-1e-9,
    )
    lenient = ask(
        settings,
        local_model=server_local,
        validators=("structural", "confidence"),
        confidence_min_mean_logprob=-50.0,
    )
    assert measured_confidence(strict) < 1.0
    assert strict["escalated"] and strict["verdict"]["failed"] == ["confidence"]
    assert "mean below -1e-09" in strict["escalation_reason"]
    assert lenient["answered_by"] == "local" and not lenient["escalated"]
    assert measured_confidence(lenient) > 0.0


def test_confidence_reads_logprobs_from_embedded_llama_cpp(settings: Settings) -> None:
    result = ask(
        settings,
        local_model="llamacpp:smollm2",
        validators=("structural", "confidence"),
        confidence_min_mean_logprob=-50.0,
    )
    assert measured_confidence(result) > 0.0
    assert result["answered_by"] == "local"


def test_confidence_says_when_the_provider_returns_no_logprobs(settings: Settings) -> None:
    # The Ollama test server implements the protocol without log-probs.
    result = ask(
        settings,
        local_model=f"ollama:{OLLAMA_MODEL}",
        validators=("structural", "confidence"),
        unmeasured_policy="escalate",
    )
    judgement = result["verdict"]["judgements"]["confidence"]
    assert judgement["confidence"] is None
    assert judgement["reasons"] == [
        "not measured, escalates (unmeasured_policy=escalate): "
        "the local provider returned no token log-probs"
    ]
    assert result["escalated"] and result["answered_by"] == "frontier"


def test_self_verify_calls_the_real_local_model_and_parses_its_verdicts(
    settings: Settings,
) -> None:
    result = ask(
        settings,
        local_model=f"ollama:{OLLAMA_MODEL}",
        validators=("structural", "self_verify"),
        self_verify_samples=2,
    )
    local_calls = [u for u in result["usage"] if u["tier"] == "local"]
    assert len(local_calls) == 3  # the answer and two verifications
    assert all(u["error"] is None and u["output_tokens"] > 0 for u in local_calls)
    # The verification prompts are longer than the question: few-shot examples plus the answer.
    assert all(u["input_tokens"] > local_calls[0]["input_tokens"] for u in local_calls[1:])
    judgement = result["verdict"]["judgements"]["self_verify"]
    reason = judgement["reasons"][0]
    if judgement["confidence"] is None:
        assert reason.startswith("not measured, abstains: none of 2 verifications gave a verdict")
    else:
        assert "verdicts say correct" in reason
    assert result["escalated"] == (not result["verdict"]["passed"])


def test_consistency_resolves_with_the_real_local_model_and_compares_final_answers(
    settings: Settings,
) -> None:
    result = ask(
        settings,
        local_model=f"ollama:{OLLAMA_MODEL}",
        validators=("structural", "consistency"),
        consistency_samples=2,
        max_output_tokens=64,
    )
    local_calls = [u for u in result["usage"] if u["tier"] == "local"]
    assert final_answer_key(content_text(result["local_answer"])) is not None
    assert len(local_calls) == 3  # the answer and two re-solutions
    assert all(u["error"] is None and u["output_tokens"] > 0 for u in local_calls)
    # Each re-solution carries a solving instruction on top of the question.
    assert all(u["input_tokens"] > local_calls[0]["input_tokens"] for u in local_calls[1:])
    judgement = result["verdict"]["judgements"]["consistency"]
    # At temperature 0 SmolLM2 states a final answer in its re-solutions; whether they agree
    # with "2 + 3 = 5" is its wisdom, not ours to assert.
    assert judgement["confidence"] in (0.0, 0.5, 1.0)
    assert "resamples reach the same final answer (5; " in judgement["reasons"][0]
    assert judgement["passed"] == (judgement["confidence"] >= 0.5)
    assert result["escalated"] == (not result["verdict"]["passed"])
