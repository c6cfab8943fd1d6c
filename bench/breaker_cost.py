"""What sharing the circuit breakers through Redis costs a request, and how fast an opening
reaches another replica.

1. The breaker work of one request, in this process: the classify node asks whether each
   tier's endpoint is cooling down (2 `is_cooling_down`), then the model call is admitted and
   its success recorded (`admit`, `record_success`). Timed for the in-memory registry and for
   the shared one connected to Redis (Debian's redis-server on a free loopback port), taking
   turns batch by batch so the machine's load hits both alike; the in-memory registry runs
   twice, and the difference between its two rows is the noise.
2. The same from 8 threads at once (the blocking path's worker threads share one registry).
3. Propagation: replica A's failures open an endpoint; how long until replica B (another
   registry on the same Redis) sees it cooling down, and, after A's success, closed again.

    python bench/breaker_cost.py [--requests 200000] [--trials 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from asymroute.resilience import BreakerRegistry  # noqa: E402
from asymroute.resilience.shared_breaker import (  # noqa: E402
    SharedBreakerRegistry,
    wait_until_shared,
)
from bench.support.redis import running_redis  # noqa: E402

LOCAL, FRONTIER = "openai http://127.0.0.1:8080/v1 local", "openai https://api/v1 frontier"


def one_request(breakers: BreakerRegistry) -> None:
    breakers.is_cooling_down(LOCAL)
    breakers.is_cooling_down(FRONTIER)
    breakers.admit(LOCAL)
    breakers.record_success(LOCAL)


def per_request_us(breakers: BreakerRegistry, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        one_request(breakers)
    return (time.perf_counter() - started) / n * 1e6


def threaded_us(breakers: BreakerRegistry, n: int, threads: int = 8) -> float:
    each = n // threads
    workers = [
        threading.Thread(target=per_request_us, args=(breakers, each)) for _ in range(threads)
    ]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return (time.perf_counter() - started) / (each * threads) * 1e6


def until(condition: Callable[[], bool], timeout_s: float = 5.0) -> float:
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > timeout_s:
            raise TimeoutError("the change did not arrive")
        time.sleep(0)  # yield to the registry's threads
    return (time.perf_counter() - started) * 1000


def ms_quantiles(values: list[float]) -> str:
    q = statistics.quantiles(values, n=100, method="inclusive")
    return f"p50 {q[49]:.2f}  p95 {q[94]:.2f}  p99 {q[98]:.2f}  max {max(values):.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--trials", type=int, default=200)
    args = parser.parse_args()

    with running_redis() as url:
        memory, again = BreakerRegistry(5, 30.0), BreakerRegistry(5, 30.0)
        shared, other = SharedBreakerRegistry(5, 30.0, url), SharedBreakerRegistry(5, 30.0, url)
        assert wait_until_shared(shared, 10) and wait_until_shared(other, 10)
        settings = {"in memory": memory, "in memory again (noise)": again, "shared": shared}
        batch = max(1, args.requests // 20)
        timings: dict[str, list[float]] = {name: [] for name in settings}
        for _ in range(20):
            for name, breakers in settings.items():
                timings[name].append(per_request_us(breakers, batch))
        print(f"breaker work of one request ({args.requests} requests, 1 thread), µs")
        for name, values in timings.items():
            print(f"  {name:<26} median of 20 batches {statistics.median(values):.2f}")
        print("the same from 8 threads at once, µs per request")
        for name, breakers in settings.items():
            print(f"  {name:<26} {threaded_us(breakers, args.requests):.2f}")

        opened, closed = [], []
        for trial in range(args.trials):
            endpoint = f"endpoint-{trial}"
            for _ in range(5):
                shared.record_failure(endpoint)
            opened.append(until(lambda e=endpoint: other.is_cooling_down(e)))
            shared.record_success(endpoint)
            closed.append(until(lambda e=endpoint: other.status(e).state == "closed"))
        print(f"from replica A's change to replica B seeing it ({args.trials} trials), ms")
        print(f"  opened: {ms_quantiles(opened)}")
        print(f"  closed: {ms_quantiles(closed)}")
        shared.close()
        other.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
