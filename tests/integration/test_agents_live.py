"""Agents through asymroute: LangChain's `ChatOpenAI.bind_tools`, LangGraph's prebuilt ReAct
agent and the OpenAI Agents SDK against `asymroute serve`, the router on `langgraph dev` with
tools in its context, and an Ollama model without tool support.

The gateway is the one of test_tools_live.py (default embedded local tier, the frontier stub
that calls tools); every step's route is asserted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from langchain_core.messages import AIMessage, ToolMessage
from langchain_openai import ChatOpenAI

from tests.integration.test_tools_live import (
    COMPLEX,
    FRONTIER,
    KEY,
    RUN_TOOL,
    SIMPLE,
    WEATHER_ONLY,
    client,
    gateway_url,
    get_weather,
    serving,
    step,
    to_fahrenheit,
)

__all__ = ["gateway_url"]  # the module's gateway fixture, started once for this module too


def chat_model(url: str, **options: Any) -> ChatOpenAI:
    return ChatOpenAI(
        model="asymroute",
        base_url=f"{url}/v1",
        api_key=KEY,  # type: ignore[arg-type]
        include_response_headers=True,
        max_retries=0,
        timeout=300,
        **options,
    )


def tier_of(message: AIMessage) -> str:
    return str(message.response_metadata["headers"]["x-asymroute-tier"])


def test_chat_openai_bind_tools_gets_a_tool_call(gateway_url: str) -> None:
    model = chat_model(gateway_url).bind_tools([get_weather, to_fahrenheit])
    local = chat_model(gateway_url).bind_tools([get_weather]).invoke(SIMPLE)
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


def test_react_agent_simple_question_a_wrong_local_call_escalates_then_stays_local(
    gateway_url: str,
) -> None:
    """Offered both tools, SmolLM2 calls to_fahrenheit with a value no message gave: the step
    escalates (`grounding`) and the frontier calls get_weather; the step after its result is
    scored on the same simple user turn and answered locally, stating the result."""
    messages = agent_steps(gateway_url, SIMPLE)
    answers = [m for m in messages if isinstance(m, AIMessage)]
    assert [tier_of(m) for m in answers] == ["frontier", "local"]
    escalated = [m.response_metadata["headers"]["x-asymroute-escalated"] for m in answers]
    assert escalated == ["true", "false"]
    assert [c["name"] for c in answers[0].tool_calls] == ["get_weather"]
    assert [m.content for m in messages if isinstance(m, ToolMessage)] == ["18C and sunny in Paris"]
    assert not answers[-1].tool_calls and str(answers[-1].content).strip()


def test_langgraph_dev_router_takes_tools_in_its_context(stub_url: str, tmp_path: Path) -> None:
    """Studio's path: the router graph on `langgraph dev`, tools as a context key."""
    from tests.support.langgraph_dev import langgraph_dev_server

    env = {
        "OPENAI_BASE_URL": f"{stub_url}/v1",
        "ASYMROUTE_PRICES": json.dumps(
            {"openai:gpt-4o-mini": {"input_per_million": 0.15, "output_per_million": 0.6}}
        ),
    }
    context = {"tools": WEATHER_ONLY, "tool_choice": "required"}
    with langgraph_dev_server(env, tmp_path) as url:

        def run(messages: list[dict[str, Any]]) -> dict[str, Any]:
            body = {"assistant_id": "router", "input": {"messages": messages}, "context": context}
            response = httpx.post(f"{url}/runs/wait", json=body, timeout=300)
            response.raise_for_status()
            state: dict[str, Any] = response.json()
            assert "__error__" not in state, state
            return state

        first = run([{"role": "user", "content": SIMPLE}])
        assert first["answered_by"] == "local"
        assert first["verdict"]["validators"] == ["structural", "tool_calls", "grounding"]
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


def test_an_ollama_model_without_tool_support_is_skipped_up_front(
    ollama_server: str, stub_url: str, tmp_path: Path
) -> None:
    """Its /api/show lists no "tools" capability (SmolLM2 on the registry): a tool step starts
    on the frontier, flagged, without a local call; text requests stay local."""
    local = {"local_model": "ollama:smollm2:135m", "frontier_model": FRONTIER}
    with serving(
        tmp_path,
        stub_url,
        OLLAMA_BASE_URL=ollama_server,
        ASYMROUTE_GATEWAY_CONTEXT=json.dumps(local),
    ) as url:
        answer, tier = step(url, [{"role": "user", "content": SIMPLE}])
        again, _ = step(url, [{"role": "user", "content": SIMPLE}])  # capabilities cached
        details = answer.model_extra["asymroute"]
        plain = client(url).chat.completions.with_raw_response.create(
            model="asymroute", messages=[{"role": "user", "content": SIMPLE}], max_tokens=16
        )
    assert (tier, details["escalated"]) == ("frontier", False)
    assert "local_cannot_call_tools" in details["flags"]
    assert [record["tier"] for record in details["usage"]] == ["frontier"]  # no local call
    assert answer.choices[0].message.tool_calls[0].function.name == "get_weather"
    assert "local_cannot_call_tools" in again.model_extra["asymroute"]["flags"]
    assert plain.headers["x-asymroute-tier"] == "local"


def test_an_older_ollama_without_capabilities_hands_tool_steps_to_the_frontier(
    older_ollama_server: str, stub_url: str, tmp_path: Path
) -> None:
    """An Ollama whose /api/show has no capabilities: the tools are sent, Ollama answers 400
    "does not support tools", the step escalates and the endpoint is not blamed, so text
    requests stay local."""
    local = {"local_model": "ollama:smollm2:135m", "frontier_model": FRONTIER}
    with serving(
        tmp_path,
        stub_url,
        OLLAMA_BASE_URL=older_ollama_server,
        ASYMROUTE_GATEWAY_CONTEXT=json.dumps(local),
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

    async def streamed(prompt: str) -> Any:
        model = OpenAIChatCompletionsModel(
            model="asymroute",
            openai_client=openai.AsyncOpenAI(base_url=f"{gateway_url}/v1", api_key=KEY),
        )
        agent = Agent(name="weather", instructions="Use the tools.", tools=sdk_tools, model=model)
        result = Runner.run_streamed(agent, prompt, max_turns=6)
        async for _ in result.stream_events():
            pass
        return result

    hard_streamed = asyncio.run(streamed(COMPLEX))  # tool-call deltas, as the SDK parses them
    assert hard_streamed.final_output == hard.final_output
    assert [type(item).__name__ for item in hard_streamed.new_items] == [
        "ToolCallItem",
        "ToolCallOutputItem",
        "ToolCallItem",
        "ToolCallOutputItem",
        "MessageOutputItem",
    ]


def agent_tool(langchain_tool: Any) -> Any:
    """The same Python function as an Agents SDK tool."""
    from agents import function_tool

    return function_tool(langchain_tool.func)
