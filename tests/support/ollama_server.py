"""Protocol-faithful Ollama test server backed by real llama.cpp inference.

    python tests/support/ollama_server.py --port 0 --model-path X.gguf --model-name smollm2:135m

`--capabilities` is what /api/show lists for the model, as Ollama 0.6.4+ does (default
`completion`: SmolLM2's template has no tool calls, so the real registry model lists no
`tools`); `--capabilities none` leaves the field out, as an older Ollama does. A request with
tools gets Ollama's 400 "does not support tools" unless `tools` is listed; then /api/chat
answers with text or `message.tool_calls`, from the real model (tests/support/ollama_tools.py).

Prints `READY <port>` on stdout once listening (`--port 0` picks a free port); logs to stderr;
exits 0 on SIGTERM/SIGINT. Serves /, /api/version, /api/tags, /api/ps, /api/show, /api/chat and
/api/generate with Ollama's status codes, error bodies and NDJSON streaming.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import signal
import sys
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import llama_cpp

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script: the project

from tests.support.ollama_tools import ToolRequestError, tool_answer

DEFAULT_MAX_TOKENS = 256
# Ollama option -> (llama.cpp kwarg, Ollama's documented default), so an unconfigured client
# samples as it would against a real server.
SAMPLING_OPTIONS: dict[str, tuple[str, float]] = {
    "temperature": ("temperature", 0.8),
    "top_p": ("top_p", 0.9),
    "top_k": ("top_k", 40),
    "min_p": ("min_p", 0.0),
    "typical_p": ("typical_p", 1.0),
    "repeat_penalty": ("repeat_penalty", 1.1),
    "presence_penalty": ("presence_penalty", 0.0),
    "frequency_penalty": ("frequency_penalty", 0.0),
}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _dumps(obj: Any) -> bytes:
    # Compact like Go's encoding/json, so byte-level assertions match a real server's output.
    return json.dumps(obj, separators=(",", ":")).encode()


def _normalize(name: str) -> str:
    # Ollama treats an untagged name as `:latest`, so `smollm2` is not `smollm2:135m`.
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


class RequestError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Stats:
    done_reason: str = "stop"
    total_duration: int = 0
    load_duration: int = 0
    prompt_eval_count: int = 0
    prompt_eval_duration: int = 0
    eval_count: int = 0
    eval_duration: int = 0

    def final_fields(self) -> dict[str, Any]:
        return {"done": True, **asdict(self)}


class Backend:
    def __init__(
        self, model_path: str, model_name: str, seed: int, capabilities: list[str] | None = None
    ) -> None:
        self.capabilities = ["completion"] if capabilities is None else capabilities
        """What /api/show lists; empty: the field is left out (Ollama before 0.6.4)."""
        self.path = Path(model_path)
        self.model_name = _normalize(model_name)
        self.seed = seed
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.llm = llama_cpp.Llama(model_path=str(self.path), n_ctx=2048, seed=seed, verbose=False)
        self.digest = hashlib.sha256(self.path.read_bytes()).hexdigest()
        self.modified_at = datetime.fromtimestamp(self.path.stat().st_mtime, UTC).isoformat()
        # Streamed chat completions carry no usage, so count real prompt and sampled tokens by
        # wrapping the instance's token generator (_create_completion calls self.generate).
        self._stats = Stats()
        self._t_first_token = 0
        original = self.llm.generate

        def counting_generate(tokens: Any, *args: Any, **kwargs: Any) -> Iterator[int]:
            self._stats.prompt_eval_count = len(tokens)
            for token in original(tokens, *args, **kwargs):
                self._t_first_token = self._t_first_token or time.perf_counter_ns()
                # The end-of-generation token is sampled but is not part of the answer.
                if not llama_cpp.llama_vocab_is_eog(self.llm._model.vocab, token):
                    self._stats.eval_count += 1
                yield token

        self.llm.generate = counting_generate  # type: ignore[method-assign,assignment]

    def knows(self, name: Any) -> bool:
        return isinstance(name, str) and bool(name) and _normalize(name) == self.model_name

    def tag(self) -> dict[str, Any]:
        details = {"parent_model": "", "format": "gguf", "family": "llama", "families": ["llama"]}
        details["parameter_size"] = self.llm.metadata.get("general.size_label", "135M")
        details["quantization_level"] = "Q4_1"
        return {
            "name": self.model_name,
            "model": self.model_name,
            "modified_at": self.modified_at,
            "size": self.path.stat().st_size,
            "digest": self.digest,
            "details": details,
        }

    def show(self) -> dict[str, Any]:
        info: dict[str, Any] = {}
        for key, value in self.llm.metadata.items():
            if key.startswith(("general.", "llama.")):
                try:
                    info[key] = json.loads(value)
                except ValueError:
                    info[key] = value
        return {
            "modelfile": f"# Modelfile generated by the asymroute test server\nFROM {self.path}\n",
            "parameters": 'stop "<|im_start|>"\nstop "<|im_end|>"',
            "template": self.llm.metadata.get("tokenizer.chat_template", ""),
            "details": self.tag()["details"],
            "model_info": info,
            **({"capabilities": self.capabilities} if self.capabilities else {}),
            "modified_at": self.modified_at,
        }

    def _sampling(self, options: dict[str, Any], fmt: Any) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            kwarg: type(default)(options.get(name, default))
            for name, (kwarg, default) in SAMPLING_OPTIONS.items()
        }
        num_predict = options.get("num_predict")
        positive = isinstance(num_predict, int) and num_predict > 0
        kwargs["max_tokens"] = num_predict if positive else DEFAULT_MAX_TOKENS
        # A fixed default seed makes identical requests answer identically whatever came before.
        kwargs["seed"] = int(options.get("seed", self.seed))
        stop = options.get("stop") or []
        kwargs["stop"] = [stop] if isinstance(stop, str) else list(stop)
        if fmt == "json":
            kwargs["response_format"] = {"type": "json_object"}
        elif isinstance(fmt, dict):
            kwargs["response_format"] = {"type": "json_object", "schema": fmt}
        return kwargs

    def generate(
        self, messages: list[dict[str, str]], options: dict[str, Any], fmt: Any, stats: Stats
    ) -> Generator[str, None, None]:
        """Yield content pieces as llama.cpp produces them; fill `stats` when done or closed."""
        t_start = time.perf_counter_ns()
        with self.lock:
            t_locked = time.perf_counter_ns()
            self._stats, self._t_first_token = stats, 0
            sampling = self._sampling(options, fmt)
            # Ollama messages are plain {role, content} dicts, which llama.cpp accepts as-is.
            request: list[Any] = list(messages)
            chunks: Any = self.llm.create_chat_completion(request, stream=True, **sampling)
            try:
                for chunk in chunks:
                    choice = chunk["choices"][0]
                    stats.done_reason = choice.get("finish_reason") or stats.done_reason
                    if piece := choice["delta"].get("content"):
                        yield piece
                    if self.stopping.is_set():
                        break
            finally:
                chunks.close()
                t_end = time.perf_counter_ns()
                first = self._t_first_token or t_end
                stats.load_duration = t_locked - t_start  # time queued behind other requests
                stats.prompt_eval_duration = first - t_locked
                stats.eval_duration = t_end - first
                stats.total_duration = t_end - t_start

    def answer_with_tools(
        self, raw: list[dict[str, Any]], tools: Any, options: dict[str, Any], stats: Stats
    ) -> dict[str, Any]:
        """The assistant message (text or tool calls) of a chat request offered `tools`."""
        t_start = time.perf_counter_ns()
        with self.lock:
            t_locked = time.perf_counter_ns()
            self._stats, self._t_first_token = stats, 0
            try:
                return tool_answer(self.llm, raw, tools, self._sampling(options, None))
            finally:
                t_end = time.perf_counter_ns()
                first = self._t_first_token or t_end
                stats.load_duration = t_locked - t_start
                stats.prompt_eval_duration = first - t_locked
                stats.eval_duration = t_end - first
                stats.total_duration = t_end - t_start


def _parse_messages(body: dict[str, Any], *, chat: bool) -> list[dict[str, str]]:
    if not chat:
        system = [{"role": "system", "content": str(body["system"])}] if body.get("system") else []
        prompt = body.get("prompt") or ""
        return [*system, {"role": "user", "content": str(prompt)}] if prompt else []
    raw = body.get("messages")
    if not isinstance(raw, list) or not all(isinstance(m, dict) and "role" in m for m in raw):
        raise RequestError(400, "messages must be a list of {role, content} objects")
    return [{"role": str(m["role"]), "content": str(m.get("content") or "")} for m in raw]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked streaming, like the real server
    server: OllamaHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"[ollama-test] {self.address_string()} {format % args}\n")

    def _send(self, status: int, body: Any, ctype: str = "application/json; charset=utf-8") -> None:
        data = body.encode() if isinstance(body, str) else _dumps(body)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _read_json(self) -> dict[str, Any]:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raw = b""
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                raw += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
        else:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw or b"{}")
        except ValueError as exc:
            raise RequestError(400, f"invalid JSON body: {exc}") from None
        if not isinstance(body, dict):
            raise RequestError(400, "request body must be a JSON object")
        return body

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        tag = self.server.backend.tag()
        if self.path == "/":
            self._send(200, "Ollama is running", "text/plain; charset=utf-8")
        elif self.path == "/api/version":
            self._send(200, {"version": "0.6.0"})
        elif self.path == "/api/tags":
            self._send(200, {"models": [tag]})
        elif self.path == "/api/ps":
            loaded = {**tag, "expires_at": "2099-01-01T00:00:00Z", "size_vram": 0}
            self._send(200, {"models": [loaded]})
        else:
            self._send(404, "404 page not found", "text/plain")

    def do_POST(self) -> None:
        try:
            body = self._read_json()
            if self.path == "/api/show":
                name = body.get("model") or body.get("name") or ""
                if not self.server.backend.knows(name):
                    raise RequestError(404, f"model '{name}' not found")
                self._send(200, self.server.backend.show())
            elif self.path in ("/api/chat", "/api/generate"):
                self._completion(body, chat=self.path == "/api/chat")
            else:
                self._send(404, "404 page not found", "text/plain")
        except RequestError as exc:
            self._send(exc.status, {"error": str(exc)})

    def _completion(self, body: dict[str, Any], *, chat: bool) -> None:
        backend = self.server.backend
        name = body.get("model")
        if not name:
            raise RequestError(400, "model is required")
        if not backend.knows(name):
            raise RequestError(404, f'model "{name}" not found, try pulling it first')
        if body.get("tools") and "tools" not in backend.capabilities:
            library_name = f"registry.ollama.ai/library/{backend.model_name}"
            raise RequestError(400, f"{library_name} does not support tools")
        if body.get("think"):
            raise RequestError(400, f'"{name}" does not support thinking')
        options = body.get("options") or {}
        if not isinstance(options, dict):
            raise RequestError(400, "options must be an object")
        messages = _parse_messages(body, chat=chat)

        def frame(piece: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
            message = {"role": "assistant", "content": piece}
            content = {"message": message} if chat else {"response": piece}
            return {"model": name, "created_at": _now(), **content, **(extra or {"done": False})}

        if not messages:  # an empty request only loads the model, exactly like Ollama
            self._send(200, frame("", {"done": True, "done_reason": "load"}))
            return
        if chat and body.get("tools"):
            self._tool_completion(body, options)
            return
        stats = Stats()
        pieces = backend.generate(messages, options, body.get("format"), stats)
        try:
            # Pull the first piece before sending headers, so prompt errors keep a real status.
            first = next(pieces, None)
        except Exception as exc:
            pieces.close()
            self._send(500, {"error": str(exc)})
            return
        if body.get("stream", True) is False:  # Ollama streams unless told otherwise
            text = (first or "") + "".join(pieces)
            self._send(200, frame(text, stats.final_fields()))
            return
        self._start_stream()
        try:
            if first is not None:
                self._chunk(frame(first))
            try:
                for piece in pieces:
                    self._chunk(frame(piece))
            except (BrokenPipeError, ConnectionResetError):
                raise
            except Exception as exc:  # mid-stream failures become an error line, like Ollama
                self._chunk({"error": str(exc)})
            else:
                self._chunk(frame("", stats.final_fields()))
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # client went away; closing `pieces` frees the model
        finally:
            pieces.close()

    def _tool_completion(self, body: dict[str, Any], options: dict[str, Any]) -> None:
        stats = Stats()
        try:
            message = self.server.backend.answer_with_tools(
                body["messages"], body["tools"], options, stats
            )
        except ToolRequestError as exc:
            raise RequestError(400, str(exc)) from None
        sys.stderr.write(f"[ollama-test] answered with tools: {_dumps(message).decode()}\n")
        head = {"model": body["model"], "created_at": _now()}
        if body.get("stream", True) is False:
            self._send(200, {**head, "message": message, **stats.final_fields()})
            return
        self._start_stream()  # the calls in one chunk, then the final one, as Ollama streams
        self._chunk({**head, "message": message, "done": False})
        empty = {"role": "assistant", "content": ""}
        self._chunk({**head, "created_at": _now(), "message": empty, **stats.final_fields()})
        self.wfile.write(b"0\r\n\r\n")

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _chunk(self, obj: dict[str, Any]) -> None:
        line = _dumps(obj) + b"\n"
        self.wfile.write(f"{len(line):x}\r\n".encode() + line + b"\r\n")
        self.wfile.flush()


class OllamaHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], backend: Backend) -> None:
        super().__init__(address, Handler)
        self.backend = backend


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True, help="0 picks a free port")
    parser.add_argument("--model-path", required=True)
    parser.add_argument("--model-name", required=True)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--capabilities",
        default="completion",
        help="comma-separated, as /api/show lists them; 'none': no capabilities field",
    )
    args = parser.parse_args(argv)

    listed = [] if args.capabilities == "none" else args.capabilities.split(",")
    backend = Backend(args.model_path, args.model_name, args.seed, listed)
    server = OllamaHTTPServer((args.host, args.port), backend)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    # serve_forever runs in a worker so the main thread can call shutdown() without deadlock.
    threading.Thread(target=server.serve_forever, name="ollama-test-http", daemon=True).start()
    print(f"READY {server.server_address[1]}", flush=True)
    stop.wait()
    backend.stopping.set()
    server.shutdown()
    server.server_close()
    # Let an in-flight generation notice `stopping` before the interpreter unloads llama.cpp.
    if backend.lock.acquire(timeout=30):
        backend.lock.release()
    sys.stderr.write("[ollama-test] stopped\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
