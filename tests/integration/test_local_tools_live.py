"""Tool calls from real local models on other protocols, through `asymroute serve` with the
`openai` SDK: an `ollama:` local tier (the Ollama test server, real llama.cpp, answering
`tools` with `message.tool_calls` as Ollama does) and an `openai:` local tier on llama.cpp's
own OpenAI-compatible server (`python -m llama_cpp.server --chat_format
chatml-function-calling`). Every step's route is asserted from the gateway's headers.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.support.processes import free_port, running_server
from tests.integration.test_tools_live import (
    FRONTIER,
    RUN_TOOL,
    SIMPLE,
    TOOLS,
    WEATHER_ONLY,
    assembled_calls,
    client,
    run_calls,
    serving,
)

OLLAMA_LOCAL = "ollama:smollm2:135m"
SERVER_ALIAS = "smollm2-tools"
SERVER_LOCAL = f"openai:{SERVER_ALIAS}"


@pytest.fixture(scope="module")
def ollama_gateway(
    ollama_tools_server: str, stub_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The gateway with the Ollama test server (tools listed) as its local tier."""
    context = {"local_model": OLLAMA_LOCAL, "frontier_model": FRONTIER}
    with serving(
        tmp_path_factory.mktemp("ollama-gateway"),
        stub_url,
        OLLAMA_BASE_URL=ollama_tools_server,
        ASYMROUTE_GATEWAY_CONTEXT=json.dumps(context),
    ) as url:
        yield url


@pytest.fixture(scope="module")
def llama_server_gateway(
    gguf_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The gateway whose OpenAI endpoint is llama.cpp's server with its function-calling chat
    format; the local tier is that server's model (so is the frontier: one OpenAI endpoint)."""
    logs = tmp_path_factory.mktemp("llama-server-gateway")
    port = free_port()
    server = f"http://127.0.0.1:{port}"
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(gguf_path),
        "--model_alias", SERVER_ALIAS, "--chat_format", "chatml-function-calling",
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--seed", "0",
    ]  # fmt: skip
    context = {"local_model": SERVER_LOCAL, "frontier_model": SERVER_LOCAL}
    with (
        running_server(command, f"{server}/v1/models", logs / "llama-server.log"),
        serving(logs, server, ASYMROUTE_GATEWAY_CONTEXT=json.dumps(context)) as url,
    ):
        yield url


def ask(
    url: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]] = TOOLS
) -> tuple[Any, Any]:
    raw = client(url).chat.completions.with_raw_response.create(
        model="asymroute",
        messages=messages,
        tools=tools,  # type: ignore[arg-type]
    )
    return raw.parse(), raw.headers


def test_an_ollama_local_tier_calls_a_tool_and_answers_its_result(ollama_gateway: str) -> None:
    messages: list[dict[str, Any]] = [{"role": "user", "content": SIMPLE}]
    first, headers = ask(ollama_gateway, messages, WEATHER_ONLY)
    assert (headers["x-asymroute-tier"], headers["x-asymroute-model"]) == ("local", OLLAMA_LOCAL)
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls
    assert (call.function.name, json.loads(call.function.arguments)) == (
        "get_weather",
        {"city": "Paris"},
    )
    assert first.model_extra["asymroute"]["validation"]["passed"] is True
    messages += run_calls(choice.message)
    second, headers = ask(ollama_gateway, messages, WEATHER_ONLY)
    assert (headers["x-asymroute-tier"], headers["x-asymroute-escalated"]) == ("local", "false")
    assert second.choices[0].finish_reason == "stop"
    assert not second.choices[0].message.tool_calls
    assert second.choices[0].message.content.strip()


def test_an_ollama_local_tiers_tool_call_streams_as_one_delta(ollama_gateway: str) -> None:
    with client(ollama_gateway).chat.completions.with_streaming_response.create(
        model="asymroute",
        messages=[{"role": "user", "content": SIMPLE}],
        tools=WEATHER_ONLY,  # type: ignore[arg-type]
        stream=True,
    ) as response:
        chunks = list(response.parse())
        tier = response.headers["x-asymroute-tier"]
    assert tier == "local"
    assert len([c for c in chunks if c.choices and c.choices[0].delta.tool_calls]) == 1
    (call,) = assembled_calls(chunks).values()
    assert (call["name"], json.loads(call["arguments"])) == ("get_weather", {"city": "Paris"})
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    assert chunks[-1].model_extra["asymroute"]["tier"] == "local"


def test_an_ollama_local_call_with_a_value_from_nowhere_escalates(ollama_gateway: str) -> None:
    """Offered both tools, SmolLM2 calls to_fahrenheit with a Celsius value nobody gave: valid
    against the schema, so `tool_calls` passes it; `grounding` escalates it."""
    answer, headers = ask(ollama_gateway, [{"role": "user", "content": SIMPLE}])
    details = answer.model_extra["asymroute"]
    assert (headers["x-asymroute-tier"], headers["x-asymroute-escalated"]) == ("frontier", "true")
    assert details["routed_tier"] == "local"
    assert details["usage"][0]["model"] == OLLAMA_LOCAL
    assert details["validation"]["failed"] == ["grounding"]
    assert answer.choices[0].message.tool_calls[0].function.name == "get_weather"  # the stub's


def test_a_llama_cpp_server_local_tier_calls_a_tool(llama_server_gateway: str) -> None:
    """No tool_choice from the client: the gateway says "auto", which llama.cpp's server needs
    (it ignores the tools without one)."""
    answer, headers = ask(llama_server_gateway, [{"role": "user", "content": SIMPLE}])
    assert (headers["x-asymroute-tier"], headers["x-asymroute-model"]) == ("local", SERVER_LOCAL)
    choice = answer.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls
    assert call.function.name in RUN_TOOL
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    assert call.id.startswith("call__0_")  # llama.cpp's server made it


def test_a_llama_cpp_server_local_tiers_tool_call_streams(llama_server_gateway: str) -> None:
    with client(llama_server_gateway).chat.completions.with_streaming_response.create(
        model="asymroute",
        messages=[{"role": "user", "content": SIMPLE}],
        tools=TOOLS,  # type: ignore[arg-type]
        stream=True,
    ) as response:
        chunks = list(response.parse())
        tier = response.headers["x-asymroute-tier"]
    assert tier == "local", chunks[-1].model_extra
    (call,) = assembled_calls(chunks).values()
    assert (call["name"], json.loads(call["arguments"])) == ("get_weather", {"city": "Paris"})
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
