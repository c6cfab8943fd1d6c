"""Anthropic's Messages API and Google's Gemini API on loopback, as their SDKs speak them.

    python tests/support/provider_stubs.py --port 9200 --key sk-stub

Anthropic (`anthropic` SDK, as langchain-anthropic calls it): `POST /v1/messages` with the
key in `x-api-key` or, as the anthropic SDK 2.x sends it, `Authorization: Bearer`, and an
`anthropic-version` header; a JSON `Message`, or with `"stream":
true` the SSE events `message_start`, `content_block_start`, `ping`, `content_block_delta`
(`text_delta`, `input_json_delta`), `content_block_stop`, `message_delta` (stop reason and
the whole usage: langchain-anthropic reads the input tokens there), `message_stop`. Shapes
follow `anthropic.types` (Message, Raw*Event).

Gemini (`google-genai`, as langchain-google-genai calls it): `POST /{version}/models/{model}
:generateContent`, and `:streamGenerateContent?alt=sse` (SSE `data:` lines, each a
`GenerateContentResponse` with the usage so far), the key in `x-goog-api-key`; camelCase
fields as `google.genai.models._GenerateContentResponse_from_mldev` reads them.

Both answer ANSWER, cut to `max_tokens` / `maxOutputTokens` words (stop reason max_tokens /
MAX_TOKENS); a request with tools calls the first tool once (a required string is "Paris", a
number 21), then answers "Done: " and the tool's result. A wrong key is a 401 quoting the
key (Anthropic) or 400 INVALID_ARGUMENT (Gemini), in each API's error shape; a model
named `fail-NNN` is answered with that status and `Retry-After: 7`. `GET /recorded` lists
the requests.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

ANSWER = "The answer is 5."
INPUT_TOKENS = 20
KEY_ENV = "PROVIDER_STUBS_KEY"
GEMINI_PATH = re.compile(r"^/[^/]+/models/(?P<model>[^:/]+):(?P<method>\w+)$")

Send = Callable[[dict[str, Any]], Awaitable[None]]
recorded: deque[dict[str, Any]] = deque(maxlen=64)


def _arguments(schema: dict[str, Any]) -> dict[str, Any]:
    kinds = {"string": "Paris", "number": 21, "integer": 21, "boolean": True}
    properties = schema.get("properties") or {}
    return {
        name: kinds.get(str(spec.get("type", "string")).lower(), "Paris")
        for name, spec in properties.items()
        if name in (schema.get("required") or properties)
    }


def _words(limit: int | None) -> tuple[list[str], bool]:
    words = [w if i == 0 else " " + w for i, w in enumerate(ANSWER.split(" "))]
    cut = limit is not None and limit < len(words)
    return (words[:limit] if cut else words), cut


# --- Anthropic ---------------------------------------------------------------------------


def _tool_result(messages: list[dict[str, Any]]) -> str | None:
    """The text of the last message's tool_result block, if it has one."""
    content = messages[-1].get("content") if messages else None
    for block in content if isinstance(content, list) else []:
        if block.get("type") == "tool_result":
            inner = block.get("content")
            if isinstance(inner, list):
                return "".join(part.get("text", "") for part in inner)
            return str(inner)
    return None


def anthropic_reply(body: dict[str, Any]) -> tuple[list[dict[str, Any]], str, int]:
    """(content blocks, stop reason, output tokens)."""
    tools, result = body.get("tools") or [], _tool_result(body.get("messages") or [])
    if tools and result is None and (body.get("tool_choice") or {}).get("type") != "none":
        tool = tools[0]
        arguments = _arguments(tool.get("input_schema") or {})
        block = {"type": "tool_use", "id": "toolu_stub_1", "name": tool["name"], "input": arguments}
        return [block], "tool_use", 12
    if result is not None:
        return [{"type": "text", "text": f"Done: {result}"}], "end_turn", 4
    words, cut = _words(body.get("max_tokens"))
    return (
        [{"type": "text", "text": "".join(words)}],
        ("max_tokens" if cut else "end_turn"),
        len(words),
    )


def anthropic_message(body: dict[str, Any]) -> dict[str, Any]:
    content, stop, output = anthropic_reply(body)
    return {
        "id": "msg_stub", "type": "message", "role": "assistant", "model": body.get("model"),
        "content": content, "stop_reason": stop, "stop_sequence": None,
        "usage": {"input_tokens": INPUT_TOKENS, "output_tokens": output},
    }  # fmt: skip


def anthropic_events(body: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    content, stop, output = anthropic_reply(body)
    start = {**anthropic_message(body), "content": [], "stop_reason": None}
    start["usage"] = {"input_tokens": INPUT_TOKENS, "output_tokens": 1}
    yield "message_start", {"type": "message_start", "message": start}
    for index, block in enumerate(content):
        if block["type"] == "text":
            opened: dict[str, Any] = {"type": "text", "text": ""}
            pieces = [
                {"type": "text_delta", "text": w} for w in re.findall(r" ?\S+", block["text"])
            ]
        else:
            opened = {**block, "input": {}}
            arguments = json.dumps(block["input"])
            half = len(arguments) // 2
            pieces = [
                {"type": "input_json_delta", "partial_json": part}
                for part in (arguments[:half], arguments[half:])
            ]
        yield "content_block_start", {"type": "content_block_start", "index": index,
                                      "content_block": opened}  # fmt: skip
        if index == 0:
            yield "ping", {"type": "ping"}
        for delta in pieces:
            yield "content_block_delta", {"type": "content_block_delta", "index": index,
                                          "delta": delta}  # fmt: skip
        yield "content_block_stop", {"type": "content_block_stop", "index": index}
    usage = {"input_tokens": INPUT_TOKENS, "output_tokens": output}
    delta = {"stop_reason": stop, "stop_sequence": None}
    yield "message_delta", {"type": "message_delta", "delta": delta, "usage": usage}
    yield "message_stop", {"type": "message_stop"}


# --- Gemini ------------------------------------------------------------------------------


def _function_response(contents: list[dict[str, Any]]) -> str | None:
    parts = (contents[-1].get("parts") if contents else None) or []
    for part in parts:
        if "functionResponse" in part:
            return json.dumps(part["functionResponse"].get("response"))
    return None


def gemini_parts(body: dict[str, Any]) -> tuple[list[list[dict[str, Any]]], str]:
    """The answer's parts in stream pieces, and its finish reason."""
    tools = body.get("tools") or []
    declarations = [d for tool in tools for d in tool.get("functionDeclarations") or []]
    result = _function_response(body.get("contents") or [])
    mode = (((body.get("toolConfig") or {}).get("functionCallingConfig")) or {}).get("mode")
    if declarations and result is None and mode != "NONE":
        declared = declarations[0]
        schema = declared.get("parametersJsonSchema") or declared.get("parameters") or {}
        call = {"name": declared["name"], "args": _arguments(schema)}
        return [[{"functionCall": call}]], "STOP"
    if result is not None:
        return [[{"text": f"Done: {result}"}]], "STOP"
    limit = (body.get("generationConfig") or {}).get("maxOutputTokens")
    words, cut = _words(limit)
    return [[{"text": w}] for w in words], ("MAX_TOKENS" if cut else "STOP")


def gemini_responses(model: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The stream's pieces, each with the usage so far, the finish reason on the last."""
    pieces, reason = gemini_parts(body)
    responses = []
    for i, parts in enumerate(pieces):
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
        if i == len(pieces) - 1:
            candidate["finishReason"] = reason
        usage = {"promptTokenCount": INPUT_TOKENS, "candidatesTokenCount": i + 1,
                 "totalTokenCount": INPUT_TOKENS + i + 1}  # fmt: skip
        responses.append({"candidates": [candidate], "usageMetadata": usage,
                          "modelVersion": model, "responseId": "stub"})  # fmt: skip
    return responses


def gemini_whole(model: str, body: dict[str, Any]) -> dict[str, Any]:
    responses = gemini_responses(model, body)
    parts = [part for r in responses for part in r["candidates"][0]["content"]["parts"]]
    if all("text" in part for part in parts):
        parts = [{"text": "".join(part["text"] for part in parts)}]
    last = responses[-1]
    last["candidates"][0]["content"]["parts"] = parts
    return last


# --- the server --------------------------------------------------------------------------


async def _respond(
    send: Send, status: int, body: bytes, kind: bytes = b"application/json", *extra: bytes
) -> None:
    headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
    headers += [(b"retry-after", extra[0])] if extra else []
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def app(scope: dict[str, Any], receive: Callable[[], Awaitable[Any]], send: Send) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    path, method = scope["path"], scope["method"]
    if method == "GET":
        ok = path in ("/recorded", "/health")
        body = json.dumps(list(recorded) if path == "/recorded" else {"ok": ok}).encode()
        await _respond(send, 200 if ok else 404, body)
        return
    raw, more = b"", True
    while more:
        message = await receive()
        raw, more = raw + message.get("body", b""), message.get("more_body", False)
    body = json.loads(raw or b"{}")
    headers = {k.decode(): v.decode() for k, v in scope["headers"]}
    key = os.environ.get(KEY_ENV, "")
    recorded.append({"path": path, "query": scope["query_string"].decode(), "body": body,
                     "anthropic_version": headers.get("anthropic-version")})  # fmt: skip
    gemini = GEMINI_PATH.match(path)
    model = str(body.get("model") or (gemini["model"] if gemini else ""))
    if failing := FAILING_MODEL.match(model):
        await _fail(send, int(failing["status"]), path == "/v1/messages")
        return
    if path == "/v1/messages":
        if key not in (headers.get("x-api-key"), headers.get("authorization", "")[7:]):
            # Quoting the key back, as some upstreams do: asymroute must mask it.
            given = headers.get("x-api-key") or headers.get("authorization", "")[7:]
            error = {"type": "authentication_error", "message": f"invalid x-api-key {given}"}
            await _respond(send, 401, json.dumps({"type": "error", "error": error}).encode())
        elif body.get("stream"):
            events = b"".join(
                f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
                for name, data in anthropic_events(body)
            )
            await _respond(send, 200, events, b"text/event-stream")
        else:
            await _respond(send, 200, json.dumps(anthropic_message(body)).encode())
        return
    found = GEMINI_PATH.match(path)
    if found is None:
        await _respond(send, 404, b'{"error": {"code": 404, "message": "not found"}}')
    elif headers.get("x-goog-api-key") != key:
        error = {"code": 400, "message": "API key not valid. Please pass a valid API key.",
                 "status": "INVALID_ARGUMENT"}  # fmt: skip
        await _respond(send, 400, json.dumps({"error": error}).encode())
    elif found["method"] == "streamGenerateContent":
        responses = gemini_responses(found["model"], body)
        events = b"".join(f"data: {json.dumps(r)}\r\n\r\n".encode() for r in responses)
        await _respond(send, 200, events, b"text/event-stream")
    else:
        await _respond(send, 200, json.dumps(gemini_whole(found["model"], body)).encode())


FAILING_MODEL = re.compile(r"^fail-(?P<status>\d{3})$")
"""A model named fail-429, fail-529...: every call answers that status, with Retry-After 7."""
ANTHROPIC_ERROR_TYPES = {429: "rate_limit_error", 529: "overloaded_error", 500: "api_error"}
GOOGLE_STATUSES = {429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE", 500: "INTERNAL"}


async def _fail(send: Send, status: int, anthropic: bool) -> None:
    if anthropic:
        error = {"type": ANTHROPIC_ERROR_TYPES.get(status, "api_error"), "message": "stub"}
        body = {"type": "error", "error": error}
    else:
        body = {"error": {"code": status, "message": "stub", "status": GOOGLE_STATUSES.get(status)}}
    await _respond(send, status, json.dumps(body).encode(), b"application/json", b"7")


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", required=True, help="the API key both APIs accept")
    args = parser.parse_args()
    os.environ[KEY_ENV] = args.key
    uvicorn.run(app, host="127.0.0.1", port=args.port, access_log=False, log_level="warning")


if __name__ == "__main__":
    main()
