"""In-process LangSmith ingest endpoint that records traced runs for offline assertions.

    with LangSmithCapture() as capture:
        os.environ.update(LANGSMITH_TRACING="true", LANGSMITH_ENDPOINT=capture.url,
                          LANGSMITH_API_KEY="test-key")
        reset_langsmith_client()  # langsmith memoises env vars and its client
        ...  # traced code, then langchain_core.tracers.langchain.wait_for_all_tracers()
        runs = capture.wait_for(lambda runs: any(r.get("end_time") for r in runs.values()))

Each merged run is the client's run dict: `id`, `name`, `run_type`, `tags`, `trace_id`,
`parent_run_id`, `dotted_order`, `session_name`, `inputs`, `outputs`, `error`, `events`,
`start_time`, `end_time`, and `extra` (metadata is `extra["metadata"]`).
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

Run = dict[str, Any]
# Payload parts the client splits off the main run body (`post.<id>.<key>`).
_SUBPART_KEYS = ("inputs", "outputs", "events", "extra", "error", "serialized")


def _info(compression: bool) -> dict[str, Any]:
    # `zstd_compression_enabled` is the only switch the 0.15 client reads for compression; without
    # it (and with zstandard installed) it logs one "Run compression is not enabled" warning and
    # sends plain multipart. Set LANGSMITH_DISABLE_RUN_COMPRESSION=true to silence that.
    return {
        "version": "0.10.0",
        "license_expiration_time": None,
        "batch_ingest_config": {
            "use_multipart_endpoint": True,
            "size_limit": 100,
            "size_limit_bytes": 20_971_520,
            "scale_up_qsize_trigger": 1000,
            "scale_up_nthreads_limit": 16,
            "scale_down_nempty_trigger": 4,
        },
        "instance_flags": {"zstd_compression_enabled": compression},
    }


def _parse_multipart(body: bytes, content_type: str) -> list[tuple[str, bytes]]:
    """Split a multipart/form-data body into (part name, payload) pairs, byte-exact."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not match:
        raise ValueError(f"multipart request without boundary: {content_type!r}")
    delimiter = b"--" + match.group(1).encode()
    parts: list[tuple[str, bytes]] = []
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):  # closing delimiter
            break
        head, _, payload = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        name = re.search(rb'name="([^"]*)"', head)
        if name:
            parts.append((name.group(1).decode(), payload.removesuffix(b"\r\n")))
    return parts


def _decode(payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except ValueError:
        return payload  # attachments are arbitrary bytes


class LangSmithCapture:
    """Records run creates/updates sent by the langsmith client; see module docstring."""

    def __init__(self, *, compression: bool = False) -> None:
        self.compression = compression
        self.raw_bodies: list[bytes] = []  # decompressed request bodies, for leak searches
        self.requests: list[dict[str, Any]] = []  # method, path, headers, body (decoded)
        self._ops: dict[str, list[tuple[str, Run]]] = {}  # run id -> [(post|patch, fields)]
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("LangSmithCapture is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> LangSmithCapture:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="langsmith-capture", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> LangSmithCapture:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def clear(self) -> None:
        with self._lock:
            self.raw_bodies.clear()
            self.requests.clear()
            self._ops.clear()

    def runs(self) -> dict[str, Run]:
        """Merged view per run id: every post, then every patch in arrival order on top.

        Posts go first because the client ingests from several threads, so a patch can arrive
        before its post. `extra` is merged one level deep so patch metadata extends post metadata.
        """
        with self._lock:
            ops = {run_id: list(entries) for run_id, entries in self._ops.items()}
        merged: dict[str, Run] = {}
        for run_id, entries in ops.items():
            run: Run = {"id": run_id}
            for kind in ("post", "patch"):
                for fields in (f for k, f in entries if k == kind):
                    for key, value in fields.items():
                        old = run.get(key)
                        run[key] = (
                            _merge_extra(old, value)
                            if key == "extra" and isinstance(old, dict)
                            else value
                        )
            merged[run_id] = run
        return copy.deepcopy(merged)  # callers may mutate; the recorded ops must not change

    def wait_for(
        self, predicate: Callable[[dict[str, Run]], object], timeout: float = 10.0
    ) -> dict[str, Run]:
        """Poll `runs()` until `predicate(runs)` is truthy; raise TimeoutError with what arrived."""
        deadline = time.monotonic() + timeout
        while True:
            runs = self.runs()
            if predicate(runs):
                return runs
            if time.monotonic() >= deadline:
                summary = {rid: (r.get("name"), bool(r.get("end_time"))) for rid, r in runs.items()}
                raise TimeoutError(
                    f"LangSmithCapture: predicate not met in {timeout}s; runs={summary}"
                )
            time.sleep(0.05)

    # -- recording (called from handler threads) --

    def _record(self, kind: str, run_id: str, fields: Run) -> None:
        with self._lock:
            self._ops.setdefault(str(run_id), []).append((kind, fields))

    def _ingest(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        if headers.get("content-encoding", "").lower() == "zstd":
            import zstandard  # only needed when compression=True

            reader = zstandard.ZstdDecompressor().stream_reader(body, read_across_frames=True)
            body = reader.read()
        with self._lock:
            self.raw_bodies.append(body)
            self.requests.append({"method": method, "path": path, "headers": headers, "body": body})
        route = path.split("?", 1)[0].rstrip("/")
        if method == "POST" and route == "/runs/multipart":
            grouped: dict[tuple[str, str], Run] = {}
            for name, payload in _parse_multipart(body, headers.get("content-type", "")):
                kind, _, rest = name.partition(".")
                run_id, _, sub = rest.partition(".")
                if kind not in ("post", "patch"):
                    continue  # feedback.<id>, attachment.<id>.<name>: kept only in raw_bodies
                fields = grouped.setdefault((kind, run_id), {})
                if sub in _SUBPART_KEYS:
                    fields[sub] = _decode(payload)
                elif not sub and isinstance(value := _decode(payload), dict):
                    fields.update(value)
            for (kind, run_id), fields in grouped.items():
                self._record(kind, run_id, fields)
            return {}
        data = json.loads(body) if body else {}
        if method == "POST" and route == "/runs/batch":
            for kind in ("post", "patch"):
                for run in data.get(kind) or []:
                    self._record(kind, run["id"], run)
        elif method == "POST" and route == "/runs":
            self._record("post", data["id"], data)
        elif method == "PATCH" and route.startswith("/runs/"):
            self._record("patch", route.rsplit("/", 1)[1], data)
        return {}


def _merge_extra(old: dict[str, Any], new: Any) -> Any:
    if not isinstance(new, dict):
        return new
    out = {**old, **new}
    for sub in ("metadata", "runtime"):
        if isinstance(old.get(sub), dict) and isinstance(new.get(sub), dict):
            out[sub] = {**old[sub], **new[sub]}
    return out


def _make_handler(capture: LangSmithCapture) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # requests keeps connections alive across batches

        def log_message(self, format: str, *args: Any) -> None:
            pass  # tracing traffic would drown test output

        def _reply(self, status: int, payload: Any) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _read_body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = b""  # streamed (large) bodies arrive chunked
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                body += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
            return body

        def _handle(self) -> None:
            body = self._read_body()
            if self.command == "GET":
                route = self.path.split("?", 1)[0].rstrip("/")
                self._reply(200, _info(capture.compression) if route == "/info" else {})
                return
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                self._reply(200, capture._ingest(self.command, self.path, headers, body))
            except Exception as exc:  # a 4xx makes the client log a warning tests can see
                self._reply(422, {"detail": f"capture could not parse request: {exc!r}"})

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle

    return Handler


def reset_langsmith_client() -> None:
    """Forget langsmith's process-wide client and cached env lookups.

    langsmith memoises LANGSMITH_* env vars (`utils.get_env_var` is lru_cached) and keeps one
    global client bound to the first endpoint it saw, so a second capture (or env set after
    the first traced call) is otherwise silently ignored. Flush pending traces before calling.
    """
    from langsmith import run_trees
    from langsmith import utils as ls_utils

    ls_utils.get_env_var.cache_clear()  # type: ignore[attr-defined]
    ls_utils.get_tracer_project.cache_clear()
    run_trees._CLIENT = None
