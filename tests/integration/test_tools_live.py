"""Agents through `asymroute serve`: tool calls on the default embedded local tier (SmolLM2 in
process) and a protocol-faithful frontier stub that calls tools (bench/support/stub_agent.py).

Every step's route is asserted from the gateway's own headers (`x-asymroute-tier`): simple
weather questions stay local, the complex task goes to the frontier, and a local call whose
arguments break the tool's schema escalates.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI

from bench.support.processes import free_port, running_server
from tests.integration.conftest import PROJECT_ROOT
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


@contextmanager
def serving(logs: Path, **extra_env: str) -> Iterator[str]:
    """`asymroute serve` on the default local tier, the frontier stub behind it; its URL."""
    stub_port, port = free_port(), free_port()
    stub = f"http://127.0.0.1:{stub_port}"
    stub_command = [sys.executable, str(PROJECT_ROOT / "bench/support/upstream_stub.py")]
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
    with (
        running_server([*stub_command, "--port", str(stub_port)], f"{stub}/v1/models", logs / "s"),
        running_server(serve, f"{url}/v1/models", logs / "gateway.log", env=env, cwd=logs),
    ):
        yield url


@pytest.fixture(scope="module")
def gateway_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serving(tmp_path_factory.mktemp("tools")) as url:
        yield url


def client(url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key=KEY, max_retries=0, timeout=300)


def step(url: str, messages: list[dict[str, Any]], **fields: Any) -> tuple[Any, str]:
    raw = client(url).chat.completions.with_raw_response.create(
        model="asymroute", messages=messages, tools=TOOLS, **fields
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
    first, tier = step(gateway_url, messages)
    assert tier == "local"
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls[0].function.name in RUN_TOOL
    assert first.model_extra["asymroute"]["validation"]["validators"] == [
        "structural",
        "tool_calls",
    ]
    messages += run_calls(choice.message)
    second, tier = step(gateway_url, messages)
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


def streamed(url: str, prompt: str) -> tuple[list[Any], str]:
    with client(url).chat.completions.with_streaming_response.create(
        model="asymroute",
        messages=[{"role": "user", "content": prompt}],
        tools=TOOLS,  # type: ignore[arg-type]
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
    chunks, tier = streamed(gateway_url, SIMPLE)
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


def chat_model(url: str) -> ChatOpenAI:
    return ChatOpenAI(
        model="asymroute",
        base_url=f"{url}/v1",
        api_key=KEY,  # type: ignore[arg-type]
        include_response_headers=True,
        max_retries=0,
        timeout=300,
    )


def tier_of(message: AIMessage) -> str:
    return str(message.response_metadata["headers"]["x-asymroute-tier"])


def test_chat_openai_bind_tools_gets_a_tool_call(gateway_url: str) -> None:
    model = chat_model(gateway_url).bind_tools([get_weather, to_fahrenheit])
    local = model.invoke(SIMPLE)
    frontier = model.invoke(COMPLEX)
    assert isinstance(local, AIMessage) and isinstance(frontier, AIMessage)
    assert (tier_of(local), tier_of(frontier)) == ("local", "frontier")
    assert local.tool_calls and local.tool_calls[0]["name"] in RUN_TOOL
    assert frontier.tool_calls == [
        {"name": "get_weather", "args": {"city": "Paris"}, "id": "call_stub_0", "type": "tool_call"}
    ]


# The task names LangGraph's prebuilt ReAct agent, the one most tutorials use; LangGraph 1.x
# points to langchain.agents.create_agent, which builds the same loop.
pytestmark = pytest.mark.filterwarnings("ignore:create_react_agent has been moved")


def agent_steps(url: str, prompt: str) -> list[Any]:
    from langgraph.prebuilt import create_react_agent

    agent = create_react_agent(chat_model(url), [get_weather, to_fahrenheit])
    result = agent.invoke({"messages": [("user", prompt)]}, {"recursion_limit": 12})
    return list(result["messages"])


def test_react_agent_completes_the_two_tool_task_on_the_frontier(gateway_url: str) -> None:
    messages = agent_steps(gateway_url, COMPLEX)
    answers = [m for m in messages if isinstance(m, AIMessage)]
    assert [tier_of(m) for m in answers] == ["frontier", "frontier", "frontier"]
    assert [c["name"] for m in answers for c in m.tool_calls] == ["get_weather", "to_fahrenheit"]
    results = [m.content for m in messages if isinstance(m, ToolMessage)]
    assert results == ["18C and sunny in Paris", "64.4F"]
    assert "to_fahrenheit: 64.4F" in str(answers[-1].content)


def test_react_agent_steps_stay_local_for_a_simple_question(gateway_url: str) -> None:
    messages = agent_steps(gateway_url, SIMPLE)
    answers = [m for m in messages if isinstance(m, AIMessage)]
    assert [tier_of(m) for m in answers] == ["local", "local"]
    assert answers[0].tool_calls and answers[0].tool_calls[0]["name"] in RUN_TOOL
    assert len([m for m in messages if isinstance(m, ToolMessage)]) == 1
    assert not answers[-1].tool_calls and str(answers[-1].content).strip()


def test_the_trace_names_each_steps_tier_and_tool_calls(
    langsmith_capture: LangSmithCapture, tmp_path: Path
) -> None:
    local_prompt, frontier_prompt = f"{SIMPLE} (traced)", f"{COMPLEX} (traced)"
    run_ids, answers = [], []
    with serving(tmp_path, **traced_env(langsmith_capture)) as url:
        for prompt in (local_prompt, frontier_prompt):
            raw = client(url).chat.completions.with_raw_response.create(
                model="asymroute", messages=[{"role": "user", "content": prompt}], tools=TOOLS
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


def test_langgraph_dev_router_takes_tools_in_its_context(tmp_path: Path) -> None:
    """Studio's path: the router graph on `langgraph dev`, tools as a context key."""
    from tests.support.langgraph_dev import langgraph_dev_server

    stub_port = free_port()
    stub = f"http://127.0.0.1:{stub_port}"
    stub_command = [sys.executable, str(PROJECT_ROOT / "bench/support/upstream_stub.py")]
    env = {
        "OPENAI_BASE_URL": f"{stub}/v1",
        "ASYMROUTE_PRICES": json.dumps(
            {"openai:gpt-4o-mini": {"input_per_million": 0.15, "output_per_million": 0.6}}
        ),
    }
    context = {"tools": TOOLS, "tool_choice": "required"}
    with (
        running_server(
            [*stub_command, "--port", str(stub_port)], f"{stub}/v1/models", tmp_path / "s"
        ),
        langgraph_dev_server(env, tmp_path) as url,
    ):

        def run(messages: list[dict[str, Any]]) -> dict[str, Any]:
            body = {"assistant_id": "router", "input": {"messages": messages}, "context": context}
            response = httpx.post(f"{url}/runs/wait", json=body, timeout=300)
            response.raise_for_status()
            state: dict[str, Any] = response.json()
            assert "__error__" not in state, state
            return state

        first = run([{"role": "user", "content": SIMPLE}])
        assert first["answered_by"] == "local"
        assert first["verdict"]["validators"] == ["structural", "tool_calls"]
        (call,) = first["messages"][-1]["tool_calls"]
        assert call["name"] in RUN_TOOL
        result = RUN_TOOL[call["name"]].invoke(call["args"])
        context["tool_choice"] = "auto"
        second = run(
            [
                {"role": "user", "content": SIMPLE},
                {"role": "assistant", "content": "", "tool_calls": [call]},
                {"role": "tool", "content": result, "tool_call_id": call["id"]},
            ]
        )
    assert second["answered_by"] == "local"
    assert second["messages"][-1]["type"] == "ai" and second["messages"][-1]["content"].strip()
    assert "step after a tool result" in " ".join(second["decision"]["reasons"])


def test_an_ollama_model_without_tool_support_hands_tool_steps_to_the_frontier(
    ollama_server: str, tmp_path: Path
) -> None:
    """Ollama answers 400 "does not support tools" for such a model (SmolLM2 on the registry):
    the step escalates and the endpoint is not blamed, so text requests stay local."""
    local = {"local_model": "ollama:smollm2:135m", "frontier_model": FRONTIER}
    with serving(
        tmp_path, OLLAMA_BASE_URL=ollama_server, ASYMROUTE_GATEWAY_CONTEXT=json.dumps(local)
    ) as url:
        answer, tier = step(url, [{"role": "user", "content": SIMPLE}])
        details = answer.model_extra["asymroute"]
        plain = client(url).chat.completions.with_raw_response.create(
            model="asymroute", messages=[{"role": "user", "content": SIMPLE}], max_tokens=16
        )
    assert (tier, details["routed_tier"], details["escalated"]) == ("frontier", "local", True)
    assert details["usage"][0]["error"] == "ResponseError"
    assert answer.choices[0].message.tool_calls[0].function.name == "get_weather"
    assert plain.headers["x-asymroute-tier"] == "local"


def test_openai_agents_sdk_agent_runs_through_the_gateway(gateway_url: str) -> None:
    """The Agents SDK on its Chat Completions model: what it sends is accepted, its tool loop
    completes on the frontier for the hard task and locally for the simple one."""
    import asyncio

    from agents import Agent, OpenAIChatCompletionsModel, Runner, set_tracing_disabled

    set_tracing_disabled(True)
    sdk_tools = [agent_tool(get_weather), agent_tool(to_fahrenheit)]

    def run(prompt: str) -> Any:
        model = OpenAIChatCompletionsModel(
            model="asymroute",
            openai_client=openai.AsyncOpenAI(
                base_url=f"{gateway_url}/v1", api_key=KEY, max_retries=0, timeout=300
            ),
        )
        agent = Agent(name="weather", instructions="Use the tools.", tools=sdk_tools, model=model)
        return asyncio.run(Runner.run(agent, prompt, max_turns=6))

    hard = run(COMPLEX)
    assert "to_fahrenheit: 64.4F" in hard.final_output
    calls = [r.output[0] for r in hard.raw_responses if r.output[0].type == "function_call"]
    assert [call.name for call in calls] == ["get_weather", "to_fahrenheit"]
    # The call ids say who answered: the frontier stub's, then llama.cpp's (the local tier).
    assert all(call.call_id.startswith("call_stub_") for call in calls)
    simple = run(SIMPLE)
    kinds = [type(item).__name__ for item in simple.new_items]
    assert kinds == ["ToolCallItem", "ToolCallOutputItem", "MessageOutputItem"]
    assert simple.raw_responses[0].output[0].call_id.startswith("call__0_")  # llama.cpp's ids
    assert not simple.final_output.startswith("functions.")  # an answer, not the call again


def agent_tool(langchain_tool: Any) -> Any:
    """The same Python function as an Agents SDK tool."""
    from agents import function_tool

    return function_tool(langchain_tool.func)
