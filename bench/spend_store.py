"""What a shared spend store costs a gateway request: per-call time of each store.

    python bench/spend_store.py [--calls 2000] [--postgres]

A budgeted request does one `aspent` before it runs and, when it cost something, one `aadd`
after. `--postgres` also starts a throwaway PostgreSQL server (tests/support/postgres.py).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from asymroute.gateway.spend import (  # noqa: E402
    MemorySpendStore,
    PostgresSpendStore,
    SpendStore,
    SqliteSpendStore,
)


async def timings_ms(store: SpendStore, calls: int) -> tuple[list[float], list[float]]:
    reads, writes = [], []
    for _ in range(calls):
        started = time.perf_counter()
        await store.aspent("bench")
        reads.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        await store.aadd("bench", 0.0001)
        writes.append((time.perf_counter() - started) * 1000)
    return reads, writes


def report(name: str, store: SpendStore, calls: int) -> None:
    reads, writes = asyncio.run(timings_ms(store, calls))
    for label, values in (("aspent", reads), ("aadd", writes)):
        cuts = statistics.quantiles(values, n=100)
        print(f"{name:9} {label:7} p50 {cuts[49]:.3f} ms  p99 {cuts[98]:.3f} ms")
    assert abs(store.spent("bench") - calls * 0.0001) < 1e-9, "lost an increment"
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    report("memory", MemorySpendStore(), args.calls)
    with tempfile.TemporaryDirectory() as directory:
        report("sqlite", SqliteSpendStore(Path(directory) / "spend.sqlite"), args.calls)
    if args.postgres:
        from tests.support.postgres import running_postgres

        with running_postgres() as url:
            report("postgres", PostgresSpendStore(url), args.calls)


if __name__ == "__main__":
    main()
