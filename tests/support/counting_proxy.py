"""A reverse proxy that counts the requests it forwards: how many calls did the upstream see?

`python tests/support/counting_proxy.py --port P --upstream http://127.0.0.1:Q`; every
request is forwarded as is; `GET /_counts` returns {"POST /v1/chat/completions": n, ...}.
"""

from __future__ import annotations

import argparse
from collections import Counter

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

HOP_HEADERS = {"host", "content-length", "transfer-encoding", "connection", "content-encoding"}


def build_app(upstream: str) -> Starlette:
    counts: Counter[str] = Counter()
    client = httpx.AsyncClient(base_url=upstream, timeout=600)

    async def counted(request: Request) -> Response:
        return JSONResponse(dict(counts))

    async def forward(request: Request) -> Response:
        counts[f"{request.method} {request.url.path}"] += 1
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
        reply = await client.request(
            request.method,
            request.url.path,
            params=request.query_params,
            content=await request.body(),
            headers=headers,
        )
        out = {k: v for k, v in reply.headers.items() if k.lower() not in HOP_HEADERS}
        return Response(reply.content, status_code=reply.status_code, headers=out)

    methods = ["GET", "POST", "PUT", "DELETE"]
    return Starlette(
        routes=[
            Route("/_counts", counted, methods=["GET"]),
            Route("/{path:path}", forward, methods=methods),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    args = parser.parse_args()
    uvicorn.run(build_app(args.upstream), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
