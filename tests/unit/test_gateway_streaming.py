"""The SSE stream's hold-back rules, driven by a scripted graph stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage

from asymroute.context import RouterContext
from asymroute.gateway.completions import Run
from asymroute.gateway.errors import GatewayError
from asymroute.gateway.metering import Meter
from asymroute.gateway.schemas import ChatRequest
from asymroute.gateway.streaming import CompletionStream

CONTEXT = RouterContext(local_model="ollama:small", frontier_model="openai:big")


class ScriptedGraph:
    def __init__(self, events: list[tuple[str, Any]]) -> None:
        self.events = events

    async def astream(self, *args: Any, **kwargs: Any) -> AsyncIterator[tuple[str, Any]]:
        for event in self.events:
            if isinstance(event, Exception):
                raise event
            yield event


def token(
    text: str, node: str, model: str | None = None, call: str | None = None
) -> tuple[str, Any]:
    """A streamed token; `call` is the id LangChain gives every chunk of one model call."""
    metadata: dict[str, Any] = {"langgraph_node": node}
    if model:
        metadata["ls_model_name"] = model
    return ("messages", (AIMessageChunk(content=text, id=call), metadata))


def final(answer: str, tier: str, model: str, **extra: Any) -> tuple[str, Mapping[str, Any]]:
    state = {
        "messages": [HumanMessage("q"), AIMessage(answer)],
        "answered_by": tier,
        "answer_model": model,
        "usage": [],
        "total_cost_usd": 0.0,
        **extra,
    }
    return ("values", state)


class RecordingMeter(Meter):
    """A meter whose charges are kept in `charged` instead of a key ring's store."""

    def __init__(self, estimate_usd: float = 0.0) -> None:
        self.pending: list[Any] = []  # charges the gateway would write in background tasks
        self.charged: list[float] = []
        keys: Any = None
        super().__init__(keys, "k", "run", estimate_usd, None, self.pending.append)

    async def settle(self, cost_usd: float) -> None:
        if not self.settled:
            self.settled = True
            self.charged.append(cost_usd)


def frontier_started() -> tuple[str, dict[str, Any]]:
    return ("tasks", {"id": "t1", "name": "frontier_model", "input": {}, "triggers": []})


def run_stream(events: list[Any], **options: Any) -> tuple[list[Any], dict[str, str]]:
    headers: dict[str, str] = {}
    run = Run(
        ChatRequest(model="asymroute", messages=[HumanMessage("q")], stream=True), CONTEXT, "k"
    )
    stream = CompletionStream(run, headers, RecordingMeter(), **options)

    async def collect() -> list[bytes]:
        return [event async for event in stream.events(ScriptedGraph(events))]

    raw = asyncio.run(collect())
    parsed = [
        "[DONE]" if e == b"data: [DONE]\n\n" else json.loads(e.removeprefix(b"data: ")) for e in raw
    ]
    return parsed, headers


def contents(events: list[Any]) -> list[tuple[str, str]]:
    return [
        (e["model"], e["choices"][0]["delta"]["content"])
        for e in events
        if isinstance(e, dict) and e.get("choices") and "content" in e["choices"][0]["delta"]
    ]


def test_local_fallback_inside_the_frontier_node_is_labelled_local() -> None:
    events, headers = run_stream(
        [
            token("Local ", "frontier_model", model="small"),
            token("answer", "frontier_model", model="small"),
            final("Local answer", "local", "ollama:small", flags=["frontier_failed"]),
        ]
    )
    assert contents(events) == [("ollama:small", "Local "), ("ollama:small", "answer")]
    assert headers["x-asymroute-tier"] == "local"


def test_frontier_tokens_stream_at_once_and_are_not_repeated() -> None:
    events, headers = run_stream(
        [
            token("Big ", "frontier_model", model="big"),
            token("answer", "frontier_model", model="big"),
            final("Big answer", "frontier", "openai:big"),
        ]
    )
    assert contents(events) == [("openai:big", "Big "), ("openai:big", "answer")]
    assert headers["x-asymroute-model"] == "openai:big"
    assert events[-1] == "[DONE]"


def test_tokens_of_a_fallback_deployment_are_labelled_with_its_model() -> None:
    from asymroute.providers import parse_model

    tier = [parse_model("openai:big"), parse_model("openai:spare")]
    events, headers = run_stream(
        [
            token("Spare ", "frontier_model", model="spare"),
            token("answer", "frontier_model", model="spare"),
            final("Spare answer", "frontier", "openai:spare"),
        ],
        frontier_deployments=lambda: tier,
    )
    assert contents(events) == [("openai:spare", "Spare "), ("openai:spare", "answer")]
    assert headers["x-asymroute-model"] == "openai:spare"


def test_a_stream_that_diverges_from_the_final_answer_ends_in_an_error() -> None:
    events, _ = run_stream(
        [
            token("Half an ans", "frontier_model", model="big"),
            final("Something else", "local", "ollama:small", flags=["frontier_failed"]),
        ]
    )
    assert events[-2]["error"]["code"] == "stream_diverged"
    assert events[-1] == "[DONE]"


def test_an_error_before_any_token_is_raised_for_an_http_status() -> None:
    from asymroute.errors import NoAnswerError

    with pytest.raises(GatewayError) as caught:
        run_stream([NoAnswerError("nothing answered")])
    assert caught.value.status == 502


def test_an_error_after_tokens_is_an_error_event() -> None:
    from asymroute.errors import NoAnswerError

    events, _ = run_stream(
        [token("Big", "frontier_model"), NoAnswerError("frontier: Error code: 500 - boom")]
    )
    assert contents(events) == [("openai:big", "Big")]
    message = events[-2]["error"]["message"]
    assert "boom" not in message and "request id chatcmpl-" in message
    assert events[-1] == "[DONE]"


def test_a_frontier_stream_cut_mid_answer_gets_no_fallback_appended() -> None:
    """Three frontier chunks, then the call fails and the local fallback answers in the same
    node, from a model the stream cannot tell is local (the embedded tier names none)."""
    events, _ = run_stream(
        [
            *[token(t, "frontier_model", "big", call="run-1") for t in ("The ", "answer ", "is")],
            token("A whole local answer.", "frontier_model", call="run-2"),
            final("A whole local answer.", "local", "llamacpp:smol", flags=["frontier_failed"]),
        ]
    )
    assert [text for _, text in contents(events)] == ["The ", "answer ", "is"]
    assert events[-2]["error"]["code"] == "stream_diverged"
    assert "request id chatcmpl-" in events[-2]["error"]["message"]
    assert events[-1] == "[DONE]"


def test_a_fallback_that_starts_like_the_cut_stream_is_not_appended_either() -> None:
    events, _ = run_stream(
        [
            token("The answer", "frontier_model", "big", call="run-1"),
            token("The answer is 4.", "frontier_model", call="run-2"),
            final("The answer is 4.", "local", "llamacpp:smol", flags=["frontier_failed"]),
        ]
    )
    assert [text for _, text in contents(events)] == ["The answer"]
    assert events[-2]["error"]["code"] == "stream_diverged"


def test_a_frontier_retry_with_the_same_text_completes_the_cut_stream() -> None:
    events, _ = run_stream(
        [
            token("The answer", "frontier_model", "big", call="run-1"),
            token("The answer", "frontier_model", "big", call="run-2"),
            token(" is 5.", "frontier_model", "big", call="run-2"),
            final("The answer is 5.", "frontier", "openai:big"),
        ]
    )
    assert "".join(text for _, text in contents(events)) == "The answer is 5."
    assert "error" not in events[-2]


class StalledGraph(ScriptedGraph):
    """Streams its events, then waits as a frontier call still generating would."""

    async def astream(self, *args: Any, **kwargs: Any) -> AsyncIterator[tuple[str, Any]]:
        async for event in super().astream(*args, **kwargs):
            yield event
        await asyncio.Event().wait()


def abandon_after_first_chunk(
    events: list[Any], price: Any, estimate_usd: float = 0.0
) -> list[float]:
    """Read one chunk, then hang up; returns what the stream charged for being abandoned."""
    run = Run(
        ChatRequest(model="asymroute", messages=[HumanMessage("q" * 400)], stream=True),
        CONTEXT,
        "k",
    )
    meter = RecordingMeter(estimate_usd)

    async def consume() -> None:
        stream = CompletionStream(run, {}, meter, price).events(StalledGraph(events))
        await stream.__anext__()
        await stream.aclose()  # what the gateway does when the client hangs up
        for charge in meter.pending:  # the gateway runs these as background tasks
            await charge

    asyncio.run(consume())
    return meter.charged


def test_a_stream_cut_off_mid_frontier_answer_charges_an_estimate() -> None:
    from asymroute.pricing import ModelPrice

    price = ModelPrice(input_per_million=1_000_000.0, output_per_million=2_000_000.0)
    charged = abandon_after_first_chunk(
        [frontier_started(), token("x" * 40, "frontier_model")], price
    )
    # 400 chars in (100 tokens + 4 per message), 40 chars out (10 tokens), at $1 / $2 a token
    assert charged == [pytest.approx(104 * 1.0 + 10 * 2.0)]


def test_a_cut_off_stream_charges_the_recorded_cost_once_it_is_known() -> None:
    events = [("values", {"total_cost_usd": 0.25}), token("x" * 40, "frontier_model")]
    assert abandon_after_first_chunk(events, None) == [0.25]


def test_a_cut_off_stream_charges_the_frontier_call_under_way_only() -> None:
    from asymroute.pricing import ModelPrice

    price = ModelPrice(input_per_million=1_000_000.0, output_per_million=2_000_000.0)
    local = [token("held", "local_model"), final("held", "local", "ollama:small")]
    assert abandon_after_first_chunk(local, price) == [0.0]  # no frontier call: nothing more
    under_way = [
        frontier_started(),
        ("values", {"total_cost_usd": 0.5}),
        token("y", "frontier_model"),
    ]
    # $0.5 recorded, plus the 104 input tokens and 1 token out of the frontier call under way
    assert abandon_after_first_chunk(under_way, price) == [pytest.approx(0.5 + 104 + 2)]


def test_a_plain_request_cut_off_during_a_frontier_call_is_charged_its_estimate(
    caplog: pytest.LogCaptureFixture,
) -> None:
    meter = RecordingMeter(estimate_usd=0.75)

    class Stalled:
        async def astream(self, *args: Any, **kwargs: Any) -> AsyncIterator[tuple[str, Any]]:
            yield ("values", {"total_cost_usd": 0.1})
            yield frontier_started()
            await asyncio.Event().wait()

    async def cancel_mid_call() -> None:
        task = asyncio.ensure_future(meter.run(Stalled(), {}, {}, CONTEXT))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    with caplog.at_level("WARNING", logger="asymroute.gateway.metering"):
        asyncio.run(cancel_mid_call())
        for charge in meter.pending:  # the gateway runs these as background tasks
            asyncio.run(charge)
    assert meter.charged == [0.75]
    assert "of key 'k' was cancelled" in caplog.text and "$0.75000000" in caplog.text


def test_a_frontier_call_is_charged_though_its_task_event_was_never_read() -> None:
    """The frontier node's model call has started, but the gateway hangs up before reading the
    "tasks" event from LangGraph's stream: the callback watch still knows the call is out."""
    from langchain_core.language_models.fake_chat_models import FakeListChatModel
    from langgraph.graph import START, StateGraph
    from typing_extensions import TypedDict

    class State(TypedDict):
        answer: str

    started = asyncio.Event()

    class Stalling(FakeListChatModel):
        async def _agenerate(self, *args: Any, **kwargs: Any) -> Any:
            started.set()
            await asyncio.Event().wait()

    async def frontier_model(state: State) -> State:
        reply = await Stalling(responses=["never"]).ainvoke("q")
        return {"answer": str(reply.content)}

    builder = StateGraph(State)
    builder.add_node("frontier_model", frontier_model)
    builder.add_edge(START, "frontier_model")
    graph = builder.compile()
    meter = RecordingMeter(estimate_usd=0.75)

    async def cancel_once_the_call_started() -> None:
        task = asyncio.ensure_future(meter.run(graph, {"answer": ""}, {}, None))
        await started.wait()
        meter.frontier_task_running = False  # as if the "tasks" event were still queued
        assert meter.watch.running
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancel_once_the_call_started())
    for charge in meter.pending:  # the gateway runs these as background tasks
        asyncio.run(charge)
    assert meter.charged == [0.75]
