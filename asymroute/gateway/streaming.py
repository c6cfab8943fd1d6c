"""`stream: true`: chat-completion chunks as server-sent events.

Frontier tokens go straight to the client. Local tokens are held until `validate` lets the
local answer through; when it escalates they are dropped and the frontier's answer streams
instead, so a client never sees a rejected answer. Headers go out with the first token, when
the answering tier is known.

A client that hangs up mid-answer stops the stream before the run's cost is known. So that
hanging up is not a way around a key's budget, the stream then charges what it can tell was
spent (`gateway.metering`): the recorded cost, plus, when a frontier call was under way, an
estimate from the request and the frontier text already streamed (`streamed_frontier_cost`).

A JSON-mode answer (`response_format`) is sent whole when the run ends, from either tier: the
client can only parse it complete, and it is sent as bare JSON, with any fence a model put
around it removed, which a token-by-token stream could not undo.

Tool calls stream as OpenAI's `tool_calls` deltas: the frontier's as they arrive, a local
answer's whole once `validate` let it through (`gateway.tool_messages`); the last chunk then
says `finish_reason: "tool_calls"`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from typing import Any

from langchain_core.messages import BaseMessage

from asymroute.budget import CHARS_PER_TOKEN, estimate_input_tokens
from asymroute.errors import AsymrouteError
from asymroute.gateway.completions import (
    Run,
    answer_choices,
    answer_finish_reason,
    answer_text,
    answer_usage,
    overhead_ms,
    routing_details,
)
from asymroute.gateway.errors import GatewayError, from_router_error
from asymroute.gateway.metering import STREAM_MODES, Meter
from asymroute.gateway.tool_messages import tool_call_deltas, whole_tool_call_deltas
from asymroute.json_mode import wants_json
from asymroute.planning import RunPlan
from asymroute.pricing import ModelPrice
from asymroute.providers import ModelSpec, parse_model
from asymroute.requests import content_text

logger = logging.getLogger(__name__)

DONE = b"data: [DONE]\n\n"


def sse(data: Mapping[str, Any]) -> bytes:
    return b"data: " + json.dumps(data, separators=(",", ":")).encode() + b"\n\n"


def is_local_run(
    metadata: Mapping[str, Any], local: ModelSpec, frontier: Sequence[ModelSpec]
) -> bool:
    """Whether a model call in the frontier node is the local fallback, not the frontier (any
    of the frontier tier's deployments)."""
    name = metadata.get("ls_model_name")
    return name is not None and name == local.model and all(f.model != name for f in frontier)


class CompletionStream:
    """Turns the graph's message and state stream into OpenAI chunks."""

    def __init__(
        self,
        run: Run,
        headers: dict[str, str],
        meter: Meter,
        frontier_price: ModelPrice | None = None,
        plan: RunPlan | None = None,
        served_frontier: Callable[[], ModelSpec] | None = None,
        frontier_deployments: Callable[[], Sequence[ModelSpec]] | None = None,
    ) -> None:
        self.run = run
        self.meter = meter  # settled once: when the graph ends, fails, or is cut off
        self.frontier_price = frontier_price
        self.frontier_chars_sent = 0
        self.headers = headers  # filled in before the first chunk is yielded
        # The plan's tiers: a model list's deployments (a context may name one by its id).
        self.local = plan.local if plan else parse_model(run.context.local_model)
        self.configured_frontier = (
            plan.frontier if plan else parse_model(run.context.frontier_model)
        )
        self.plan = plan  # prices the frontier
        self.served_frontier = served_frontier  # the frontier as its server names it, once known
        # Every frontier deployment's model as served: a token is labelled with the one that
        # streamed it (a fallback deployment's model, not the tier's first).
        self.frontier_deployments = frontier_deployments
        # Several choices, or log-probs: sent whole at the end, every choice with its own.
        self.as_choices = run.context.n > 1 or run.context.logprobs
        self.whole_answer = wants_json(run.context.response_format) or self.as_choices
        self.sent: list[str] = []
        self.started = False
        """Whether any chunk went out (text or tool calls): the status line is sent."""
        self.sent_tool_calls = False
        self.streamed_call: str | None = None
        """The id of the model call whose tokens went to the client (one per call)."""
        self.held: list[str] = []
        self.released = False
        self.state: Mapping[str, Any] = {}

    @property
    def frontier(self) -> ModelSpec:
        return self.served_frontier() if self.served_frontier else self.configured_frontier

    def frontier_models(self) -> Sequence[ModelSpec]:
        return self.frontier_deployments() if self.frontier_deployments else [self.frontier]

    def streaming_frontier(
        self, metadata: Mapping[str, Any], frontier: Sequence[ModelSpec]
    ) -> ModelSpec:
        """Of the frontier deployments' models, the one that streamed a token, by the name its
        chat model reports (`ls_model_name`); the tier's first when that names none of them."""
        name = metadata.get("ls_model_name")
        return next((m for m in frontier if m.model == name), self.frontier)

    def chunk_data(
        self, model: str | None, delta: dict[str, Any], finish: str | None = None
    ) -> dict[str, Any]:
        return {
            "id": self.run.id,
            "object": "chat.completion.chunk",
            "created": self.run.created,
            "model": model,
            "system_fingerprint": None,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }

    def content(self, model: str, text: str, tier: str) -> bytes:
        self.sent.append(text)
        return self.delta(model, {"content": text}, tier)

    def tool_calls(self, model: str, deltas: list[dict[str, Any]], tier: str) -> bytes:
        self.sent_tool_calls = True
        return self.delta(model, {"tool_calls": deltas}, tier)

    def delta(self, model: str, fields: dict[str, Any], tier: str) -> bytes:
        delta = fields
        if not self.started:
            self.started = True
            delta = {"role": "assistant", **fields}
            self.headers.update(
                {
                    "x-asymroute-tier": tier,
                    "x-asymroute-model": model,
                    "x-asymroute-escalated": "true" if self.state.get("escalated") else "false",
                }
            )
        return sse(self.chunk_data(model, delta))

    async def events(self, graph: Any) -> AsyncGenerator[bytes, None]:
        try:
            async for mode, payload in graph.astream(
                self.run.graph_input,
                self.meter.watched(self.run.graph_config),
                context=self.run.context,
                stream_mode=["messages", *STREAM_MODES],
            ):
                if mode != "messages":
                    self.meter.observe(mode, payload)
                if mode == "values":
                    self.state = payload
                    for event in self.release_validated_local():
                        yield event
                elif mode == "messages":
                    for event in self.token(*payload):
                        yield event
        except (asyncio.CancelledError, GeneratorExit):
            # Nothing may await here (the stream is being closed or cancelled).
            self.meter.cancelled_in_background(self.streamed_frontier_cost())
            raise
        except Exception as exc:
            await self.meter.finished()
            if isinstance(exc, AsymrouteError):
                failure = from_router_error(exc, self.run.id)
            else:
                logger.exception("the gateway failed while streaming %s", self.run.id)
                failure = GatewayError(
                    500,
                    f"internal error in the asymroute gateway (request id {self.run.id}); its "
                    "log has the details under that id",
                    type="server_error",
                )
            if not self.started:
                raise failure from exc
            # The status line is already sent: end the stream with an error event instead.
            yield sse(failure.body())
            yield DONE
            return
        # Before the last events: a client that stops reading at [DONE] is still charged.
        await self.meter.finished()
        for event in self.finish():
            yield event

    def streamed_frontier_cost(self) -> float | None:
        """An estimate of the frontier call cut off mid-answer, from the text it streamed."""
        price = self.frontier_price
        if self.plan is not None:  # the frontier's price as served (known once it was called)
            price = self.plan.price_table.price_for(self.frontier.provider, self.frontier.model)
        if price is None:
            return None
        output_tokens = math.ceil(self.frontier_chars_sent / CHARS_PER_TOKEN)
        prompt = estimate_input_tokens(self.run.request.messages, self.run.context.tools)
        return price.cost(prompt, output_tokens)

    def token(self, message: BaseMessage, metadata: Mapping[str, Any]) -> list[bytes]:
        text, calls = content_text(message), tool_call_deltas(message)
        node = metadata.get("langgraph_node")
        if not (text or calls) or node not in ("local_model", "frontier_model"):
            return []
        # Asked once per token: the served names behind it may be learned mid-stream.
        frontier = self.frontier_models() if node == "frontier_model" else ()
        if node == "frontier_model" and not is_local_run(metadata, self.local, frontier):
            if self.streamed_call not in (None, message.id):
                # Tokens of the call that failed mid-answer have gone out: what a retry or the
                # local fallback says is not appended to them (`finish` ends with an error).
                return []
            self.streamed_call = message.id
            arguments = sum(len(call.get("function", {}).get("arguments", "")) for call in calls)
            self.frontier_chars_sent += len(text) + arguments
            if self.whole_answer:
                return []  # sent by `finish`, as the final answer
            model = self.streaming_frontier(metadata, frontier).id
            events = [self.content(model, text, "frontier")] if text else []
            if calls:
                events.append(self.tool_calls(model, calls, "frontier"))
            return events
        if text:
            self.held.append(text)  # a local answer: it waits for validation
        return []

    def release_validated_local(self) -> list[bytes]:
        if self.as_choices or self.released or self.state.get("answered_by") != "local":
            return []
        if self.frontier_chars_sent:
            return []  # a fallback after the frontier failed mid-answer: `finish` says so
        self.released = True
        answer = answer_text(self.state)
        pieces = self.held if "".join(self.held) == answer else [answer]
        model = str(self.state.get("answer_model"))
        events = [self.content(model, piece, "local") for piece in pieces if piece]
        if calls := whole_tool_call_deltas(self.state["messages"][-1]):
            events.append(self.tool_calls(model, calls, "local"))
        return events

    def choices_events(self, model: str) -> tuple[list[bytes], dict[str, Any]]:
        """Each choice whole, with its log-probs; and the final chunk with their finish."""
        choices = answer_choices(self.state, self.run.context)
        events = [self.content(model, "", str(self.state["answered_by"]))] if choices else []
        for index, choice in enumerate(choices):
            delta: dict[str, Any] = {"role": "assistant", "content": choice.content}
            if choice.tool_calls:
                delta["tool_calls"] = [{"index": i, **c} for i, c in enumerate(choice.tool_calls)]
            data = self.chunk_data(model, delta)
            data["choices"][0] |= {"index": index, "logprobs": choice.logprobs}
            events.append(sse(data))
        final = self.chunk_data(model, {})
        final["choices"] = [
            {"index": index, "delta": {}, "logprobs": None, "finish_reason": choice.finish_reason}
            for index, choice in enumerate(choices)
        ]
        return events, final

    def finish(self) -> list[bytes]:
        state, events = self.state, list[bytes]()
        answer, streamed = answer_text(state), "".join(self.sent)
        model = str(state.get("answer_model"))
        if self.as_choices:
            events, final = self.choices_events(model)
            return self.closing(events, final, model)
        calls = whole_tool_call_deltas(state["messages"][-1])
        calls_only = bool(calls) and not answer  # no empty text chunk before the calls
        if (streamed != answer or not self.started) and not calls_only:
            fell_back = self.frontier_chars_sent and state.get("answered_by") != "frontier"
            if streamed and (fell_back or not answer.startswith(streamed)):
                # The frontier failed mid-answer and another answer replaced it: appending
                # that to the tokens already sent would hand the client a spliced text.
                logger.warning("streamed answer diverged from the final answer of %s", self.run.id)
                failure = GatewayError(
                    502,
                    f"the answering model failed mid-stream (request id {self.run.id}); the "
                    "text streamed so far is incomplete: retry the request",
                    type="server_error",
                    code="stream_diverged",
                )
                return [sse(failure.body()), DONE]
            events.append(self.content(model, answer[len(streamed) :], str(state["answered_by"])))
        if calls and not self.sent_tool_calls:
            events.append(self.tool_calls(model, calls, str(state["answered_by"])))
        final = self.chunk_data(model, {}, answer_finish_reason(state))
        return self.closing(events, final, model)

    def closing(self, events: list[bytes], final: dict[str, Any], model: str) -> list[bytes]:
        """`events`, then the final chunk with the routing details, the usage and [DONE]."""
        state = self.state
        final["asymroute"] = routing_details(self.run, state) | {
            "overhead_ms": overhead_ms(self.run, state)
        }
        events.append(sse(final))
        if self.run.request.include_usage:
            usage = self.chunk_data(model, {}) | {"choices": [], "usage": answer_usage(state)}
            events.append(sse(usage))
        events.append(DONE)
        return events
