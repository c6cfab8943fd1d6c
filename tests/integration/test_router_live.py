"""The router graph end to end on real inference: Ollama protocol, OpenAI protocol, embedded."""

from __future__ import annotations

import asyncio

import pytest

from asymroute.context import RouterContext
from asymroute.errors import FrontierUnavailableError
from asymroute.graphs.router import build_router
from asymroute.settings import Settings
from tests.integration.conftest import FRONTIER_ALIAS, FRONTIER_PRICE, OLLAMA_MODEL, live_settings

SIMPLE = "What is 2+3?"
COMPLEX = (
    "Analyze and debug this function, then refactor it so it is correct:\n"
    "```python\ndef add(a, b):\n    return a - b\n```"
)
LIVE = RouterContext(
    local_model=f"ollama:{OLLAMA_MODEL}",
    frontier_model=f"openai:{FRONTIER_ALIAS}",
    max_output_tokens=48,
)


def ask(settings: Settings, prompt: str, context: RouterContext = LIVE) -> dict:
    return build_router(settings, defaults=context).invoke({"messages": [("user", prompt)]})


def test_simple_prompt_stays_on_the_local_tier(settings: Settings) -> None:
    result = ask(settings, SIMPLE)

    assert result["decision"]["tier"] == "local"
    assert result["decision"]["score"] < result["decision"]["threshold"]
    assert result["answered_by"] == "local" and not result["escalated"]
    assert result["verdict"]["passed"]
    [usage] = result["usage"]
    assert usage["model"] == f"ollama:{OLLAMA_MODEL}" and usage["tier"] == "local"
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    assert usage["cost_usd"] == 0.0 and result["total_cost_usd"] == 0.0
    assert "5" in result["messages"][-1].content


def test_complex_prompt_goes_to_the_frontier_and_is_priced(settings: Settings) -> None:
    result = ask(settings, COMPLEX)

    assert result["decision"]["tier"] == "frontier"
    assert result["decision"]["classifier"] == "embedding" and result["decision"]["reasons"]
    assert result["answered_by"] == "frontier"
    assert result["answer_model"] == f"openai:{FRONTIER_ALIAS}"
    [usage] = result["usage"]
    assert usage["tier"] == "frontier" and usage["error"] is None
    assert 0 < usage["output_tokens"] <= 48
    expected = FRONTIER_PRICE.cost(usage["input_tokens"], usage["output_tokens"])
    assert usage["cost_usd"] == pytest.approx(expected) and expected > 0
    assert result["total_cost_usd"] == pytest.approx(expected)
    assert result["messages"][-1].content.strip()


def test_embedded_llamacpp_is_the_zero_setup_local_tier(settings: Settings) -> None:
    context = RouterContext(local_model="llamacpp:smollm2", max_output_tokens=32)
    result = ask(settings, SIMPLE, context)

    assert result["answered_by"] == "local"
    assert result["answer_model"] == "llamacpp:smollm2"
    [usage] = result["usage"]
    assert usage["input_tokens"] > 0 and 0 < usage["output_tokens"] <= 32
    assert "5" in result["messages"][-1].content


def test_local_server_down_escalates_to_the_frontier(
    openai_server: str, stopped_ollama_url: str
) -> None:
    result = ask(live_settings(openai_server, stopped_ollama_url), SIMPLE)

    assert result["decision"]["tier"] == "local"
    assert result["escalated"] is True
    assert "local call failed" in result["escalation_reason"]
    assert "Connect" in result["escalation_reason"]
    assert [u["tier"] for u in result["usage"]] == ["local", "frontier"]
    assert result["usage"][0]["error"] and result["usage"][1]["error"] is None
    assert result["local_answer"] is None
    assert result["answered_by"] == "frontier"
    assert result["total_cost_usd"] == pytest.approx(result["usage"][1]["cost_usd"])


def test_truncated_local_answer_escalates(settings: Settings) -> None:
    context = RouterContext(
        local_model=f"ollama:{OLLAMA_MODEL}",
        frontier_model=f"openai:{FRONTIER_ALIAS}",
        max_output_tokens=3,
        threshold=1.0,
    )
    result = ask(settings, "Tell me a long story about a dragon.", context)

    assert result["escalated"] and "truncated" in result["escalation_reason"]
    # The rejected local answer is kept for inspection but never shown as the reply.
    assert result["local_answer"] is not None
    assert result["messages"][-1] is not result["local_answer"]
    assert result["messages"][-1].response_metadata.get("model_name") == FRONTIER_ALIAS
    assert [m.type for m in result["messages"]] == ["human", "ai"]


def test_missing_frontier_answers_locally_and_says_so(ollama_server: str) -> None:
    result = ask(live_settings(None, ollama_server), COMPLEX)

    assert result["decision"]["tier"] == "frontier"
    assert result["decision"]["frontier_unavailable"] is True
    assert "frontier_unavailable" in result["flags"]
    assert result["answered_by"] == "local"
    assert [u["tier"] for u in result["usage"]] == ["local"]


def test_missing_frontier_is_an_error_when_strict(ollama_server: str) -> None:
    strict = RouterContext(local_model=f"ollama:{OLLAMA_MODEL}", strict=True)
    with pytest.raises(FrontierUnavailableError, match="OPENAI_API_KEY or OPENAI_BASE_URL"):
        ask(live_settings(None, ollama_server), COMPLEX, strict)


def test_ainvoke_and_stream_on_live_models(settings: Settings) -> None:
    graph = build_router(settings, defaults=LIVE)
    result = asyncio.run(graph.ainvoke({"messages": [("user", SIMPLE)]}))
    assert result["answered_by"] == "local"

    updates = list(graph.stream({"messages": [("user", COMPLEX)]}, stream_mode="updates"))
    assert [next(iter(update)) for update in updates] == ["classify", "frontier_model"]


def test_one_graph_serves_successive_event_loops(settings: Settings) -> None:
    """Async clients are bound to their loop: each `asyncio.run` must get working ones."""
    graph = build_router(settings, defaults=LIVE)
    for prompt in (SIMPLE, COMPLEX, SIMPLE, COMPLEX):
        result = asyncio.run(graph.ainvoke({"messages": [("user", prompt)]}))
        assert all(record["error"] is None for record in result["usage"]), result["usage"]


def test_per_run_context_overrides_the_defaults(settings: Settings) -> None:
    graph = build_router(settings, defaults=LIVE)
    result = graph.invoke(
        {"messages": [("user", SIMPLE)]},
        context=RouterContext(
            local_model=f"ollama:{OLLAMA_MODEL}",
            frontier_model=f"openai:{FRONTIER_ALIAS}",
            threshold=0.0,
            max_output_tokens=16,
        ),
    )
    assert result["decision"]["threshold"] == 0.0
    assert result["answered_by"] == "frontier"
