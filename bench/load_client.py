"""The load generator of the gateway benchmarks: a lean keep-alive client and the phases run.

`bench/gateway_load.py` (asymroute) and `bench/litellm_comparison.py` (LiteLLM's proxy) drive
their gateway with the same code: the same requests straight to the upstream stub and through
the gateway, at fixed concurrency (or Poisson arrivals at `--rate`), then one at a time; each
gateway's own overhead is read from its response header.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import cycle
from pathlib import Path

STUB_SCRIPT = Path(__file__).resolve().parent / "support" / "upstream_stub.py"
COMPLETIONS_PATH = "/v1/chat/completions"
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

    async def exchange(
        self, connection: Connection, path: str, body: bytes, overhead_header: str | None
    ) -> bool:
        """One request, filed in this sample; False when the connection broke (and is closed).
        `overhead_header` None: a direct call, with no gateway overhead to read."""
        started = time.perf_counter()
        try:
            status, headers, payload = await connection.post(path, body)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            self.errors.append(f"{type(exc).__name__}: {exc}")
            connection.close()
            return False
        elapsed_ms = (time.perf_counter() - started) * 1000
        if status != 200:
            self.errors.append(f"{status}: {payload[:200]!r}")
            return True
        self.latencies_ms.append(elapsed_ms)
        if overhead_header is not None:
            self.overheads_ms.append(float(headers[overhead_header]))
            if tier := headers.get("x-asymroute-tier"):  # other gateways have no tiers
                self.tiers[tier] = self.tiers.get(tier, 0) + 1
        return True


def request_bodies(model: str, unique: int = 0) -> list[bytes]:
    """The two prompts, or `unique` prompts none of which was sent before (the two, each
    numbered and tagged for this call): a router that keeps the scores of prompts it has seen
    (`embedding`) then scores every request anew, as with real traffic."""
    tag = secrets.token_hex(4)
    prompts = [f"{PROMPTS[i % 2]} (request {tag}-{i})" for i in range(unique)] or PROMPTS
    return [
        json.dumps({"model": model, "messages": [{"role": "user", "content": p}]}).encode()
        for p in prompts
    ]


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


def replica_urls(url: str | Sequence[str]) -> list[str]:
    """Several URLs: replicas of one gateway, each connection to the next in turn (what a
    round-robin load balancer does, without a balancer process taking CPU)."""
    return [url] if isinstance(url, str) else list(url)


async def load(
    url: str | Sequence[str],
    path: str,
    model: str,
    n: int,
    concurrency: int,
    overhead_header: str | None = None,
    unique: bool = False,
) -> Sample:
    """`concurrency` clients, each sending its next request when the last one is answered."""
    sample, bodies = Sample(), request_bodies(model, n if unique else 0)
    remaining = iter(range(n))
    urls = replica_urls(url)

    async def client(target: str) -> None:
        connection = await Connection.open(target)
        try:
            for i in remaining:
                body = bodies[i % len(bodies)]
                if not await sample.exchange(connection, path, body, overhead_header):
                    connection = await Connection.open(target)
        finally:
            connection.close()

    started = time.perf_counter()
    clients = min(concurrency, n)
    await asyncio.gather(*(client(urls[k % len(urls)]) for k in range(clients)))
    sample.wall_s = time.perf_counter() - started
    return sample


async def load_at_rate(
    url: str | Sequence[str],
    path: str,
    model: str,
    n: int,
    rate: float,
    overhead_header: str | None = None,
    unique: bool = False,
) -> Sample:
    """Open loop: `n` requests sent at Poisson arrival times, `rate` per second on average,
    each on an idle keep-alive connection (a new one when none is idle or recently used: the
    server closes connections idle for 5 s)."""
    sample, bodies = Sample(), request_bodies(model, n if unique else 0)
    idle: list[tuple[Connection, float]] = []
    arrivals = random.Random(0)
    next_url = cycle(replica_urls(url))

    async def connection_to_use() -> Connection:
        while idle:
            connection, used = idle.pop()
            if time.perf_counter() - used < KEEP_ALIVE_REUSE_S:
                return connection
            connection.close()
        return await Connection.open(next(next_url))

    async def one(i: int) -> None:
        connection = await connection_to_use()
        if await sample.exchange(connection, path, bodies[i % len(bodies)], overhead_header):
            idle.append((connection, time.perf_counter()))

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


def report(label: str, sample: Sample) -> None:
    p50, p95, p99 = quantiles(sample.latencies_ms)
    rate = len(sample.latencies_ms) / sample.wall_s
    print(f"{label:<34} {rate:>8.0f} {p50:>9.2f} {p95:>9.2f} {p99:>9.2f} {len(sample.errors):>7}")
    for error in sample.errors[:3]:
        print(f"    error: {error}")


def stub_command(port: int, delay_ms: float = 0.0) -> list[str]:
    """The instant upstream stub (bench/support/upstream_stub.py) on `port`, as a command."""
    return [sys.executable, str(STUB_SCRIPT), "--port", str(port), "--delay-ms", str(delay_ms)]


@dataclass(frozen=True)
class Target:
    """The gateway under test: how the report names it, the model to ask, its overhead header."""

    label: str
    model: str
    overhead_header: str


def add_load_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--sequential", type=int, default=300, help="requests one at a time")
    parser.add_argument(
        "--workers", type=int, default=1, help="worker processes of the gateway under test"
    )
    parser.add_argument(
        "--rate", type=float, default=0.0, help="open loop: requests/s offered, Poisson arrivals"
    )
    parser.add_argument(
        "--upstream-delay-ms", type=float, default=0.0, help="the stub's latency per completion"
    )
    parser.add_argument(
        "--unique-prompts",
        action="store_true",
        help="every routed request a prompt not sent before (routers that keep scores)",
    )


def phase_name(args: argparse.Namespace) -> str:
    return f"{args.rate:g} req/s offered" if args.rate else f"{args.concurrency} concurrent"


@dataclass
class Phases:
    """The samples of one run: loaded and one at a time, straight to the stub and routed."""

    name: str
    direct: Sample
    routed: Sample
    single_direct: Sample
    single_routed: Sample
    loads: tuple[float, float]

    @property
    def errors(self) -> int:
        samples = (self.direct, self.routed, self.single_direct, self.single_routed)
        return sum(len(s.errors) for s in samples)


async def run_phases(
    args: argparse.Namespace,
    stub_url: str,
    gateway_url: str | Sequence[str],
    target: Target,
    stub_model: str,
) -> Phases:
    """Warm both up, run the loaded phase and the one-at-a-time phase."""
    path, header = COMPLETIONS_PATH, target.overhead_header
    n, c = args.requests, args.concurrency
    await load(stub_url, path, stub_model, 400, c)  # warm-up
    fresh = bool(getattr(args, "unique_prompts", False))
    await load(gateway_url, path, target.model, 400, c, header, fresh)
    load_before = os.getloadavg()
    if args.rate:
        direct = await load_at_rate(stub_url, path, stub_model, n, args.rate)
        routed = await load_at_rate(gateway_url, path, target.model, n, args.rate, header, fresh)
    else:
        direct = await load(stub_url, path, stub_model, n, c)
        routed = await load(gateway_url, path, target.model, n, c, header, fresh)
    single_direct = await load(stub_url, path, stub_model, args.sequential, 1)
    single_routed = await load(gateway_url, path, target.model, args.sequential, 1, header, fresh)
    loads = (load_before[0], os.getloadavg()[0])
    return Phases(phase_name(args), direct, routed, single_direct, single_routed, loads)


async def compare(
    args: argparse.Namespace,
    stub_url: str,
    gateway_url: str | Sequence[str],
    target: Target,
    stub_model: str,
) -> int:
    """Run the phases and print the report; returns 1 when any request failed."""
    phases = await run_phases(args, stub_url, gateway_url, target, stub_model)
    print_report(args, target, phases)
    return 1 if phases.errors else 0


def print_report(args: argparse.Namespace, target: Target, phases: Phases) -> None:
    phase, header = phases.name, target.overhead_header
    direct, routed = phases.direct, phases.routed
    single_direct, single_routed = phases.single_direct, phases.single_routed
    loads = f"load average before {phases.loads[0]:.2f}, after {phases.loads[1]:.2f}"
    print(f"cores: {os.cpu_count()}; {loads}")
    print(f"{target.label} workers: {args.workers}; upstream delay: {args.upstream_delay_ms:g} ms")
    if routed.tiers:
        print(f"tiers answered: {routed.tiers}")
    print(
        f"\n{'end to end':<34} {'req/s':>8} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'errors':>7}"
    )
    report(f"upstream direct, {phase}", direct)
    report(f"through {target.label}, {phase}", routed)
    report("upstream direct, 1 at a time", single_direct)
    report(f"through {target.label}, 1 at a time", single_routed)

    o50, o95, o99 = quantiles(routed.overheads_ms)
    s50, s95, s99 = quantiles(single_routed.overheads_ms)
    d50 = quantiles(single_routed.latencies_ms)[0] - quantiles(single_direct.latencies_ms)[0]
    print(f"\n{target.label}'s own overhead ({header}: in-gateway time minus model-call time), ms")
    print(f"  {phase}: p50 {o50:.2f}  p95 {o95:.2f}  p99 {o99:.2f}")
    print(f"  1 at a time:    p50 {s50:.2f}  p95 {s95:.2f}  p99 {s99:.2f}")
    print(f"  1 at a time, end-to-end {target.label} minus direct, p50: {d50:.2f}")
    ratio = statistics.median(routed.latencies_ms) / statistics.median(direct.latencies_ms)
    print(f"  {phase}, end-to-end p50 ratio {target.label}/direct: {ratio:.1f}x")
    print(f"\nerrors: {phases.errors}")
