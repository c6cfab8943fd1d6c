"""What a per-key rate limit check costs a request, against the same request without limits.

Starts the upstream stub (bench/support/upstream_stub.py) as both tiers and, in this process,
one gateway app whose limiter is swapped between: no limits; requests and tokens per minute and
per day in memory; the same in Redis (Debian's redis-server on a free loopback port, when
installed). Requests go one at a time (ASGI, no socket: the figures are the gateway's own),
taking turns request by request so that the machine's load hits every setting alike; the
reference runs twice, and the difference between its two rows is the measurement's noise.
Then the check alone: admission and its token correction, with no request around it.

    python bench/rate_limit_cost.py [--requests 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from langchain_core.messages import HumanMessage  # noqa: E402

from asymroute.context import RouterContext  # noqa: E402
from asymroute.gateway.app import create_app  # noqa: E402
from asymroute.gateway.rate_limits import KeyRateLimits, open_storage, parse_key_limits  # noqa: E402
from asymroute.gateway.settings import load_gateway_settings  # noqa: E402
from bench.load_client import KEY, PROMPTS, stub_command  # noqa: E402
from bench.support.processes import free_port, running_server  # noqa: E402
from bench.support.redis import redis_server_binary, running_redis  # noqa: E402

LIMITS = {"bench": {"requests": "1000000/minute; 10000000/day", "tokens": "1000000000/minute"}}
CONTEXT = RouterContext(
    local_model="openai:stub-local", frontier_model="openai:stub-frontier", classifier="heuristic"
)


def app_client(stub_url: str) -> tuple[httpx.AsyncClient, Any]:
    """A client of a gateway app without limits, and the app's gateway (to swap them in)."""
    app = create_app(
        load_gateway_settings(
            _env_file=None,
            openai_base_url=f"{stub_url}/v1",
            gateway_keys={"bench": KEY},
            gateway_spend_store="memory",
        ),
        CONTEXT,
    )
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 1)),
        base_url="http://gateway",
        headers={"authorization": f"Bearer {KEY}"},
    )
    return client, app.state.gateway


def limiter(redis_url: str | None = None) -> KeyRateLimits:
    return KeyRateLimits(parse_key_limits(LIMITS, ["bench"]), open_storage(redis_url))


BODIES = [{"model": "asymroute", "messages": [{"role": "user", "content": p}]} for p in PROMPTS]


async def one_request(client: httpx.AsyncClient, i: int) -> float:
    """Wall milliseconds of one request."""
    started = time.perf_counter()
    response = await client.post("/v1/chat/completions", json=BODIES[i % len(BODIES)])
    if response.status_code != 200:
        raise RuntimeError(f"{response.status_code}: {response.text}")
    return (time.perf_counter() - started) * 1000


async def check_alone(limits: KeyRateLimits, n: int) -> float:
    """Microseconds per admission plus its correction."""
    messages = [HumanMessage(PROMPTS[0])]
    used = {"usage": [{"input_tokens": 20, "output_tokens": 6}]}
    started = time.perf_counter()
    for _ in range(n):
        admission = await limits.admit("bench", messages, 256)
        await admission.run_settled(used, "answered")
    return (time.perf_counter() - started) / n * 1e6


async def measure(
    client: httpx.AsyncClient, gateway: Any, settings: dict[str, KeyRateLimits], n: int
) -> None:
    for limits in settings.values():
        gateway.rate_limits = limits
        for i in range(50):  # warm-up: plans, connections, caches
            await one_request(client, i)
    # One app, its limiter swapped request by request: the machine's load varies faster than
    # a block of requests takes, and two apps differ by more than a limit check (a second app
    # without limits measured 2 ms slower than the first); the median shrugs off the requests
    # a neighbour's burst slowed.
    times: dict[str, list[float]] = {label: [] for label in settings}
    order = list(settings)
    turns = random.Random(0)
    for i in range(n):
        turns.shuffle(order)  # no setting always follows the same one
        for label in order:
            gateway.rate_limits = settings[label]
            times[label].append(await one_request(client, i))
    reference = statistics.median(times["no limits"])
    heading = "one request at a time, in process"
    print(f"\n{heading:<34} {'median ms':>9} {'mean ms':>8} {'ratio':>6}")
    for label, values in times.items():
        median = statistics.median(values)
        extra = f"  ({(median - reference) * 1000:+.0f} us)" if label != "no limits" else ""
        print(
            f"{label:<34} {median:>9.3f} {statistics.fmean(values):>8.3f} "
            f"{median / reference:>6.3f}{extra}"
        )
    print(f"\n{'the check alone (admit + correct)':<34} {'us':>9}")
    for label, limits in settings.items():
        if settings[label].limits:
            print(f"{label:<34} {await check_alone(limits, n):>9.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000, help="per setting")
    args = parser.parse_args()
    with ExitStack() as stack:
        port = free_port()
        stub_url = f"http://127.0.0.1:{port}"
        logs = stack.enter_context(tempfile.TemporaryDirectory(prefix="rate-limit-bench-"))
        log = Path(logs) / "stub.log"
        stack.enter_context(running_server(stub_command(port), f"{stub_url}/v1/models", log))
        client, gateway = app_client(stub_url)
        unlimited = gateway.rate_limits
        settings = {
            "no limits": unlimited,
            "no limits (control)": unlimited,  # its difference is the measurement's noise
            "in memory (3 windows)": limiter(),
        }
        if redis_server_binary():
            settings["in Redis (3 windows)"] = limiter(stack.enter_context(running_redis()))
        else:
            print("redis-server is not installed: the Redis rows are left out")
        print(f"{args.requests} requests per setting; the limits never refuse:")
        print(json.dumps(LIMITS["bench"]))
        asyncio.run(measure(client, gateway, settings, args.requests))
    return 0


if __name__ == "__main__":
    sys.exit(main())
