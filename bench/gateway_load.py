"""The gateway under load: 2,000 requests at 200 concurrent, against an instant upstream.

Starts the upstream stub (tests/support/upstream_stub.py) and `asymroute serve` on loopback,
with the stub as both tiers, then in one go: the same requests straight to the stub, and
through the gateway (half routed local and validated, half to the frontier). Reports
throughput, end-to-end latency, and the gateway's own overhead per request: its time from
receiving the request to answering it, minus the time spent waiting on model calls (the
`x-asymroute-overhead-ms` header; LiteLLM's "overhead duration"). Also one request at a time,
where the end-to-end difference is the latency a client really gains.

    python bench/gateway_load.py [--requests 2000] [--concurrency 200] [--workers 1] [--layers]
                                 [--upstream-delay-ms 0] [--rate REQUESTS_PER_S] [--no-gc-tuning]
                                 [--http-client aiohttp|httpx]

`--upstream-delay-ms` makes the stub take that long per completion (a model's latency, spent
waiting, not computing): the same concurrency then offers the gateway fewer requests per
second, as real traffic does. `--rate R` replaces the fixed-concurrency phase with an open
loop: requests arrive at random (Poisson) at R per second, however fast earlier ones are
answered, as independent users do; below the gateway's capacity this measures its overhead
without the queue a saturating load builds. `--layers` then times, in this process and one
request at a time, each layer a request goes through (HTTP client, openai SDK, LangChain, the
router graph, the gateway app).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.processes import free_port, running_server  # noqa: E402

KEY = "sk-bench"
KEEP_ALIVE_REUSE_S = 3.0
"""Idle connections older than this are not reused (uvicorn closes them after 5 s idle)."""
PROMPTS = (
    "What is 2+3?",  # local, then validated
    "Analyze and debug this parser, then refactor it to be thread-safe.",  # frontier
)


@dataclass
class Sample:
    latencies_ms: list[float] = field(default_factory=list)
    overheads_ms: list[float] = field(default_factory=list)
    tiers: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    wall_s: float = 0.0


def quantiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        return (values[0],) * 3 if values else (float("nan"),) * 3
    q = statistics.quantiles(values, n=100, method="inclusive")
    return q[49], q[94], q[98]


class Connection:
    """A minimal keep-alive HTTP/1.1 client: the load generator must not be the bottleneck
    (httpx's pool costs more CPU per request than the stub upstream does)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, url: str) -> Connection:
        host, port = url.removeprefix("http://").split(":")
        return cls(*await asyncio.open_connection(host, int(port)))

    async def post(self, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        self.writer.write(
            f"POST {path} HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\n"
            f"authorization: Bearer {KEY}\r\ncontent-length: {len(body)}\r\n\r\n".encode()
            + body
        )
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            if name:
                headers[name.strip().lower()] = value.strip()
        payload = await self.reader.readexactly(int(headers.get("content-length", 0)))
        return int(head[0].split(" ")[1]), headers, payload

    def close(self) -> None:
        self.writer.close()


async def load(url: str, path: str, model: str, n: int, concurrency: int, gateway: bool) -> Sample:
    """`concurrency` clients, each sending its next request when the last one is answered."""
    sample = Sample()
    bodies = [
        json.dumps({"model": model, "messages": [{"role": "user", "content": p}]}).encode()
        for p in PROMPTS
    ]
    remaining = iter(range(n))

    async def client() -> None:
        connection = await Connection.open(url)
        try:
            for i in remaining:
                started = time.perf_counter()
                try:
                    status, headers, payload = await connection.post(path, bodies[i % 2])
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    sample.errors.append(f"{type(exc).__name__}: {exc}")
                    connection.close()
                    connection = await Connection.open(url)
                    continue
                elapsed = (time.perf_counter() - started) * 1000
                if status != 200:
                    sample.errors.append(f"{status}: {payload[:200]!r}")
                    continue
                sample.latencies_ms.append(elapsed)
                if gateway:
                    sample.overheads_ms.append(float(headers["x-asymroute-overhead-ms"]))
                    tier = headers["x-asymroute-tier"]
                    sample.tiers[tier] = sample.tiers.get(tier, 0) + 1
        finally:
            connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(min(concurrency, n))))
    sample.wall_s = time.perf_counter() - started
    return sample


async def load_at_rate(
    url: str, path: str, model: str, n: int, rate: float, gateway: bool
) -> Sample:
    """Open loop: `n` requests sent at Poisson arrival times, `rate` per second on average,
    each on an idle keep-alive connection (a new one when none is idle or recently used: the
    server closes connections idle for 5 s)."""
    sample = Sample()
    bodies = [
        json.dumps({"model": model, "messages": [{"role": "user", "content": p}]}).encode()
        for p in PROMPTS
    ]
    idle: list[tuple[Connection, float]] = []
    arrivals = random.Random(0)

    async def connection_to_use() -> Connection:
        while idle:
            connection, used = idle.pop()
            if time.perf_counter() - used < KEEP_ALIVE_REUSE_S:
                return connection
            connection.close()
        return await Connection.open(url)

    async def one(i: int) -> None:
        connection = await connection_to_use()
        started = time.perf_counter()
        try:
            status, headers, payload = await connection.post(path, bodies[i % 2])
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            sample.errors.append(f"{type(exc).__name__}: {exc}")
            connection.close()
            return
        idle.append((connection, time.perf_counter()))
        if status != 200:
            sample.errors.append(f"{status}: {payload[:200]!r}")
            return
        sample.latencies_ms.append((time.perf_counter() - started) * 1000)
        if gateway:
            sample.overheads_ms.append(float(headers["x-asymroute-overhead-ms"]))
            tier = headers["x-asymroute-tier"]
            sample.tiers[tier] = sample.tiers.get(tier, 0) + 1

    started = time.perf_counter()
    due = started
    tasks = []
    for i in range(n):
        due += arrivals.expovariate(rate)
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        tasks.append(asyncio.create_task(one(i)))
    await asyncio.gather(*tasks)
    sample.wall_s = time.perf_counter() - started
    for connection, _ in idle:
        connection.close()
    return sample


def report(label: str, sample: Sample, n: int) -> None:
    p50, p95, p99 = quantiles(sample.latencies_ms)
    rate = len(sample.latencies_ms) / sample.wall_s
    print(f"{label:<34} {rate:>8.0f} {p50:>9.2f} {p95:>9.2f} {p99:>9.2f} {len(sample.errors):>7}")
    for error in sample.errors[:3]:
        print(f"    error: {error}")


async def run(args: argparse.Namespace, stub_url: str, gateway_url: str) -> int:
    direct_path, routed_path = "/v1/chat/completions", "/v1/chat/completions"
    n, c = args.requests, args.concurrency
    await load(stub_url, direct_path, "stub-frontier", 400, c, False)  # warm-up
    await load(gateway_url, routed_path, "asymroute", 400, c, True)
    load_before = os.getloadavg()
    if args.rate:
        direct = await load_at_rate(stub_url, direct_path, "stub-frontier", n, args.rate, False)
        routed = await load_at_rate(gateway_url, routed_path, "asymroute", n, args.rate, True)
    else:
        direct = await load(stub_url, direct_path, "stub-frontier", n, c, False)
        routed = await load(gateway_url, routed_path, "asymroute", n, c, True)
    phase = f"{args.rate:g} req/s offered" if args.rate else f"{args.concurrency} concurrent"
    single_direct = await load(stub_url, direct_path, "stub-frontier", args.sequential, 1, False)
    single_routed = await load(gateway_url, routed_path, "asymroute", args.sequential, 1, True)
    load_after = os.getloadavg()

    loads = f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}"
    print(f"cores: {os.cpu_count()}; {loads}")
    print(f"gateway workers: {args.workers}; upstream delay: {args.upstream_delay_ms:g} ms")
    print(f"tiers answered: {routed.tiers}")
    print(
        f"\n{'end to end':<34} {'req/s':>8} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'errors':>7}"
    )
    report(f"upstream direct, {phase}", direct, args.requests)
    report(f"through gateway, {phase}", routed, args.requests)
    report("upstream direct, 1 at a time", single_direct, args.sequential)
    report("through gateway, 1 at a time", single_routed, args.sequential)

    o50, o95, o99 = quantiles(routed.overheads_ms)
    s50, s95, s99 = quantiles(single_routed.overheads_ms)
    d50 = quantiles(single_routed.latencies_ms)[0] - quantiles(single_direct.latencies_ms)[0]
    print("\ngateway's own overhead (in-gateway time minus model-call time), ms")
    print(f"  {phase}: p50 {o50:.2f}  p95 {o95:.2f}  p99 {o99:.2f}")
    print(f"  1 at a time:    p50 {s50:.2f}  p95 {s95:.2f}  p99 {s99:.2f}")
    print(f"  1 at a time, end-to-end gateway minus direct, p50: {d50:.2f}")
    ratio = statistics.median(routed.latencies_ms) / statistics.median(direct.latencies_ms)
    print(f"  {phase}, end-to-end p50 ratio gateway/direct: {ratio:.1f}x")
    errors = sum(len(s.errors) for s in (direct, routed, single_direct, single_routed))
    print(f"\nerrors: {errors}")
    return 1 if errors else 0


async def layer_costs(stub_url: str, env: dict[str, str], n: int = 300) -> None:
    """Where a request's time goes, one at a time and in this process: each layer's cost
    includes the ones above it."""
    from langchain_core.messages import HumanMessage
    from langchain_openai import ChatOpenAI
    from openai import AsyncOpenAI

    from asymroute.context import RouterContext
    from asymroute.gateway.app import create_app
    from asymroute.planning import model_options, plan_run
    from asymroute.providers import PROVIDERS
    from asymroute.settings import load_settings
    from graphs.router import build_router

    settings = load_settings(
        _env_file=None,
        openai_base_url=f"{stub_url}/v1",
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
            return incoming.pop() if incoming else {"type": "http.disconnect"}

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


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--sequential", type=int, default=300, help="requests one at a time")
    parser.add_argument("--workers", type=int, default=1, help="gateway worker processes")
    parser.add_argument(
        "--rate", type=float, default=0.0, help="open loop: requests/s offered, Poisson arrivals"
    )
    parser.add_argument(
        "--upstream-delay-ms", type=float, default=0.0, help="the stub's latency per completion"
    )
    parser.add_argument(
        "--layers", action="store_true", help="also time each layer of one request in process"
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
    args = parser.parse_args()

    logs = Path(tempfile.mkdtemp(prefix="gateway-load-"))
    stub_port, gateway_port = free_port(), free_port()
    stub_url = f"http://127.0.0.1:{stub_port}"
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    stub = [
        sys.executable,
        str(ROOT / "tests" / "support" / "upstream_stub.py"),
        "--port",
        str(stub_port),
        "--delay-ms",
        str(args.upstream_delay_ms),
    ]
    gateway = [
        sys.executable, "-m", "asymroute.cli", "serve", "--port", str(gateway_port),
        "--no-access-log", "--workers", str(args.workers),
    ] + (["--no-gc-tuning"] if args.no_gc_tuning else []) + (
        ["--http-client", args.http_client] if args.http_client else []
    )  # fmt: skip
    env = {
        "OPENAI_BASE_URL": f"{stub_url}/v1",
        "ASYMROUTE_GATEWAY_KEYS": json.dumps({"bench": KEY}),
        "ASYMROUTE_GATEWAY_CONTEXT": json.dumps(
            {
                "local_model": "openai:stub-local",
                "frontier_model": "openai:stub-frontier",
                "classifier": "heuristic",
            }
        ),
        "ASYMROUTE_PRICES": json.dumps(
            {
                "openai:stub-frontier": {"input_per_million": 2.5, "output_per_million": 10},
                "openai:stub-local": {"input_per_million": 0, "output_per_million": 0},
            }
        ),
        "LANGSMITH_TRACING": "false",
    }
    with (
        running_server(stub, f"{stub_url}/v1/models", logs / "stub.log"),
        running_server(
            gateway, f"{gateway_url}/v1/models", logs / "gateway.log", env=env, cwd=ROOT
        ),
    ):
        phase = f"{args.rate:g} req/s offered" if args.rate else f"{args.concurrency} concurrent"
        print(f"{args.requests} requests at {phase}; logs in {logs}")
        status = asyncio.run(run(args, stub_url, gateway_url))
        if args.layers:
            asyncio.run(layer_costs(stub_url, env))
        return status


if __name__ == "__main__":
    raise SystemExit(main())
