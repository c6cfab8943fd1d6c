"""The openai SDK's two async HTTP clients against an instant upstream: CPU per call, calls/s.

    python bench/openai_http_client.py [--calls 1000] [--concurrency 100]

Starts the upstream stub (tests/support/upstream_stub.py) on loopback and times
`AsyncOpenAI.chat.completions.create` one call at a time and with `--concurrency` calls in
flight, with the SDK's default client (httpx2) and with its aiohttp transport
(`openai.DefaultAioHttpClient`), interleaved, twice. The reason `asymroute serve` sends
`openai:` calls through aiohttp (asymroute/providers/async_http.py).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.processes import free_port, running_server  # noqa: E402

MESSAGES = [{"role": "user", "content": "What is 2+3?"}]


async def one_at_a_time(client: Any, calls: int) -> tuple[float, float]:
    for _ in range(30):  # connections open, code paths warm
        await client.chat.completions.create(model="stub", messages=MESSAGES)
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        await client.chat.completions.create(model="stub", messages=MESSAGES)
    return (time.perf_counter() - wall) / calls * 1000, (time.process_time() - cpu) / calls * 1000


async def in_flight(client: Any, calls: int, concurrency: int) -> tuple[float, float]:
    slots = asyncio.Semaphore(concurrency)

    async def call() -> None:
        async with slots:
            await client.chat.completions.create(model="stub", messages=MESSAGES)

    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(call() for _ in range(calls)))
    return calls / (time.perf_counter() - wall), (time.process_time() - cpu) / calls * 1000


async def compare(url: str, calls: int, concurrency: int) -> None:
    import openai

    print(f"{'client':<10} {'1 at a time: wall ms':>21} {'cpu ms':>7} "
          f"{f'{concurrency} in flight: calls/s':>26} {'cpu ms':>7}")  # fmt: skip
    for _ in range(2):
        for name in ("httpx2", "aiohttp"):
            http = openai.DefaultAioHttpClient() if name == "aiohttp" else None
            client = openai.AsyncOpenAI(
                base_url=url, api_key="bench", max_retries=0, http_client=http
            )
            wall, cpu = await one_at_a_time(client, calls)
            rate, cpu_loaded = await in_flight(client, 2 * calls, concurrency)
            print(f"{name:<10} {wall:>21.3f} {cpu:>7.3f} {rate:>26.0f} {cpu_loaded:>7.3f}")
            await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args()
    port = free_port()
    stub_script = ROOT / "tests" / "support" / "upstream_stub.py"
    stub = [sys.executable, str(stub_script), "--port", str(port)]
    log = Path(tempfile.mkdtemp(prefix="openai-client-")) / "stub.log"
    with running_server(stub, f"http://127.0.0.1:{port}/v1/models", log):
        asyncio.run(compare(f"http://127.0.0.1:{port}/v1", args.calls, args.concurrency))


if __name__ == "__main__":
    main()
