"""Tool calls through `asymroute serve` with the `openai` SDK: the default embedded local tier
(SmolLM2 in process) and a protocol-faithful frontier stub that calls tools
(bench/support/stub_agent.py); plain and streamed, and in the trace.

Every step's route is asserted from the gateway's own headers (`x-asymroute-tier`): simple
weather questions stay local, the complex task goes to the frontier, and a local call whose
arguments break the tool's schema escalates. Frameworks' agents: test_agents_live.py.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import openai
import pytest
from langchain_core.tools import tool

from bench.support.processes import free_port, running_server
from tests.integration.test_tracing_live import node_runs, traced_env
from tests.support.langsmith_capture import LangSmithCapture

KEY = "sk-asymroute-tools"
FRONTIER = "openai:stub-frontier"
SIMPLE = "What is the weather in Paris?"
COMPLEX = (
    "Analyze the weather trends for Paris, compare them with historical climate data, and "
    "explain the implications for agriculture in detail, then convert the current temperature "
    "to Fahrenheit."
)


@tool
def get_weather(city: str) -> str:
    """The current weather of a city, in Celsius."""
    return f"18C and sunny in {city}"


@tool
def to_fahrenheit(celsius: float) -> str:
    """Convert a temperature from Celsius to Fahrenheit."""
    return f"{celsius * 9 / 5 + 32:.1f}F"


TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The current weather of a city, in Celsius.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "to_fahrenheit",
            "description": "Convert a temperature from Celsius to Fahrenheit.",
            "parameters": {
                "type": "object",
                "properties": {"celsius": {"type": "number"}},
                "required": ["celsius"],
            },
        },
    },
]
RUN_TOOL = {"get_weather": get_weather, "to_fahrenheit": to_fahrenheit}
WEATHER_ONLY = TOOLS[:1]
"""Offered both tools, SmolLM2 calls to_fahrenheit with a value nobody gave, which `grounding`
escalates (test_a_local_call_with_a_value_from_nowhere_escalates); the local round trips are
offered get_weather alone."""


@contextmanager
def serving(logs: Path, stub: str, **extra_env: str) -> Iterator[str]:
    """`asymroute serve` on the default local tier, the frontier stub at `stub` behind it; its
    URL."""
    port = free_port()
    env = {
        "OPENAI_BASE_URL": f"{stub}/v1",
        # The default local tier (llamacpp:smollm2, embedded) and classifier; only the frontier
        # is the stub.
        "ASYMROUTE_GATEWAY_CONTEXT": json.dumps({"frontier_model": FRONTIER}),
        "ASYMROUTE_GATEWAY_KEYS": json.dumps({"tests": KEY}),
        "ASYMROUTE_PRICES": json.dumps(
            {FRONTIER: {"input_per_million": 5.0, "output_per_million": 15.0}}
        ),
        "ASYMROUTE_GATEWAY_SPEND_PATH": str(logs / "spend.sqlite"),
        "LANGSMITH_TRACING": "false",
        **extra_env,
    }
    serve = [sys.executable, "-m", "asymroute.cli", "serve", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with running_server(serve, f"{url}/v1/models", logs / "gateway.log", env=env, cwd=logs):
        yield url


@pytest.fixture(scope="module")
def gateway_url(stub_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(tmp_path_factory.mktemp("tools"), stub_url) as url:
        yield url


def client(url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=KEY, max_retries=0, timeout=300)


def step(
    url: str, messages: list[dict[str, Any]], tools: list[Any] = TOOLS, **fields: Any
) -> tuple[Any, str]:
    raw = client(url).chat.completions.with_raw_response.create(
        model="asymroute", messages=messages, tools=tools, **fields
    )
    return raw.parse(), raw.headers["x-asymroute-tier"]


def run_calls(message: Any) -> list[dict[str, Any]]:
    """The assistant turn and the tool results, as the next request's messages."""
    calls = message.tool_calls or []
    results = [
        {
            "role": "tool",
            "tool_call_id": call.id,
            "content": RUN_TOOL[call.function.name].invoke(json.loads(call.function.arguments)),
        }
        for call in calls
    ]
    return [message.model_dump(exclude_none=True), *results]


def test_openai_sdk_round_trip_on_the_local_tier(gateway_url: str) -> None:
    messages: list[dict[str, Any]] = [{"role": "user", "content": SIMPLE}]
    first, tier = step(gateway_url, messages, WEATHER_ONLY)
    assert tier == "local"
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls[0].function.name in RUN_TOOL
    assert first.model_extra["asymroute"]["validation"]["validators"] == [
        "structural",
        "tool_calls",
        "grounding",
    ]
    messages += run_calls(choice.message)
    second, tier = step(gateway_url, messages, WEATHER_ONLY)
    assert tier == "local"  # scored on the user turn it serves
    assert second.choices[0].finish_reason == "stop"
    assert second.choices[0].message.content.strip()
    assert "step after a tool result" in " ".join(second.model_extra["asymroute"]["reasons"])


def test_openai_sdk_round_trip_on_the_frontier(gateway_url: str) -> None:
    messages: list[dict[str, Any]] = [{"role": "user", "content": COMPLEX}]
    tiers, names = [], []
    for _ in range(3):
        answer, tier = step(gateway_url, messages)
        tiers.append(tier)
        message = answer.choices[0].message
        if not message.tool_calls:
            break
        names += [call.function.name for call in message.tool_calls]
        messages += run_calls(message)
    assert tiers == ["frontier", "frontier", "frontier"]
    assert names == ["get_weather", "to_fahrenheit"]
    assert "to_fahrenheit: 64.4F" in message.content


def streamed(url: str, prompt: str, tools: list[Any] = TOOLS) -> tuple[list[Any], str]:
    with client(url).chat.completions.with_streaming_response.create(
        model="asymroute",
        messages=[{"role": "user", "content": prompt}],
        tools=tools,  # type: ignore[arg-type]
        stream=True,
    ) as response:
        return list(response.parse()), response.headers["x-asymroute-tier"]


def assembled_calls(chunks: list[Any]) -> dict[int, dict[str, str]]:
    calls: dict[int, dict[str, str]] = {}
    for chunk in chunks:
        for delta in (chunk.choices[0].delta.tool_calls or []) if chunk.choices else []:
            call = calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
            call["id"] += delta.id or ""
            call["name"] += (delta.function.name or "") if delta.function else ""
            call["arguments"] += (delta.function.arguments or "") if delta.function else ""
    return calls


def test_streamed_tool_calls_from_the_frontier_arrive_as_deltas(gateway_url: str) -> None:
    chunks, tier = streamed(gateway_url, COMPLEX)
    assert tier == "frontier"
    pieces = [c for c in chunks if c.choices and c.choices[0].delta.tool_calls]
    assert len(pieces) == 2  # as the stub sent them: id and name, then the rest
    assert assembled_calls(chunks) == {
        0: {"id": "call_stub_0", "name": "get_weather", "arguments": '{"city": "Paris"}'}
    }
    final = chunks[-1]
    assert final.choices[0].finish_reason == "tool_calls"
    assert final.model_extra["asymroute"]["tier"] == "frontier"


def test_streamed_local_tool_call_arrives_whole_after_validation(gateway_url: str) -> None:
    chunks, tier = streamed(gateway_url, SIMPLE, WEATHER_ONLY)
    assert tier == "local"
    pieces = [c for c in chunks if c.choices and c.choices[0].delta.tool_calls]
    assert len(pieces) == 1
    (call,) = assembled_calls(chunks).values()
    assert call["name"] in RUN_TOOL
    assert isinstance(json.loads(call["arguments"]), dict)
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    assert chunks[-1].model_extra["asymroute"]["validation"]["passed"] is True


def test_a_local_call_breaking_the_schema_escalates(gateway_url: str) -> None:
    boxes = {
        "type": "function",
        "function": {
            "name": "order_widgets",
            "description": "Order widgets; they ship in boxes of 6.",
            "parameters": {
                "type": "object",
                "properties": {"count": {"type": "integer", "multipleOf": 6}},
                "required": ["count"],
            },
        },
    }
    raw = client(gateway_url).chat.completions.with_raw_response.create(
        model="asymroute",
        messages=[{"role": "user", "content": "Order 5 widgets."}],
        tools=[boxes],  # type: ignore[list-item]
        tool_choice="required",
    )
    details = raw.parse().model_extra["asymroute"]
    assert raw.headers["x-asymroute-tier"] == "frontier"
    assert raw.headers["x-asymroute-escalated"] == "true"
    assert details["routed_tier"] == "local"
    assert details["validation"]["failed"] == ["tool_calls"]


def test_a_local_call_with_a_value_from_nowhere_escalates(gateway_url: str) -> None:
    """The default embedded tier, offered both tools: `to_fahrenheit` with a Celsius value no
    message gave matches the schema (`tool_calls` passes it); `grounding` escalates it."""
    answer, tier = step(gateway_url, [{"role": "user", "content": SIMPLE}])
    details = answer.model_extra["asymroute"]
    assert (tier, details["routed_tier"], details["escalated"]) == ("frontier", "local", True)
    assert details["validation"]["failed"] == ["grounding"]
    assert answer.choices[0].message.tool_calls[0].function.name == "get_weather"  # the stub's


def test_the_trace_names_each_steps_tier_and_tool_calls(
    langsmith_capture: LangSmithCapture, stub_url: str, tmp_path: Path
) -> None:
    local_prompt, frontier_prompt = f"{SIMPLE} (traced)", f"{COMPLEX} (traced)"
    run_ids, answers = [], []
    with serving(tmp_path, stub_url, **traced_env(langsmith_capture)) as url:
        for prompt, tools in ((local_prompt, WEATHER_ONLY), (frontier_prompt, TOOLS)):
            raw = client(url).chat.completions.with_raw_response.create(
                model="asymroute",
                messages=[{"role": "user", "content": prompt}],
                tools=tools,  # type: ignore[arg-type]
            )
            run_ids.append(raw.headers["x-asymroute-run-id"])
            answers.append(raw.parse().choices[0].message)
    langsmith_capture.wait_for(lambda runs: all(runs.get(i, {}).get("end_time") for i in run_ids))
    local = node_runs(langsmith_capture, local_prompt)
    called = [call.function.name for call in answers[0].tool_calls]
    assert local["local_model"]["extra"]["metadata"]["tool_calls"] == called
    assert local["local_model"]["extra"]["metadata"]["tier"] == "local"
    assert local["validate"]["extra"]["metadata"]["escalated"] is False
    frontier = node_runs(langsmith_capture, frontier_prompt)["frontier_model"]["extra"]
    assert frontier["metadata"]["tool_calls"] == ["get_weather"]
    assert frontier["metadata"]["tier"] == "frontier"
