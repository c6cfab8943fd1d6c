"""Sampling parameters in each provider's own terms, and routing around a tier that cannot."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from asymroute.errors import InvalidRequestError, UnsupportedByTierError
from asymroute.guards import (
    FRONTIER_SKIPPED,
    LOCAL_SKIPPED,
    route_by_capability,
    unmet_needs,
)
from asymroute.providers import ModelOptions, parse_model
from asymroute.providers.llamacpp import LlamaCppProvider
from asymroute.providers.llamacpp_chat import LogitBias, TokenLogprobRecorder
from asymroute.providers.ollama import OllamaProvider
from asymroute.providers.openai import OpenAIProvider, fold_choices
from asymroute.providers.sampling import SAMPLING_PARAMETERS, Sampling
from asymroute.records import RoutingDecision
from asymroute.settings import Settings
from tests.support.fake_provider import FakeProvider

FULL = Sampling(
    n=2,
    seed=7,
    top_p=0.5,
    presence_penalty=0.5,
    frequency_penalty=0.25,
    logprobs=True,
    top_logprobs=3,
    logit_bias={"42": -100},
)
IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}


def options(sampling: Sampling) -> ModelOptions:
    return ModelOptions(
        max_output_tokens=16, temperature=0.0, timeout_s=5, connect_timeout_s=1, sampling=sampling
    )


def settings() -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        openai_base_url="http://127.0.0.1:9/v1",
        ollama_base_url="http://127.0.0.1:9",
    )


def test_openai_request_carries_every_parameter() -> None:
    model: Any = OpenAIProvider().create("gpt-4o-mini", settings(), options(FULL))
    payload = model._get_request_payload([HumanMessage("hi")])
    assert {k: payload[k] for k in ("n", "seed", "top_p", "logprobs", "top_logprobs")} == {
        "n": 2, "seed": 7, "top_p": 0.5, "logprobs": True, "top_logprobs": 3,
    }  # fmt: skip
    assert (payload["presence_penalty"], payload["frequency_penalty"]) == (0.5, 0.25)
    assert payload["extra_body"]["logit_bias"] == {"42": -100}
    assert model.disable_streaming is True  # every choice, whole


def test_openai_request_carries_the_reasoning_effort() -> None:
    sampling = Sampling(reasoning_effort="high")
    model: Any = OpenAIProvider().create("o3-mini", settings(), options(sampling))
    assert model._get_request_payload([HumanMessage("hi")])["reasoning_effort"] == "high"


def test_openai_request_without_sampling_stays_as_before() -> None:
    model: Any = OpenAIProvider().create("gpt-4o-mini", settings(), options(Sampling()))
    payload = model._get_request_payload([HumanMessage("hi")])
    assert not {
        "n", "seed", "top_p", "logprobs", "top_logprobs", "presence_penalty", "reasoning_effort"
    } & set(payload)  # fmt: skip
    assert "logit_bias" not in (payload.get("extra_body") or {})
    assert model.disable_streaming is False


def test_ollama_options_carry_seed_top_p_and_both_penalties() -> None:
    model: Any = OllamaProvider().create("llama3.1:8b", settings(), options(FULL))
    params = model._chat_params([HumanMessage("hi")])
    assert {k: params["options"][k] for k in ("seed", "top_p")} == {"seed": 7, "top_p": 0.5}
    assert params["options"]["presence_penalty"] == 0.5
    assert params["options"]["frequency_penalty"] == 0.25
    assert (params["logprobs"], params["top_logprobs"]) == (True, 3)
    assert type(model).__name__ == "ChatOllama"


def test_embedded_llamacpp_model_takes_its_parameters() -> None:
    model: Any = LlamaCppProvider().create("smollm2", settings(), options(FULL))
    assert (model.seed, model.top_p, model.presence_penalty, model.frequency_penalty) == (
        7, 0.5, 0.5, 0.25,
    )  # fmt: skip
    assert (model.logprobs, model.top_logprobs, model.logit_bias) == (True, 3, {42: -100.0})
    default: Any = LlamaCppProvider().create("smollm2", settings(), options(Sampling()))
    assert (default.seed, default.top_p, default.logprobs, default.logit_bias) == (
        0,
        None,
        False,
        None,
    )


def test_several_choices_fold_into_the_first_message() -> None:
    def generation(text: str, reason: str) -> ChatGeneration:
        return ChatGeneration(message=AIMessage(text, response_metadata={"finish_reason": reason}))

    folded = fold_choices(
        ChatResult(generations=[generation("a", "stop"), generation("b", "length")])
    )
    assert len(folded.generations) == 1
    more = folded.generations[0].message.response_metadata["more_choices"]
    assert more == [{"content": "b", "finish_reason": "length", "logprobs": None}]


def test_logit_bias_processor_biases_and_checks_the_vocabulary() -> None:
    logits = np.zeros(8, dtype=np.float32)
    assert LogitBias({3: 5.0, 1: -100.0}, 8)(None, logits)[[1, 3]].tolist() == [-100.0, 5.0]
    with pytest.raises(InvalidRequestError, match="outside the local model's vocabulary"):
        LogitBias({9: 1.0}, 8)


def test_recorder_keeps_the_top_alternatives_in_openai_shape() -> None:
    class Llama:
        def detokenize(self, tokens: list[int]) -> bytes:
            return f"t{tokens[0]}".encode()

    recorder = TokenLogprobRecorder(top=2)
    recorder(np.array([0]), np.array([0.0, 2.0, 1.0, -1.0]))
    recorder(np.array([0, 2]), np.array([0.0, 0.0, 0.0, 0.0]))  # token 2 was sampled
    [entry] = recorder.as_metadata(Llama())["content"]
    assert entry["token"] == "t2" and entry["bytes"] == list(b"t2")
    assert [alt["token"] for alt in entry["top_logprobs"]] == ["t1", "t2"]
    assert entry["logprob"] == pytest.approx(entry["top_logprobs"][1]["logprob"])


@pytest.mark.parametrize(
    ("model", "tier", "sampling", "content", "unmet"),
    [
        ("llamacpp:smollm2", "local", FULL, {}, ["n"]),
        ("llamacpp:smollm2", "local", Sampling(seed=1), {"messages[0].content[1]": "image"},
         ["messages[0].content[1]"]),
        ("ollama:llama3.1:8b", "local", FULL, {}, ["n", "logit_bias"]),
        ("openai:gpt-4o-mini", "frontier", FULL, {"messages[0].content[1]": "image"}, []),
        ("openai:gpt-4o-mini", "local", Sampling(n=2), {}, ["n"]),
        ("openai:o3-mini", "frontier", Sampling(), {"messages[0].content[0]": "image"},
         ["messages[0].content[0]"]),
        ("llamacpp:smollm2", "local", Sampling(reasoning_effort="low"), {}, ["reasoning_effort"]),
        ("ollama:gpt-oss:20b", "local", Sampling(reasoning_effort="low"), {},
         ["reasoning_effort"]),
        ("openai:o3-mini", "frontier", Sampling(reasoning_effort="low"), {}, []),
    ],
)  # fmt: skip
def test_what_each_tier_cannot_honour(
    model: str, tier: Any, sampling: Sampling, content: dict[str, str], unmet: list[str]
) -> None:
    assert unmet_needs(parse_model(model), tier, sampling, content) == unmet


def test_accepts_content_overrides_what_is_known() -> None:
    content = {"messages[0].content[1]": "image"}
    stub = parse_model("openai:stub-frontier")
    assert unmet_needs(stub, "frontier", Sampling(), content) == ["messages[0].content[1]"]
    assert unmet_needs(stub, "frontier", Sampling(), content, {stub.id: ["image"]}) == []
    gpt = parse_model("openai:gpt-4o")
    assert unmet_needs(gpt, "frontier", Sampling(), content, {gpt.id: []}) == list(content)


def decision(tier: Any = "local") -> RoutingDecision:
    return RoutingDecision(
        tier=tier, score=0.1, threshold=0.5, reasons=["short"], classifier="heuristic",
        frontier_unavailable=False,
    )  # fmt: skip


def route(local_unmet: list[str], frontier_unmet: list[str], **extra: Any) -> Any:
    return route_by_capability(
        decision(extra.pop("tier", "local")),
        local=parse_model("llamacpp:smollm2"),
        frontier=parse_model("openai:gpt-4o-mini"),
        local_unmet=local_unmet,
        frontier_unmet=frontier_unmet,
        frontier_usable=extra.pop("frontier_usable", True),
        held_local=extra.pop("held_local", False),
        content=extra.pop("content", {}),
    )


def test_a_local_tier_that_cannot_honour_is_skipped_with_a_flag() -> None:
    routed, flags = route(
        ["messages[1].content[0]"], [], content={"messages[1].content[0]": "image"}
    )
    assert routed["tier"] == "frontier" and flags == [LOCAL_SKIPPED]
    assert "(llamacpp:smollm2) cannot honour messages[1].content[0] (image)" in routed["reasons"][0]


def test_a_frontier_that_cannot_honour_keeps_the_answer_local() -> None:
    routed, flags = route([], ["logit_bias"], tier="frontier")
    assert routed["tier"] == "local" and flags == [FRONTIER_SKIPPED]


def test_nothing_asked_changes_nothing() -> None:
    assert route([], []) == (decision(), [])


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ({"frontier_usable": False}, "no frontier is configured"),
        ({"held_local": True, "frontier_usable": False}, "privacy=route-local"),
    ],
)
def test_no_usable_tier_is_a_400_naming_parameter_and_tier(extra: Any, fragment: str) -> None:
    with pytest.raises(UnsupportedByTierError) as caught:
        route(["n"], [], **extra)
    assert caught.value.param == "n"
    assert "the local tier (llamacpp:smollm2) cannot honour n" in str(caught.value)
    assert fragment in str(caught.value)
    with pytest.raises(UnsupportedByTierError, match=r"frontier tier \(openai:gpt-4o-mini\)"):
        route(["logit_bias"], ["logit_bias"])


def run(router: Any, content: Any, **context: Any) -> Any:
    from asymroute.context import RouterContext

    defaults = {"local_model": "fake:good", "frontier_model": "fake:frontier"}
    return router.invoke(
        {"messages": [HumanMessage(content)]}, context=RouterContext(**defaults, **context)
    )


def test_router_sends_an_image_to_the_frontier_and_says_so(
    make_router: Callable[..., Any], fake_provider: FakeProvider
) -> None:
    content = [{"type": "text", "text": "What is 2+3?"}, IMAGE]
    result = run(make_router(), content, accepts_content={"fake:frontier": ["image"]})
    assert result["answered_by"] == "frontier" and LOCAL_SKIPPED in result["flags"]
    assert [label for label, _ in fake_provider.seen] == ["frontier"]
    assert fake_provider.seen[0][1][0].content == content  # the image reached it
    with pytest.raises(UnsupportedByTierError) as caught:
        run(make_router(), content)
    assert caught.value.param == "messages[0].content[1]"


def test_router_answers_n_choices_on_the_frontier(
    make_router: Callable[..., Any], fake_provider: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        fake_provider, "sampling_parameters", frozenset(SAMPLING_PARAMETERS), raising=False
    )
    result = run(make_router(), "What is 2+3?", n=2, seed=1)
    assert result["answered_by"] == "frontier" and LOCAL_SKIPPED in result["flags"]
    frontier_options = dict(fake_provider.created)["frontier"]
    assert (frontier_options.sampling.n, frontier_options.sampling.seed) == (2, 1)
    assert run(make_router(), "What is 2+3?", seed=1)["answered_by"] == "local"
    local_options = [o for m, o in fake_provider.created if m == "good"][-1]
    assert (local_options.sampling.n, local_options.sampling.seed) == (1, 1)


def test_a_reservation_covers_every_choice(fake_provider: FakeProvider) -> None:
    from asymroute.context import RouterContext
    from asymroute.gateway.metering import worst_case_cost
    from asymroute.planning import RouterSetup

    priced = Settings(
        _env_file=None,  # type: ignore[call-arg]
        price_overrides={"fake:frontier": {"input_per_million": 0.0, "output_per_million": 1e6}},
    )
    context = RouterContext(local_model="fake:good", frontier_model="fake:frontier")
    setup = RouterSetup.build(priced, context)
    messages = [HumanMessage("hi")]
    one = worst_case_cost(setup, setup.plan(context), messages, 10)
    three = worst_case_cost(setup, setup.plan(replace(context, n=3)), messages, 10)
    assert (one, three) == (10.0, 30.0)


def test_redacted_values_come_back_in_every_choice() -> None:
    from asymroute.privacy.policy import redact_messages, restore_answer

    _, redaction = redact_messages([HumanMessage("Mail a@example.com")])
    more = [{"content": "To [REDACTED_EMAIL_1] too", "finish_reason": "stop", "logprobs": None}]
    answer = AIMessage("To [REDACTED_EMAIL_1]", response_metadata={"more_choices": more})
    restored = restore_answer(answer, redaction)
    assert restored.content == "To a@example.com"
    assert restored.response_metadata["more_choices"][0]["content"] == "To a@example.com too"


def test_an_image_part_reaches_an_ollama_model_as_its_images() -> None:
    model: Any = OllamaProvider().create("llava", settings(), options(Sampling()))
    params = model._chat_params([HumanMessage([{"type": "text", "text": "what?"}, IMAGE])])
    assert params["messages"][0]["images"] == ["AAAA"]
