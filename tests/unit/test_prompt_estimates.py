"""The prompt's token estimates count what the model is sent besides message text: the tool
definitions (sent with every call), the arguments of earlier tool calls, and images."""

from __future__ import annotations

import asyncio
from typing import Any

import openai
import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from asymroute.budget import (
    IMAGE_PART_TOKENS,
    LOW_DETAIL_IMAGE_TOKENS,
    check_router_state,
    estimate_call_cost,
    estimate_input_tokens,
    most_input_tokens,
)
from asymroute.context import RouterContext
from asymroute.gateway.metering import worst_case_cost
from asymroute.gateway.rate_limits import KeyRateLimits, open_storage, parse_key_limits
from asymroute.planning import RouterSetup
from asymroute.pricing import ModelPrice
from asymroute.settings import Settings
from tests.support.fake_provider import FakeProvider
from tests.support.gateway_app import KEY, ask, client_for, gateway

DESCRIPTION = "Looks the weather up. " * 100  # 2200 characters
TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": DESCRIPTION,
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}
QUESTION = [HumanMessage("What is the weather in Paris?")]
PRICE = ModelPrice(input_per_million=1_000_000.0, output_per_million=0.0)  # $1 a token in


def image_message(detail: str | None = None) -> HumanMessage:
    image: dict[str, Any] = {"url": "data:image/png;base64," + "A" * 4000}
    if detail is not None:
        image["detail"] = detail
    return HumanMessage(
        [{"type": "text", "text": "What is this?"}, {"type": "image_url", "image_url": image}]
    )


def test_tool_definitions_count_in_every_estimate() -> None:
    plain, with_tools = estimate_input_tokens(QUESTION), estimate_input_tokens(QUESTION, [TOOL])
    assert with_tools - plain >= len(DESCRIPTION) // 4
    assert most_input_tokens(QUESTION, [TOOL]) - most_input_tokens(QUESTION) >= len(DESCRIPTION)
    assert estimate_call_cost(PRICE, QUESTION, 0, [TOOL]) == float(with_tools)


def test_the_arguments_of_earlier_tool_calls_count() -> None:
    arguments = {"city": "Paris " * 200}
    call = AIMessage("", tool_calls=[{"name": "get_weather", "args": arguments, "id": "c1"}])
    steps = [*QUESTION, call, ToolMessage("18C", tool_call_id="c1")]
    without_arguments = [*QUESTION, AIMessage(""), ToolMessage("18C", tool_call_id="c1")]
    assert estimate_input_tokens(steps) - estimate_input_tokens(without_arguments) >= 1200 // 4
    assert most_input_tokens(steps) - most_input_tokens(without_arguments) >= 1200


def test_an_image_counts_at_its_fixed_estimate_not_its_bytes() -> None:
    text_only = HumanMessage("What is this?")
    base = estimate_input_tokens([text_only])
    assert estimate_input_tokens([image_message()]) == base + IMAGE_PART_TOKENS
    assert estimate_input_tokens([image_message("high")]) == base + IMAGE_PART_TOKENS
    assert estimate_input_tokens([image_message("low")]) == base + LOW_DETAIL_IMAGE_TOKENS
    assert most_input_tokens([image_message()]) == most_input_tokens([text_only]) + 1445
    assert IMAGE_PART_TOKENS == 85 + 170 * 8  # OpenAI's high-detail bound: 2x4 tiles of 512 px


def test_the_frontier_budget_check_counts_the_tools() -> None:
    context = RouterContext(budget_per_run_usd=50.0, max_output_tokens=1)
    state = {"messages": QUESTION}
    price = ModelPrice(input_per_million=1_000_000.0, output_per_million=0.0)
    assert check_router_state(state, context, price).allowed
    with_tools = RouterContext(budget_per_run_usd=50.0, max_output_tokens=1, tools=[TOOL])
    refused = check_router_state(state, with_tools, price)
    assert not refused.allowed and "run spend" in (refused.reason or "")


def test_the_gateway_reservation_counts_the_tools(fake_provider: FakeProvider) -> None:
    priced = Settings(
        _env_file=None,  # type: ignore[call-arg]
        price_overrides={"fake:frontier": {"input_per_million": 1e6, "output_per_million": 0.0}},
    )
    context = RouterContext(local_model="fake:good", frontier_model="fake:frontier")
    setup = RouterSetup.build(priced, context)
    plain = worst_case_cost(setup, setup.plan(context), QUESTION, 10)
    with_tools = RouterContext(
        local_model="fake:good", frontier_model="fake:frontier", tools=[TOOL]
    )
    tooled = worst_case_cost(setup, setup.plan(with_tools), QUESTION, 10)
    assert tooled - plain >= len(DESCRIPTION)  # $1 a token, at least a token per byte


def test_the_rate_limit_token_reservation_counts_the_tools() -> None:
    limits = KeyRateLimits(
        parse_key_limits({"alice": {"tokens": "1000/minute"}}, ("alice",)), open_storage(None)
    )

    async def remaining(tools: list[dict[str, Any]]) -> int:
        admission = await limits.admit("alice", QUESTION, 0, tools)
        left = int(admission.headers["x-ratelimit-remaining-tokens"])
        await admission.settled_with(0)
        return left

    plain, tooled = asyncio.run(remaining([])), asyncio.run(remaining([TOOL]))
    assert plain - tooled >= len(DESCRIPTION) // 4


def test_the_app_refuses_a_request_whose_tools_pass_the_token_limit(
    fake_provider: FakeProvider,
) -> None:
    with gateway(
        gateway_keys={"team": KEY}, gateway_key_limits={"team": {"tokens": "400/minute"}}
    ) as http:
        client = client_for(http)
        assert ask(client, max_tokens=10).headers["x-ratelimit-limit-tokens"] == "400"
        with pytest.raises(openai.RateLimitError, match="tokens"):
            ask(client, max_tokens=10, tools=[TOOL])
