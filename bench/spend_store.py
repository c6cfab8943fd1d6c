"""What a shared spend store costs a gateway request: per-call time of each store.

    python bench/spend_store.py [--calls 2000] [--postgres]

A budgeted request does one `areserve` before it runs (a transaction: expire stale
reservations, lock the key, sum what is held, insert) and one `asettle` after (delete the
reservation, add the real cost). `--postgres` also starts a throwaway PostgreSQL server
(bench/support/postgres.py).
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
from asymroute.gateway.spend.reservations import Reservation  # noqa: E402


async def timings_ms(store: SpendStore, calls: int) -> tuple[list[float], list[float]]:
    reserves, settles = [], []
    for _ in range(calls):
        reservation = Reservation("bench", 0.0002)
        started = time.perf_counter()
        admission = await store.areserve(reservation, budget_usd=1e9)
        reserves.append((time.perf_counter() - started) * 1000)
        assert admission.admitted
        started = time.perf_counter()
        await store.asettle(reservation, 0.0001)
        settles.append((time.perf_counter() - started) * 1000)
    return reserves, settles


def report(name: str, store: SpendStore, calls: int) -> None:
    reserves, settles = asyncio.run(timings_ms(store, calls))
    for label, values in (("areserve", reserves), ("asettle", settles)):
        cuts = statistics.quantiles(values, n=100)
        print(f"{name:9} {label:8} p50 {cuts[49]:.3f} ms  p99 {cuts[98]:.3f} ms")
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
        from bench.support.postgres import running_postgres

        with running_postgres() as url:
            report("postgres", PostgresSpendStore(url), args.calls)


if __name__ == "__main__":
    main()
