"""A misbehaving model endpoint on loopback: OpenAI-compatible and Ollama-compatible at once.

    with FaultyUpstream(default="ok") as upstream:
        upstream.script("server_error", "server_error")  # the next two chat requests fail
        settings = Settings(OPENAI_BASE_URL=upstream.openai_url, OLLAMA_BASE_URL=upstream.url)
        ...
        upstream.calls  # every chat request received, with the fault it was answered with

Serves `POST /v1/chat/completions` (JSON or SSE when `stream` is set) and `POST /api/chat`
(NDJSON stream unless `"stream": false`), plus `GET /v1/models` and `GET /api/tags`. Each chat
request takes the next fault of the script, or the default once the script is used up:

ok, slow_first_byte (waits `slow_s`, then answers), hang (reads the request, never answers),
rate_limited (429 with `Retry-After: retry_after`), server_error (500), unavailable (503),
malformed_json (200 with a body that is not JSON), truncated (the body stops half way and the
connection closes), empty (a well-formed completion with no text), reset (closes the
connection without a reply), echo_auth (401 quoting the request's Authorization header back,
as a careless upstream might), stall_mid_stream (a streamed reply's first events, then nothing:
a generation that stalls). `hang` and `stall_mid_stream` record whether the client hung up
(`ChatCall.abandoned`), cut_mid_stream (a streamed reply's first three events, then the
connection closes: a generation cut off). Connection refused: use `refused_url`, a port bound
but never listening. Usage is counted here, at the server, for consistency checks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

FAULTS = (
    "ok",
    "slow_first_byte",
    "hang",
    "rate_limited",
    "server_error",
    "unavailable",
    "malformed_json",
    "truncated",
    "empty",
    "reset",
    "echo_auth",
    "stall_mid_stream",
    "cut_mid_stream",
)
STATUS_TEXT = {200: "OK", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests"}
STATUS_TEXT |= {500: "Internal Server Error", 503: "Service Unavailable"}


@dataclass
class ChatCall:
    """One chat request as the upstream saw it."""

    api: str  # "openai" or "ollama"
    fault: str
    model: str
    stream: bool
    headers: dict[str, str]
    body: bytes
    prompt_tokens: int = 0
    completion_tokens: int = 0
    completed: bool = False
    """A full, well-formed reply with usage was sent: the client can account for it."""
    abandoned: bool = False
    """`hang` / `stall_mid_stream`: the client closed the connection while waiting."""


@dataclass
class FaultyUpstream:
    default: str = "ok"
    reply: str = "The answer is 5."
    slow_s: float = 0.3
    retry_after: str = "1"
    hang_s: float = 60.0
    calls: list[ChatCall] = field(default_factory=list)
    _script: deque[str] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _loop: asyncio.AbstractEventLoop | None = None
    _server: asyncio.AbstractServer | None = None
    _thread: threading.Thread | None = None
    _closing: asyncio.Event | None = None
    _refused: socket.socket | None = None
    _port: int = 0

    def __post_init__(self) -> None:
        if self.default not in FAULTS:
            raise ValueError(f"unknown fault {self.default!r}; faults: {', '.join(FAULTS)}")

    # -- control -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def openai_url(self) -> str:
        return f"{self.url}/v1"

    @property
    def refused_url(self) -> str:
        """A loopback port that is bound, never listening: every connect is refused."""
        assert self._refused is not None, "start the upstream first"
        return f"http://127.0.0.1:{self._refused.getsockname()[1]}"

    def script(self, *faults: str) -> None:
        for fault in faults:
            if fault not in FAULTS:
                raise ValueError(f"unknown fault {fault!r}; faults: {', '.join(FAULTS)}")
        with self._lock:
            self._script.extend(faults)

    def set_default(self, fault: str) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}")
        self.default = fault

    def reset_calls(self) -> None:
        with self._lock:
            self.calls.clear()
            self._script.clear()

    def calls_by_fault(self) -> dict[str, int]:
        with self._lock:
            counts: dict[str, int] = {}
            for call in self.calls:
                counts[call.fault] = counts.get(call.fault, 0) + 1
            return counts

    def billed(self) -> tuple[int, int]:
        """(prompt, completion) tokens of every completed reply."""
        with self._lock:
            done = [c for c in self.calls if c.completed]
            return sum(c.prompt_tokens for c in done), sum(c.completion_tokens for c in done)

    def start(self) -> FaultyUpstream:
        self._refused = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._refused.bind(("127.0.0.1", 0))  # bound, never listen(): connects are refused
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("faulty upstream did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._closing is not None:
            self._loop.call_soon_threadsafe(self._closing.set)
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._refused is not None:
            self._refused.close()
        self._thread = self._loop = None

    def __enter__(self) -> FaultyUpstream:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- server --------------------------------------------------------------------------

    def _run(self, ready: threading.Event) -> None:
        self._loop = asyncio.new_event_loop()
        self._loop.run_until_complete(self._serve(ready))
        self._loop.close()

    async def _serve(self, ready: threading.Event) -> None:
        self._closing = asyncio.Event()
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0, backlog=4096)
        self._port = self._server.sockets[0].getsockname()[1]
        ready.set()
        await self._closing.wait()
        self._server.close()
        pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in pending:
            task.cancel()  # hung and kept-alive connections
        await asyncio.gather(*pending, return_exceptions=True)

    def _next_fault(self) -> str:
        with self._lock:
            return self._script.popleft() if self._script else self.default

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await self._one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:
            pass  # shutting down; a re-raise here makes asyncio log a spurious traceback
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def _one_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Serve one request; False closes the connection."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return False
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, path, _ = request_line.split(" ", 2)
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in header_lines if line)
        }
        body = await _read_body(reader, headers)
        route = path.split("?", 1)[0].rstrip("/")
        if method == "GET" and route in ("/v1/models", "/api/tags", ""):
            listing = {"object": "list", "data": [], "models": []}
            await _send(writer, 200, json.dumps(listing).encode())
            return True
        if method != "POST" or route not in ("/v1/chat/completions", "/api/chat"):
            await _send(writer, 404, b'{"error": "not found"}')
            return True
        api = "openai" if route.startswith("/v1") else "ollama"
        return await self._chat(api, headers, body, reader, writer)

    async def _chat(
        self,
        api: str,
        headers: dict[str, str],
        body: bytes,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        fault = self._next_fault()
        try:
            payload = json.loads(body)
        except ValueError:
            payload = {}
        stream = bool(payload.get("stream", api == "ollama"))
        call = ChatCall(api, fault, str(payload.get("model", "")), stream, headers, body)
        call.prompt_tokens = _count_prompt_tokens(payload.get("messages"))
        with self._lock:
            self.calls.append(call)
        if fault == "hang":
            call.abandoned = await self._hang(reader)
            return False
        if fault == "reset":
            return False
        if fault == "slow_first_byte":
            await asyncio.sleep(self.slow_s)
        if fault in ("rate_limited", "server_error", "unavailable", "echo_auth"):
            await self._send_error(api, fault, headers, writer)
            return True
        text = "" if fault == "empty" else self.reply
        call.completion_tokens = len(text.split())
        reply = _Reply(api, call.model, text, call.prompt_tokens, call.completion_tokens)
        if fault == "malformed_json":
            await _send(writer, 200, b'{"id": "chatcmpl-1", "choices": [{"message": {"content": ')
            return True
        if fault == "truncated":
            return await self._send_truncated(reply, stream, writer)
        if fault in ("stall_mid_stream", "cut_mid_stream"):  # a few tokens, then no more
            writer.write(_chunk_headers(api))
            for event in reply.stream_events(payload)[:3] if stream else []:
                part = _encode_event(event, api)
                writer.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            await writer.drain()
            if fault == "stall_mid_stream":  # a generation that stalls
                call.abandoned = await self._hang(reader)
            return False  # cut_mid_stream: the connection closes mid-body
        if stream:
            await _send_chunked(writer, reply.stream_events(payload), api)
        else:
            await _send(writer, 200, json.dumps(reply.whole()).encode())
        call.completed = True
        return True

    async def _hang(self, reader: asyncio.StreamReader) -> bool:
        """Never reply: wait for shutdown, `hang_s`, or the client hanging up (returns True)."""
        assert self._closing is not None
        closing = asyncio.ensure_future(self._closing.wait())
        hang_up = asyncio.ensure_future(reader.read(1))
        done, pending = await asyncio.wait(
            {closing, hang_up}, timeout=self.hang_s, return_when=asyncio.FIRST_COMPLETED
        )
        for waiting in pending:
            waiting.cancel()
        # End of stream or a reset: either way the client has gone.
        return hang_up in done and (hang_up.exception() is not None or hang_up.result() == b"")

    async def _send_error(
        self, api: str, fault: str, headers: dict[str, str], writer: asyncio.StreamWriter
    ) -> None:
        status = {"rate_limited": 429, "server_error": 500, "unavailable": 503}.get(fault, 401)
        message = {
            429: "rate limit reached, slow down",
            500: "the server had an error",
            503: "the engine is overloaded",
            401: f"Incorrect API key provided: {headers.get('authorization', '')}",
        }[status]
        error: Any = {"message": message, "type": "error"} if api == "openai" else message
        extra = {"Retry-After": self.retry_after} if status == 429 else {}
        await _send(writer, status, json.dumps({"error": error}).encode(), extra)

    async def _send_truncated(
        self, reply: _Reply, stream: bool, writer: asyncio.StreamWriter
    ) -> bool:
        if stream:
            events = reply.stream_events({})
            head = _chunk_headers(reply.api)
            first = _encode_event(events[0], reply.api)
            writer.write(head + f"{len(first):x}\r\n".encode() + first + b"\r\n")
        else:
            data = json.dumps(reply.whole()).encode()
            writer.write(_headers(200, len(data)) + data[: len(data) // 2])
        await writer.drain()
        return False  # the connection closes mid-body


@dataclass
class _Reply:
    api: str
    model: str
    text: str
    prompt_tokens: int
    completion_tokens: int

    def whole(self) -> dict[str, Any]:
        if self.api == "ollama":
            return {**self._ollama_done(), "message": {"role": "assistant", "content": self.text}}
        return {
            "id": "chatcmpl-faulty",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": self.text},
                    "finish_reason": "stop",
                }
            ],
            "usage": self._openai_usage(),
        }

    def stream_events(self, payload: dict[str, Any]) -> list[dict[str, Any]]:
        words = self.text.split(" ") if self.text else []
        pieces = [w if i == 0 else " " + w for i, w in enumerate(words)]
        if self.api == "ollama":
            events: list[dict[str, Any]] = [
                {
                    "model": self.model,
                    "created_at": "2024-01-01T00:00:00Z",
                    "message": {"role": "assistant", "content": piece},
                    "done": False,
                }
                for piece in pieces or [""]
            ]
            done = {**self._ollama_done(), "message": {"role": "assistant", "content": ""}}
            return [*events, done]
        base = {"id": "chatcmpl-faulty", "object": "chat.completion.chunk", "model": self.model}
        base["created"] = int(time.time())
        chunks: list[dict[str, Any]] = [
            {**base, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
            for piece in pieces or [""]
        ]
        chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        if (payload.get("stream_options") or {}).get("include_usage"):
            chunks.append({**base, "choices": [], "usage": self._openai_usage()})
        return chunks

    def _openai_usage(self) -> dict[str, int]:
        total = self.prompt_tokens + self.completion_tokens
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": total,
        }

    def _ollama_done(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "created_at": "2024-01-01T00:00:00Z",
            "done": True,
            "done_reason": "stop",
            "total_duration": 1000,
            "load_duration": 10,
            "prompt_eval_count": self.prompt_tokens,
            "prompt_eval_duration": 100,
            "eval_count": self.completion_tokens,
            "eval_duration": 100,
        }


def _count_prompt_tokens(messages: Any) -> int:
    """A made-up but deterministic tokenizer: words of every message, plus one per message."""
    if not isinstance(messages, list):
        return 0
    total = 0
    for message in messages:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):
            content = " ".join(str(b.get("text", "")) for b in content if isinstance(b, dict))
        total += 1 + len(str(content or "").split())
    return total


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while size := int((await reader.readline()).split(b";")[0].strip() or b"0", 16):
            body += await reader.readexactly(size)
            await reader.readline()
        await reader.readline()
        return body
    return await reader.readexactly(int(headers.get("content-length") or 0))


def _headers(status: int, length: int, extra: dict[str, str] | None = None) -> bytes:
    lines = [
        f"HTTP/1.1 {status} {STATUS_TEXT.get(status, 'Error')}",
        "Content-Type: application/json",
        f"Content-Length: {length}",
        *(f"{name}: {value}" for name, value in (extra or {}).items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _send(
    writer: asyncio.StreamWriter, status: int, data: bytes, extra: dict[str, str] | None = None
) -> None:
    writer.write(_headers(status, len(data), extra) + data)
    await writer.drain()


def _chunk_headers(api: str) -> bytes:
    kind = "application/x-ndjson" if api == "ollama" else "text/event-stream"
    return f"HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nTransfer-Encoding: chunked\r\n\r\n".encode()


def _encode_event(event: dict[str, Any], api: str) -> bytes:
    data = json.dumps(event)
    return (data + "\n").encode() if api == "ollama" else f"data: {data}\n\n".encode()


async def _send_chunked(
    writer: asyncio.StreamWriter, events: Iterable[dict[str, Any]], api: str
) -> None:
    writer.write(_chunk_headers(api))
    parts = [_encode_event(event, api) for event in events]
    if api == "openai":
        parts.append(b"data: [DONE]\n\n")
    for part in parts:
        writer.write(f"{len(part):x}\r\n".encode() + part + b"\r\n")
    writer.write(b"0\r\n\r\n")
    await writer.drain()
