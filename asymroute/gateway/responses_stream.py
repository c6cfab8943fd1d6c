"""`stream: true` on `/v1/responses`: the chat stream's chunks as Responses API events.

The chat stream (`gateway.streaming`) already decides what a client may see: frontier tokens as
they come, a local answer once validated, nothing of a rejected answer, usage and routing
details at the end. This module only re-expresses those chunks in the Responses API's event
sequence: `response.created` and `response.in_progress`; per output item `output_item.added`,
its deltas (`output_text.delta`, `function_call_arguments.delta`) and its `.done` events; then
`response.completed` (or `response.incomplete` at `max_output_tokens`) with the whole response.
An error after the stream started is an `error` event followed by `response.failed`.

Why it reads the chat chunks back from their bytes: it keeps the two protocols apart (the chat
stream stays the single place that decides what is sent), and it is cheap. Measured on the
2-core CI machine under load (5,000 one-token chunks): 7 µs added per token, against 10 to 50
ms between a model's tokens.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from typing import Any

from asymroute.gateway.completions import Run
from asymroute.gateway.responses_output import (
    function_call_item,
    item_id,
    message_item,
    response_object,
    responses_usage,
    text_part,
)


def event_bytes(data: dict[str, Any]) -> bytes:
    payload = json.dumps(data, separators=(",", ":"))
    return f"event: {data['type']}\ndata: {payload}\n\n".encode()


def chunks_of(raw: bytes) -> list[Any]:
    """The JSON payloads (or the string "[DONE]") of server-sent events."""
    out: list[Any] = []
    for event in raw.split(b"\n\n"):
        for line in event.split(b"\n"):
            if line.startswith(b"data: "):
                data = line[len(b"data: ") :]
                out.append("[DONE]" if data == b"[DONE]" else json.loads(data))
    return out


class ResponseEvents:
    """One response's events, built from the chat chunks of its run."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.sequence = 0
        self.started = False
        self.ended = False
        self.items: list[dict[str, Any]] = []
        """Output items in order, each updated as its deltas arrive."""
        self.open_message: int | None = None
        self.calls: dict[int, int] = {}
        """The chat delta's tool-call index -> output index of its function_call item."""
        self.open_calls: list[int] = []
        self.model: str | None = None
        self.finish_reason: str | None = None
        self.usage: dict[str, Any] | None = None
        self.details: dict[str, Any] | None = None

    async def translate(self, chunks: AsyncGenerator[bytes, None]) -> AsyncGenerator[bytes, None]:
        try:
            async for raw in chunks:
                out = b"".join(self.on_chunk(data) for data in chunks_of(raw) if not self.ended)
                if out:
                    yield out
        finally:
            await chunks.aclose()  # closing this stream closes the run's (and cancels the run)

    def emit(self, kind: str, **fields: Any) -> bytes:
        self.sequence += 1
        return event_bytes({"type": kind, "sequence_number": self.sequence - 1, **fields})

    def response(self, status: str, **fields: Any) -> dict[str, Any]:
        return response_object(self.run, status=status, model=self.model, **fields)

    def on_chunk(self, data: Any) -> bytes:
        out = b""
        if not self.started:
            self.started = True
            snapshot = self.response("in_progress", output=[])
            out += self.emit("response.created", response=snapshot)
            out += self.emit("response.in_progress", response=snapshot)
        if data == "[DONE]":
            return out + self.finish()
        if "error" in data:
            return out + self.failed(data["error"])
        self.model = data.get("model") or self.model
        self.usage = data.get("usage") or self.usage
        self.details = data.get("asymroute") or self.details
        for choice in data.get("choices") or []:
            delta = choice.get("delta") or {}
            if delta.get("content"):
                out += self.text(delta["content"], (choice.get("logprobs") or {}).get("content"))
            for call in delta.get("tool_calls") or []:
                out += self.call_delta(call)
            self.finish_reason = choice.get("finish_reason") or self.finish_reason
        return out

    def open_message_item(self) -> bytes:
        out = self.close_calls()
        self.open_message = len(self.items)
        item = message_item(item_id("msg"), "", None, "in_progress")
        self.items.append(item)
        where = {"output_index": self.open_message}
        out += self.emit("response.output_item.added", **where, item=item | {"content": []})
        return out + self.emit(
            "response.content_part.added",
            **where,
            item_id=item["id"],
            content_index=0,
            part=text_part(""),
        )

    def text(self, piece: str, logprobs: list[dict[str, Any]] | None) -> bytes:
        out = self.open_message_item() if self.open_message is None else b""
        position = self.open_message
        assert position is not None
        item = self.items[position]
        part = item["content"][0]
        part["text"] += piece
        part["logprobs"] += logprobs or []
        return out + self.emit(
            "response.output_text.delta",
            item_id=item["id"],
            output_index=position,
            content_index=0,
            delta=piece,
            logprobs=logprobs or [],
        )

    def call_delta(self, call: dict[str, Any]) -> bytes:
        out = b""
        function = call.get("function") or {}
        index = call.get("index", 0)
        if index not in self.calls:
            out += self.close_message()
            self.calls[index] = len(self.items)
            self.open_calls.append(len(self.items))
            item = function_call_item(
                item_id("fc"),
                call.get("id") or item_id("call"),
                function.get("name") or "",
                "",
                status="in_progress",
            )
            self.items.append(item)
            added = {"output_index": self.calls[index], "item": item}
            out += self.emit("response.output_item.added", **added)
        position = self.calls[index]
        item = self.items[position]
        arguments = function.get("arguments") or ""
        if not arguments:
            return out
        item["arguments"] += arguments
        return out + self.emit(
            "response.function_call_arguments.delta",
            item_id=item["id"],
            output_index=position,
            delta=arguments,
        )

    def close_message(self) -> bytes:
        if self.open_message is None:
            return b""
        position, self.open_message = self.open_message, None
        item = self.items[position]
        item["status"] = self.status()
        part = item["content"][0]
        where = {"item_id": item["id"], "output_index": position, "content_index": 0}
        return (
            self.emit("response.output_text.done", **where, **_text_of(part))
            + self.emit("response.content_part.done", **where, part=part)
            + self.emit("response.output_item.done", output_index=position, item=item)
        )

    def close_calls(self) -> bytes:
        out = b""
        for position in self.open_calls:
            item = self.items[position]
            item["status"] = "completed"
            out += self.emit(
                "response.function_call_arguments.done",
                item_id=item["id"],
                output_index=position,
                name=item["name"],
                arguments=item["arguments"],
            )
            out += self.emit("response.output_item.done", output_index=position, item=item)
        self.open_calls = []
        return out

    def status(self) -> str:
        return "incomplete" if self.finish_reason == "length" else "completed"

    def finish(self) -> bytes:
        self.ended = True
        out = b""
        if not self.items:  # an empty answer is still one (empty) message
            out += self.open_message_item()
        out += self.close_message() + self.close_calls()
        status = self.status()
        usage = responses_usage(self.usage) if self.usage else None
        whole = self.response(status, output=self.items, usage=usage, details=self.details)
        return out + self.emit(f"response.{status}", response=whole)

    def failed(self, error: dict[str, Any]) -> bytes:
        self.ended = True
        message = str(error.get("message", "the gateway failed"))
        failure = {"code": "server_error", "message": message}
        return self.emit(
            "error", code=error.get("code"), message=message, param=error.get("param")
        ) + self.emit(
            "response.failed", response=self.response("failed", output=self.items, error=failure)
        )


def _text_of(part: dict[str, Any]) -> dict[str, Any]:
    return {"text": part["text"], "logprobs": part["logprobs"]}


def response_events(run: Run, chunks: AsyncGenerator[bytes, None]) -> AsyncGenerator[bytes, None]:
    return ResponseEvents(run).translate(chunks)
