"""`asymroute serve` with real models behind it, driven by the official `openai` client."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator

import httpx
import openai
import pytest

from bench.support.processes import free_port, running_server
from tests.integration.conftest import FRONTIER_ALIAS, OLLAMA_MODEL, PROJECT_ROOT
from tests.support.gateway import BUDGET_PROMPT, KEY, TINY_BUDGET_KEY, gateway_env

LOCAL = f"ollama:{OLLAMA_MODEL}"
FRONTIER = f"openai:{FRONTIER_ALIAS}"
SIMPLE = "What is 2+3?"
COMPLEX = BUDGET_PROMPT


@pytest.fixture(scope="module")
def gateway_url(
    openai_server: str, ollama_server: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "asymroute.cli", "serve", "--port", str(port)]
    directory = tmp_path_factory.mktemp("gateway")
    env = gateway_env(openai_server, ollama_server, LOCAL, FRONTIER, directory / "spend.sqlite")
    log = directory / "server.log"
    url = f"http://127.0.0.1:{port}"
    with running_server(command, f"{url}/v1/models", log, env=env, cwd=PROJECT_ROOT):
        yield url


def client(url: str, key: str = KEY) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0, timeout=180)


def user(prompt: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": prompt}]


def test_simple_request_is_answered_by_the_local_model(gateway_url: str) -> None:
    raw = client(gateway_url).chat.completions.with_raw_response.create(
        model="asymroute", messages=user(SIMPLE)
    )
    completion = raw.parse()

    assert completion.model == LOCAL
    assert "5" in completion.choices[0].message.content
    assert completion.usage.completion_tokens > 0
    assert raw.headers["x-asymroute-tier"] == "local"
    assert raw.headers["x-asymroute-model"] == LOCAL
    assert float(raw.headers["x-asymroute-cost-usd"]) == 0.0
    assert completion.model_extra["asymroute"]["validation"]["passed"] is True


def test_complex_request_is_answered_and_costed_by_the_frontier(gateway_url: str) -> None:
    raw = client(gateway_url).chat.completions.with_raw_response.create(
        model="asymroute", messages=user(COMPLEX)
    )
    completion = raw.parse()

    assert completion.model == FRONTIER
    assert raw.headers["x-asymroute-tier"] == "frontier"
    assert completion.usage.prompt_tokens > 0
    assert float(raw.headers["x-asymroute-cost-usd"]) > 0.0
    assert completion.model_extra["asymroute"]["cost_usd"] == pytest.approx(
        float(raw.headers["x-asymroute-cost-usd"]), abs=1e-8
    )


def test_async_client_runs_requests_concurrently(gateway_url: str) -> None:
    async def ask_all() -> list[str]:
        async with openai.AsyncOpenAI(
            base_url=f"{gateway_url}/v1", api_key=KEY, max_retries=0, timeout=180
        ) as async_client:
            replies = await asyncio.gather(
                *(
                    async_client.chat.completions.create(model=model, messages=user(prompt))
                    for model, prompt in [
                        ("asymroute", SIMPLE),
                        ("asymroute", COMPLEX),
                        ("router-0", SIMPLE),
                        ("asymroute-cheap", SIMPLE),
                    ]
                )
            )
        return [reply.model for reply in replies]

    assert asyncio.run(ask_all()) == [LOCAL, FRONTIER, FRONTIER, LOCAL]


def test_frontier_answer_streams_with_usage(gateway_url: str) -> None:
    stream = client(gateway_url).chat.completions.create(
        model="asymroute",
        messages=user(COMPLEX),
        stream=True,
        stream_options={"include_usage": True},
        max_tokens=16,
    )
    chunks = list(stream)
    content = [
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
    ]

    assert len(content) > 1  # token by token, not one blob
    assert {c.model for c in chunks} == {FRONTIER}
    # llama.cpp's server reports no usage when streaming (OpenAI does): the chunk is there,
    # with what the upstream reported.
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    final = next(c for c in chunks if c.choices and c.choices[0].finish_reason)
    assert final.model_extra["asymroute"]["tier"] == "frontier"


def test_local_answer_streams_after_validation(gateway_url: str) -> None:
    with client(gateway_url).chat.completions.with_streaming_response.create(
        model="asymroute",
        messages=user(SIMPLE),
        stream=True,
        stream_options={"include_usage": True},
    ) as response:
        assert response.headers["x-asymroute-tier"] == "local"
        chunks = list(response.parse())
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "5" in text
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) > 1
    assert {c.model for c in chunks} == {LOCAL}
    assert chunks[-1].usage.completion_tokens > 0  # Ollama reports usage in its last chunk


def test_rejected_local_answer_never_reaches_the_stream(gateway_url: str) -> None:
    # The gateway's own cap (max_output_tokens 32, not the client's max_tokens) cuts the local
    # answer off (finish reason `length`): validation rejects it and the frontier answers.
    # Every chunk the client gets must be the frontier's.
    stream = client(gateway_url).chat.completions.create(
        model="asymroute", messages=user("Tell me about Paris."), stream=True
    )
    chunks = list(stream)
    final = next(c for c in chunks if c.choices and c.choices[0].finish_reason)

    assert final.model_extra["asymroute"]["escalated"] is True
    assert final.model_extra["asymroute"]["validation"]["failed"] == ["structural"]
    assert {c.model for c in chunks} == {FRONTIER}


def test_keys_are_checked(gateway_url: str) -> None:
    with pytest.raises(openai.AuthenticationError) as caught:
        client(gateway_url, key="sk-wrong").chat.completions.create(
            model="asymroute", messages=user(SIMPLE)
        )
    assert caught.value.status_code == 401
    assert caught.value.body["code"] == "invalid_api_key"


def test_exhausted_budget_is_429(gateway_url: str) -> None:
    tiny = client(gateway_url, key=TINY_BUDGET_KEY)
    tiny.chat.completions.create(model="asymroute", messages=user(COMPLEX))  # spends it
    with pytest.raises(openai.RateLimitError) as caught:  # its worst case no longer fits
        tiny.chat.completions.create(model="asymroute", messages=user(COMPLEX))
    assert caught.value.body["code"] == "budget_exceeded"
    # Other keys are unaffected.
    assert client(gateway_url).models.list().data[0].id == "asymroute"


def test_bad_requests_are_400_and_the_server_keeps_serving(gateway_url: str) -> None:
    headers = {"authorization": f"Bearer {KEY}"}
    bad = httpx.post(
        f"{gateway_url}/v1/chat/completions", content=b"{oops", headers=headers, timeout=30
    )
    assert bad.status_code == 400
    assert "not valid JSON" in bad.json()["error"]["message"]
    with pytest.raises(openai.BadRequestError) as caught:
        client(gateway_url).chat.completions.create(
            model="asymroute", messages=user(SIMPLE), extra_body={"audio": {"format": "wav"}}
        )
    assert caught.value.body["param"] == "audio"
    huge = httpx.post(
        f"{gateway_url}/v1/chat/completions",
        json={"model": "asymroute", "messages": user("x" * 2_000_000)},
        headers=headers,
        timeout=30,
    )
    assert huge.status_code == 413
    assert (
        client(gateway_url).chat.completions.create(model="asymroute", messages=user(SIMPLE)).model
        == LOCAL
    )
