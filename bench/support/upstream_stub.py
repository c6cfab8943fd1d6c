"""An instant upstream: answers every chat completion at once, OpenAI's API and Ollama's.

For the gateway's load benchmark and tests: it measures the gateway, not inference. OpenAI:
`/v1/chat/completions` (JSON or SSE) and `/v1/models`. Ollama: `/api/chat` (NDJSON stream
unless `"stream": false`) and `/api/tags`.

    python bench/support/upstream_stub.py --port 9100 [--delay-ms 0]

`--delay-ms` holds every chat completion that long before answering (without using CPU), to
stand in for a model's latency. `GET /recorded` lists the last request bodies it was sent
(tests assert what reached it); a non-streamed OpenAI completion honours `n` and `logprobs`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

ANSWER = "The answer is 5."
PROMPT_TOKENS = 20
COMPLETION_TOKENS = 6

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

DELAY_ENV = "UPSTREAM_STUB_DELAY_MS"
SERVED_NAMES = ("stub", "stub-local", "stub-frontier")


RECORDED_BODIES = 64
"""The last request bodies kept for `GET /recorded` (tests assert what reached the stub)."""
recorded: deque[dict[str, Any]] = deque(maxlen=RECORDED_BODIES)


def _usage(choices: int = 1) -> dict[str, int]:
    return {
        "prompt_tokens": PROMPT_TOKENS,
        "completion_tokens": COMPLETION_TOKENS * choices,
        "total_tokens": PROMPT_TOKENS + COMPLETION_TOKENS * choices,
    }


def _logprobs(top: int) -> dict[str, Any]:
    """OpenAI's shape, one entry per word of the answer (made-up values)."""

    def entry(token: str, logprob: float) -> dict[str, Any]:
        return {"token": token, "logprob": logprob, "bytes": list(token.encode())}

    words = [w if i == 0 else " " + w for i, w in enumerate(ANSWER.split(" "))]
    return {
        "content": [
            {**entry(w, -0.5), "top_logprobs": [entry(w, -0.5 - r) for r in range(top)]}
            for w in words
        ],
        "refusal": None,
    }


def completion(model: str, request: dict[str, Any] | None = None) -> dict[str, Any]:
    """One choice per `n` (choice i > 0 says so), with log-probs when asked."""
    request = request or {}
    n = int(request.get("n") or 1)
    logprobs = _logprobs(int(request.get("top_logprobs") or 0)) if request.get("logprobs") else None
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": i,
                "message": {
                    "role": "assistant",
                    "content": ANSWER if i == 0 else f"{ANSWER} ({i})",
                },
                "logprobs": logprobs,
                "finish_reason": "stop",
            }
            for i in range(n)
        ],
        "usage": _usage(n),
    }


def stream_events(model: str, include_usage: bool) -> bytes:
    def event(choices: list[dict[str, Any]], **extra: Any) -> bytes:
        body = {
            "id": "chatcmpl-stub",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "choices": choices,
            **extra,
        }
        return b"data: " + json.dumps(body).encode() + b"\n\n"

    def choice(delta: dict[str, Any], finish: str | None = None) -> list[dict[str, Any]]:
        return [{"index": 0, "delta": delta, "finish_reason": finish}]

    words = ANSWER.split(" ")
    parts = [event(choice({"role": "assistant", "content": ""}))]
    parts += [event(choice({"content": w if i == 0 else " " + w})) for i, w in enumerate(words)]
    parts.append(event(choice({}, "stop")))
    if include_usage:
        parts.append(event([], usage=_usage()))
    parts.append(b"data: [DONE]\n\n")
    return b"".join(parts)


def ollama_frames(model: str, stream: bool) -> bytes:
    """Ollama's `/api/chat` reply: one object, or one line per piece and a final `done` line."""

    def frame(piece: str, **extra: Any) -> dict[str, Any]:
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        message = {"role": "assistant", "content": piece}
        return {"model": model, "created_at": created, "message": message, **extra}

    done = {
        "done": True,
        "done_reason": "stop",
        "prompt_eval_count": PROMPT_TOKENS,
        "eval_count": COMPLETION_TOKENS,
    }
    if not stream:
        return json.dumps(frame(ANSWER, **done)).encode()
    words = ANSWER.split(" ")
    pieces = [frame(w if i == 0 else " " + w, done=False) for i, w in enumerate(words)]
    pieces.append(frame("", **done))
    return b"".join(json.dumps(piece).encode() + b"\n" for piece in pieces)


async def _read_body(receive: Receive) -> bytes:
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    return body


async def _respond(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """A bare ASGI app: no framework, so the stub costs next to nothing per request."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    path, method = scope["path"], scope["method"]
    if method == "GET" and path.endswith("/models"):
        # It answers any name as that model; these are the names tests and benchmarks use, so
        # asymroute (providers.served_models) keeps them rather than naming a single "stub".
        data = [{"id": name, "object": "model"} for name in SERVED_NAMES]
        models = {"object": "list", "data": data}
        await _respond(send, 200, json.dumps(models).encode(), b"application/json")
        return
    if method == "GET" and path == "/recorded":
        await _respond(send, 200, json.dumps(list(recorded)).encode(), b"application/json")
        return
    if method == "GET" and path == "/api/tags":
        tags = {"models": [{"name": "stub", "model": "stub"}]}
        await _respond(send, 200, json.dumps(tags).encode(), b"application/json")
        return
    if method == "POST" and (path.endswith("/chat/completions") or path == "/api/chat"):
        request = json.loads(await _read_body(receive) or b"{}")
        recorded.append({"path": path, "body": request})
        delay_ms = float(os.environ.get(DELAY_ENV) or 0)
        if delay_ms > 0:
            await asyncio.sleep(delay_ms / 1000)
        model = str(request.get("model", "stub"))
        if path == "/api/chat":
            stream = request.get("stream", True) is not False
            kind = b"application/x-ndjson" if stream else b"application/json"
            await _respond(send, 200, ollama_frames(model, stream), kind)
        elif request.get("stream"):
            include = bool((request.get("stream_options") or {}).get("include_usage"))
            await _respond(send, 200, stream_events(model, include), b"text/event-stream")
        else:
            reply = json.dumps(completion(model, request)).encode()
            await _respond(send, 200, reply, b"application/json")
        return
    await _respond(send, 404, b'{"error": {"message": "not found"}}', b"application/json")


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay-ms", type=float, default=0.0, help="latency of each completion")
    args = parser.parse_args()
    os.environ[DELAY_ENV] = str(args.delay_ms)
    uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_level="warning")


if __name__ == "__main__":
    main()
