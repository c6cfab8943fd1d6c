"""Large and hostile requests against `asymroute serve` on its defaults (embedded local tier),
with an instant stub frontier: what they cost the requester, and what they cost everyone else.

    python bench/hostile_requests.py [--probes 20] [--counts 10,100,500,1000]

Prints, for requests of N short messages, the time to answer on the embedded tier (or to be
refused); and the latency of small frontier requests alone and while a request of 20,000
messages (over the cap) and one at the cap are in flight, as a ratio to the quiet latency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.support.faulty_upstream import FaultyUpstream  # noqa: E402
from bench.support.processes import free_port, running_server  # noqa: E402

KEY = "sk-bench-hostile"


def body(count: int, model: str = "router-1") -> bytes:
    messages = [{"role": "user", "content": "hi"}] * count
    return json.dumps({"model": model, "messages": messages, "max_tokens": 8}).encode()


async def timed_post(client: object, url: str, payload: bytes) -> tuple[float, int]:
    started = time.perf_counter()
    response = await client.post(url, content=payload)  # type: ignore[attr-defined]
    return time.perf_counter() - started, response.status_code


async def probe_latencies(client: object, url: str, probes: int) -> list[float]:
    small = body(1, model="router-0")  # the frontier stub: answers at once
    times = []
    for _ in range(probes):
        elapsed, status = await timed_post(client, url, small)
        assert status == 200, status
        times.append(elapsed)
        await asyncio.sleep(0.05)
    return times


async def measure(url: str, counts: list[int], probes: int) -> None:
    import httpx

    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    endpoint = f"{url}/v1/chat/completions"
    async with httpx.AsyncClient(headers=headers, timeout=600) as client:
        await timed_post(client, endpoint, body(1))  # loads the embedded model
        print("messages  status  seconds (embedded local tier, router-1)")
        for count in [*counts, 1_001, 20_000]:
            elapsed, status = await timed_post(client, endpoint, body(count))
            print(f"{count:>8}  {status:>6}  {elapsed:8.3f}")
        quiet = statistics.median(await probe_latencies(client, endpoint, probes))
        print(f"\nsmall frontier request, quiet: median {quiet * 1000:.1f} ms")
        for count in (20_000, max(counts)):
            heavy = asyncio.create_task(timed_post(client, endpoint, body(count)))
            await asyncio.sleep(0)
            loaded = await probe_latencies(client, endpoint, probes)
            elapsed, status = await heavy
            print(
                f"...beside one request of {count} messages ({status} in {elapsed:.2f} s): "
                f"median {statistics.median(loaded) * 1000:.1f} ms "
                f"({statistics.median(loaded) / quiet:.2f}x quiet), "
                f"max {max(loaded) * 1000:.1f} ms"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=int, default=20)
    parser.add_argument("--counts", default="10,100,500,1000")
    args = parser.parse_args()
    counts = [int(c) for c in args.counts.split(",")]
    with FaultyUpstream(default="ok") as frontier, tempfile.TemporaryDirectory() as work:
        port = free_port()
        env = {
            "OPENAI_BASE_URL": frontier.openai_url,
            "OPENAI_API_KEY": "sk-stub",
            "ASYMROUTE_GATEWAY_KEYS": json.dumps({"bench": KEY}),
            "ASYMROUTE_GATEWAY_CONTEXT": json.dumps({"frontier_model": "openai:stub"}),
            "ASYMROUTE_GATEWAY_SPEND_PATH": str(Path(work) / "spend.sqlite"),
            "ASYMROUTE_GATEWAY_MAX_BODY_BYTES": "2000000",
            "LANGSMITH_TRACING": "false",
        }
        command = [sys.executable, "-m", "asymroute.cli", "serve", "--port", str(port)]
        url = f"http://127.0.0.1:{port}"
        with running_server(
            command, f"{url}/health/liveness", Path(work) / "server.log", env=env, cwd=ROOT
        ):
            asyncio.run(measure(url, counts, args.probes))


if __name__ == "__main__":
    main()
