"""The Responses API (`/v1/responses`) of `asymroute serve`, as its clients use it: the `openai`
SDK's `responses.create` and `responses.stream`, the OpenAI Agents SDK on its default model
(which speaks the Responses API), and LangChain's `ChatOpenAI(use_responses_api=True)`.

The gateway is test_tools_live.py's: the default embedded local tier (SmolLM2 in process) and
the frontier stub that calls tools. Every step's route is asserted.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import openai
from langchain_core.messages import AIMessage

from tests.integration.test_agents_live import agent_tool, chat_model, tier_of
from tests.integration.test_tools_live import (
    COMPLEX,
    KEY,
    SIMPLE,
    client,
    gateway_url,
    get_weather,
    to_fahrenheit,
)

__all__ = ["gateway_url"]  # the module's gateway fixture, started once for this module too

ARITHMETIC = "What is 2+3?"
DESIGN = "Prove that the square root of 2 is irrational, then design a lock-free queue in C++."


def test_responses_create_routes_each_request_and_reports_usage(gateway_url: str) -> None:
    responses = client(gateway_url).responses
    local = responses.with_raw_response.create(model="asymroute", input=ARITHMETIC)
    frontier = responses.with_raw_response.create(
        model="asymroute", input=DESIGN, instructions="Be thorough."
    )
    assert (local.headers["x-asymroute-tier"], frontier.headers["x-asymroute-tier"]) == (
        "local",
        "frontier",
    )
    answer = local.parse()
    assert answer.status == "completed" and answer.output_text.strip()
    assert answer.model.startswith("llamacpp:")
    assert answer.usage is not None and answer.usage.input_tokens > 0
    assert answer.usage.output_tokens > 0
    assert float(frontier.headers["x-asymroute-cost-usd"]) > 0
    assert frontier.parse().model_extra["asymroute"]["tier"] == "frontier"


def test_responses_stream_gives_the_sdk_a_whole_response(gateway_url: str) -> None:
    with client(gateway_url).responses.stream(model="asymroute", input=ARITHMETIC) as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == final.output_text and final.output_text.strip()
    assert final.model_extra["asymroute"]["tier"] == "local"
    assert final.usage is not None and final.usage.output_tokens > 0


def test_log_probs_come_back_plain_and_streamed(gateway_url: str) -> None:
    asked: dict[str, Any] = {"include": ["message.output_text.logprobs"], "top_logprobs": 2}
    responses = client(gateway_url).responses
    plain = responses.create(model="asymroute", input=ARITHMETIC, **asked)
    with responses.stream(model="asymroute", input=ARITHMETIC, **asked) as stream:
        deltas = [e for e in stream if e.type == "response.output_text.delta"]
        streamed = stream.get_final_response()
    for response in (plain, streamed):
        assert response.model.startswith("llamacpp:")  # the embedded tier returns them
        tokens = response.output[0].content[0].logprobs
        assert tokens and "".join(t.token for t in tokens) == response.output_text
        assert all(len(t.top_logprobs) == 2 for t in tokens)
    assert sum(len(e.logprobs) for e in deltas) == len(streamed.output[0].content[0].logprobs)


def test_agents_sdk_default_model_runs_the_tool_loop(gateway_url: str) -> None:
    """The Agents SDK's default model class speaks the Responses API: pointed at the gateway
    with no other change, its tool loop completes, on the frontier for the hard task and
    locally for the simple one; streamed runs end with the same answer."""
    from agents import Agent, Runner, set_default_openai_client, set_tracing_disabled

    set_tracing_disabled(True)
    tools = [agent_tool(get_weather), agent_tool(to_fahrenheit)]
    agent = Agent(name="weather", instructions="Use the tools.", tools=tools, model="asymroute")

    async def runs() -> tuple[Any, Any, Any]:
        # One client per event loop: its connection pool belongs to the loop it was made in.
        set_default_openai_client(
            openai.AsyncOpenAI(base_url=f"{gateway_url}/v1", api_key=KEY, max_retries=0),
            use_for_tracing=False,
        )
        hard = await Runner.run(agent, COMPLEX, max_turns=6)
        simple = await Runner.run(agent.clone(tools=tools[:1]), SIMPLE, max_turns=6)
        streamed = Runner.run_streamed(agent, COMPLEX, max_turns=6)
        async for _ in streamed.stream_events():
            pass
        return hard, simple, streamed

    hard, simple, hard_streamed = asyncio.run(runs())
    assert "to_fahrenheit: 64.4F" in hard.final_output
    calls = [item for r in hard.raw_responses for item in r.output if item.type == "function_call"]
    assert [call.name for call in calls] == ["get_weather", "to_fahrenheit"]
    assert all(call.call_id.startswith("call_stub_") for call in calls)  # the frontier's
    kinds = [type(item).__name__ for item in simple.new_items]
    assert kinds == ["ToolCallItem", "ToolCallOutputItem", "MessageOutputItem"]
    assert simple.raw_responses[0].output[0].call_id.startswith("call__0_")  # llama.cpp's ids
    assert hard_streamed.final_output == hard.final_output


def test_chat_openai_on_the_responses_api_calls_tools_and_answers(gateway_url: str) -> None:
    model = chat_model(gateway_url, use_responses_api=True)
    plain = model.invoke(ARITHMETIC)
    assert isinstance(plain, AIMessage) and plain.text.strip()
    assert plain.response_metadata["model_name"].startswith("llamacpp:")
    assert tier_of(plain) == "local"
    called = model.bind_tools([get_weather, to_fahrenheit]).invoke(COMPLEX)
    assert isinstance(called, AIMessage)
    assert [call["name"] for call in called.tool_calls] == ["get_weather"]
    assert tier_of(called) == "frontier"
    assert called.tool_calls[0]["args"] == json.loads('{"city": "Paris"}')
    streamed = list(model.stream(ARITHMETIC))
    assert len(streamed) > 2 and "".join(chunk.text for chunk in streamed).strip()
