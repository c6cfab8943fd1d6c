"""Replicas sharing their state: one `asymroute serve` vs two on the same cores, with Redis and
Postgres shared, under the load of bench/gateway_load.py.

Three setups, each started fresh and run through the same phases (warm-up, 2,000 requests at
200 concurrent or `--rate`, then one at a time), both tiers on the instant upstream stub:

1. one replica, its state in the process: rate limits in memory, budget in SQLite, breakers
   in memory (the defaults);
2. one replica, its state shared: rate limits and breakers in Redis, budget in Postgres;
3. two replicas sharing that Redis and Postgres; the client spreads its connections over them
   in turn, as a round-robin load balancer would.

Every request pays for the shared state: the key has a request and a token limit and a
budget, all far from reached. The summary compares throughput and the gateway's own overhead
(`x-asymroute-overhead-ms`) at p50/p95/p99. bench/breaker_cost.py measures the breaker check
alone.

    python bench/replicas_load.py [--requests 2000] [--concurrency 200] [--rate R]
                                  [--setups memory,shared,two] [--rounds 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.gateway_load import (  # noqa: E402
    ASYMROUTE,
    add_serve_arguments,
    gateway_env,
    serve_command,
)
from bench.load_client import (  # noqa: E402
    Phases,
    add_load_arguments,
    print_report,
    quantiles,
    run_phases,
    stub_command,
)
from bench.support.postgres import running_postgres  # noqa: E402
from bench.support.processes import free_port, running_server  # noqa: E402
from bench.support.redis import running_redis  # noqa: E402

SETUPS = {
    "memory": "1 replica, state in process",
    "shared": "1 replica, Redis + Postgres",
    "two": "2 replicas, Redis + Postgres",
}
# Far from reached: every request is checked and counted, none refused.
LIMITS = {"bench": {"requests": "100000000/minute", "tokens": "100000000000/minute"}}
BUDGET_USD = 1_000_000.0


@contextmanager
def replicas(
    count: int, args: argparse.Namespace, env: dict[str, str], logs: Path, name: str
) -> Iterator[list[str]]:
    with ExitStack() as stack:
        urls = []
        for n in range(count):
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            log = logs / f"{name}-{n}.log"
            command = serve_command(port, args)
            stack.enter_context(running_server(command, f"{url}/v1/models", log, env, ROOT))
            urls.append(url)
        yield urls


def summary_row(label: str, phases: Phases) -> str:
    rate = len(phases.routed.latencies_ms) / phases.routed.wall_s
    o50, o95, o99 = quantiles(phases.routed.overheads_ms)
    s50 = quantiles(phases.single_routed.overheads_ms)[0]
    e50 = quantiles(phases.routed.latencies_ms)[0]
    return (
        f"| {label} | {rate:.0f} | {e50:.1f} | {o50:.2f} | {o95:.2f} | {o99:.2f} | {s50:.2f} "
        f"| {phases.errors} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_load_arguments(parser)
    add_serve_arguments(parser)
    parser.add_argument("--setups", default=",".join(SETUPS), help="which, in this order")
    parser.add_argument("--rounds", type=int, default=1, help="repeat the setups, interleaved")
    args = parser.parse_args()
    chosen = [name.strip() for name in args.setups.split(",")]
    unknown = set(chosen) - set(SETUPS)
    if unknown:
        parser.error(f"unknown setups {sorted(unknown)}; choose from {', '.join(SETUPS)}")

    logs = Path(tempfile.mkdtemp(prefix="replicas-load-"))
    stub_port = free_port()
    stub_url = f"http://127.0.0.1:{stub_port}"
    rows: list[str] = []
    with (
        running_server(
            stub_command(stub_port, args.upstream_delay_ms),
            f"{stub_url}/v1/models",
            logs / "stub.log",
        ),  # fmt: skip
        running_redis() as redis_url,
        running_postgres() as postgres_url,
    ):
        print(f"logs in {logs}")
        base = gateway_env(stub_url, args.local) | {
            "ASYMROUTE_GATEWAY_KEY_LIMITS": json.dumps(LIMITS),
            "ASYMROUTE_GATEWAY_KEY_BUDGETS": json.dumps({"bench": BUDGET_USD}),
        }
        shared = base | {"ASYMROUTE_REDIS_URL": redis_url, "ASYMROUTE_POSTGRES_URL": postgres_url}
        for round_ in range(args.rounds):
            for name in chosen:
                env = base | {"ASYMROUTE_GATEWAY_SPEND_PATH": str(logs / f"spend-{round_}.db")}
                env = env if name == "memory" else shared
                count = 2 if name == "two" else 1
                print(f"\n== {SETUPS[name]} (round {round_ + 1}) ==")
                with replicas(count, args, env, logs, f"{name}-{round_}") as urls:
                    phases = asyncio.run(
                        run_phases(args, stub_url, urls, ASYMROUTE, "stub-frontier")
                    )
                print_report(args, ASYMROUTE, phases)
                rows.append(summary_row(SETUPS[name], phases))

    print(f"\n{args.requests} requests at {phases.name} per setup; overhead in ms")
    print("| setup | req/s | e2e p50 ms | overhead p50 | p95 | p99 | 1 at a time p50 | errors |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    return 1 if any(not row.endswith("| 0 |") for row in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
