"""The gateway under load: 2,000 requests at 200 concurrent, against an instant upstream.

Starts the upstream stub (bench/support/upstream_stub.py) and `asymroute serve` on loopback,
with the stub as both tiers, then in one go: the same requests straight to the stub, and
through the gateway (half routed local and validated, half to the frontier). Reports
throughput, end-to-end latency, and the gateway's own overhead per request: its time from
receiving the request to answering it, minus the time spent waiting on model calls (the
`x-asymroute-overhead-ms` header; LiteLLM's "overhead duration"). Also one request at a time,
where the end-to-end difference is the latency a client really gains.

    python bench/gateway_load.py [--requests 2000] [--concurrency 200] [--workers 1] [--layers]
                                 [--upstream-delay-ms 0] [--rate REQUESTS_PER_S] [--no-gc-tuning]
                                 [--http-client aiohttp|httpx] [--local openai|ollama]
                                 [--classifier heuristic|embedding] [--unique-prompts]

`--upstream-delay-ms` makes the stub take that long per completion (a model's latency, spent
waiting, not computing): the same concurrency then offers the gateway fewer requests per
second, as real traffic does. `--rate R` replaces the fixed-concurrency phase with an open
loop: requests arrive at random (Poisson) at R per second, however fast earlier ones are
answered, as independent users do; below the gateway's capacity this measures its overhead
without the queue a saturating load builds. `--layers` then times, in this process and one
request at a time, each layer a request goes through (HTTP client, openai SDK, LangChain, the
router graph, the gateway app). `--local ollama` serves the local tier over Ollama's native
API (`ollama:` through ChatOllama) instead of the OpenAI-compatible one. The load generator is
bench/load_client.py, shared with bench/litellm_comparison.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load_client import (  # noqa: E402
    KEY,
    PROMPTS,
    Connection,
    Target,
    add_load_arguments,
    compare,
    phase_name,
    stub_command,
)
from bench.support.processes import free_port, running_server  # noqa: E402

ASYMROUTE = Target("gateway", "asymroute", "x-asymroute-overhead-ms")


async def layer_costs(stub_url: str, env: dict[str, str], n: int = 300) -> None:
    """Where a request's time goes, one at a time and in this process: each layer's cost
    includes the ones above it."""
    from langchain_core.messages import HumanMessage
    from langchain_openai import ChatOpenAI
    from openai import AsyncOpenAI

    from asymroute.context import RouterContext
    from asymroute.gateway.app import create_app
    from asymroute.gateway.settings import load_gateway_settings
    from asymroute.graphs.router import build_router
    from asymroute.planning import model_options, plan_run
    from asymroute.providers import PROVIDERS

    settings = load_gateway_settings(
        _env_file=None,
        openai_base_url=f"{stub_url}/v1",
        ollama_base_url=stub_url,
        gateway_keys={"bench": KEY},
        price_overrides=json.loads(env["ASYMROUTE_PRICES"]),
    )
    context = RouterContext(**json.loads(env["ASYMROUTE_GATEWAY_CONTEXT"]))
    graph, app = build_router(settings, context), create_app(settings, context)
    sdk = AsyncOpenAI(base_url=f"{stub_url}/v1", api_key=KEY)
    chat_model = ChatOpenAI(model="stub", base_url=f"{stub_url}/v1", api_key=KEY)
    plan = plan_run(context, settings)
    provider_model = PROVIDERS["openai"].create(
        "stub", settings, model_options(plan, "frontier", settings)
    )
    connection = await Connection.open(stub_url)
    bodies = [
        json.dumps({"model": "asymroute", "messages": [{"role": "user", "content": p}]}).encode()
        for p in PROMPTS
    ]

    async def through_app(i: int) -> None:
        sent: list[dict] = []
        incoming = [{"type": "http.request", "body": bodies[i % 2], "more_body": False}]

        async def receive() -> dict:
            if incoming:
                return incoming.pop()
            # As a server does: the disconnect comes only when the client goes, which this
            # one does not before its answer (an at-once disconnect reads as a hang-up).
            await asyncio.Event().wait()
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            sent.append(message)

        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "POST", "scheme": "http", "path": "/v1/chat/completions",
            "raw_path": b"/v1/chat/completions", "query_string": b"", "root_path": "",
            "headers": [(b"authorization", f"Bearer {KEY}".encode())],
            "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
        }  # fmt: skip
        await app(scope, receive, send)
        assert sent[0]["status"] == 200, sent

    layers = {
        "minimal HTTP client -> stub": lambda i: connection.post(
            "/v1/chat/completions", bodies[i % 2]
        ),
        "openai SDK -> stub": lambda i: sdk.chat.completions.create(
            model="stub", messages=[{"role": "user", "content": PROMPTS[i % 2]}]
        ),
        "LangChain ChatOpenAI.ainvoke": lambda i: chat_model.ainvoke(PROMPTS[i % 2]),
        "asymroute's openai: model.ainvoke": lambda i: provider_model.ainvoke(PROMPTS[i % 2]),
        "router graph.ainvoke (1 model call)": lambda i: graph.ainvoke(
            {"messages": [HumanMessage(PROMPTS[i % 2])]}, context=context
        ),
        "gateway app (ASGI, no socket)": through_app,
    }
    print(f"\n{'one request at a time, in process':<40} {'wall ms':>8} {'cpu ms':>8}")
    for label, call in layers.items():
        for i in range(30):
            await call(i)
        wall, cpu = time.perf_counter(), time.process_time()
        for i in range(n):
            await call(i)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"{label:<40} {wall / n * 1000:>8.2f} {cpu / n * 1000:>8.2f}")
    connection.close()


def serve_command(port: int, args: argparse.Namespace) -> list[str]:
    """`asymroute serve` as the benchmark runs it (no access log)."""
    return [
        sys.executable, "-m", "asymroute.cli", "serve", "--port", str(port),
        "--no-access-log", "--workers", str(args.workers),
    ] + (["--no-gc-tuning"] if args.no_gc_tuning else []) + (
        ["--http-client", args.http_client] if args.http_client else []
    )  # fmt: skip


def gateway_env(stub_url: str, local: str, classifier: str = "heuristic") -> dict[str, str]:
    """Both tiers on the stub; one key for every client, the frontier priced."""
    return {
        "OPENAI_BASE_URL": f"{stub_url}/v1",
        "OLLAMA_BASE_URL": stub_url,
        "ASYMROUTE_GATEWAY_KEYS": json.dumps({"bench": KEY}),
        # One key stands for every client here: the per-key in-flight cap would 429 them.
        "ASYMROUTE_GATEWAY_MAX_CONCURRENT_PER_KEY": "0",
        "ASYMROUTE_GATEWAY_CONTEXT": json.dumps(
            {
                "local_model": f"{local}:stub-local",
                "frontier_model": "openai:stub-frontier",
                "classifier": classifier,
            }
        ),
        "ASYMROUTE_PRICES": json.dumps(
            {
                "openai:stub-frontier": {"input_per_million": 2.5, "output_per_million": 10},
                f"{local}:stub-local": {"input_per_million": 0, "output_per_million": 0},
            }
        ),
        "LANGSMITH_TRACING": "false",
    }


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--local",
        choices=("openai", "ollama"),
        default="openai",
        help="the local tier's protocol: OpenAI-compatible, or Ollama's native /api/chat",
    )
    parser.add_argument(
        "--http-client",
        choices=("aiohttp", "httpx"),
        help="the gateway's async HTTP client for the upstream (default: serve's choice)",
    )
    parser.add_argument(
        "--no-gc-tuning",
        action="store_true",
        help="serve with CPython's default collector settings (for comparison)",
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_load_arguments(parser)
    add_serve_arguments(parser)
    parser.add_argument(
        "--layers", action="store_true", help="also time each layer of one request in process"
    )
    parser.add_argument(
        "--classifier",
        default="heuristic",
        help="the gateway's router (default heuristic: the gateway's own cost; embedding: the "
        "default router's, with --unique-prompts so that every prompt is scored anew)",
    )
    args = parser.parse_args()

    logs = Path(tempfile.mkdtemp(prefix="gateway-load-"))
    stub_port, gateway_port = free_port(), free_port()
    stub_url = f"http://127.0.0.1:{stub_port}"
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    stub = stub_command(stub_port, args.upstream_delay_ms)
    gateway = serve_command(gateway_port, args)
    env = gateway_env(stub_url, args.local, args.classifier)
    with (
        running_server(stub, f"{stub_url}/v1/models", logs / "stub.log"),
        running_server(
            gateway, f"{gateway_url}/v1/models", logs / "gateway.log", env=env, cwd=ROOT
        ),
    ):
        print(f"{args.requests} requests at {phase_name(args)}, local tier {args.local}:")
        print(f"logs in {logs}")
        status = asyncio.run(compare(args, stub_url, gateway_url, ASYMROUTE, "stub-frontier"))
        if args.layers:
            asyncio.run(layer_costs(stub_url, env))
        return status


if __name__ == "__main__":
    raise SystemExit(main())
