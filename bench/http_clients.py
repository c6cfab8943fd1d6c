"""The model clients' async HTTP stacks against an instant upstream: CPU per call, calls/s.

    python bench/http_clients.py [--calls 1000] [--concurrency 100]

Starts the upstream stub (bench/support/upstream_stub.py) on loopback and times one chat call
at a time and `--concurrency` calls in flight, interleaved, twice, for
- the openai SDK (`AsyncOpenAI.chat.completions.create`) with its default client (httpx2) and
  with its aiohttp transport (`openai.DefaultAioHttpClient`);
- LangChain's `ChatOllama.ainvoke` (Ollama's native `/api/chat`, streamed NDJSON) with its
  default httpx client and over `httpx_aiohttp.AiohttpTransport`.
The reason `asymroute serve` sends both tiers' calls through aiohttp
(asymroute/providers/async_http.py).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load_client import stub_command  # noqa: E402
from bench.support.processes import free_port, running_server  # noqa: E402

MESSAGES = [{"role": "user", "content": "What is 2+3?"}]
Call = Callable[[], Awaitable[Any]]


async def one_at_a_time(call: Call, calls: int) -> tuple[float, float]:
    for _ in range(30):  # connections open, code paths warm
        await call()
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(calls):
        await call()
    return (time.perf_counter() - wall) / calls * 1000, (time.process_time() - cpu) / calls * 1000


async def in_flight(call: Call, calls: int, concurrency: int) -> tuple[float, float]:
    slots = asyncio.Semaphore(concurrency)

    async def limited() -> None:
        async with slots:
            await call()

    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(limited() for _ in range(calls)))
    return calls / (time.perf_counter() - wall), (time.process_time() - cpu) / calls * 1000


def openai_client(url: str, aiohttp: bool) -> tuple[Call, Callable[[], Awaitable[None]]]:
    import openai

    http = openai.DefaultAioHttpClient() if aiohttp else None
    client = openai.AsyncOpenAI(
        base_url=f"{url}/v1", api_key="bench", max_retries=0, http_client=http
    )

    async def call() -> Any:
        return await client.chat.completions.create(model="stub", messages=MESSAGES)  # type: ignore[arg-type]

    return call, client.close


def ollama_client(url: str, aiohttp: bool) -> tuple[Call, Callable[[], Awaitable[None]]]:
    from httpx_aiohttp import AiohttpTransport
    from langchain_ollama import ChatOllama

    transport = AiohttpTransport() if aiohttp else None
    model = ChatOllama(
        model="stub", base_url=url, async_client_kwargs={"transport": transport} if aiohttp else {}
    )

    async def call() -> Any:
        return await model.ainvoke(MESSAGES[0]["content"])

    async def close() -> None:
        await model._async_client._client.aclose()

    return call, close


async def compare(url: str, calls: int, concurrency: int) -> None:
    clients = {
        "openai, httpx2": lambda: openai_client(url, False),
        "openai, aiohttp": lambda: openai_client(url, True),
        "ollama, httpx": lambda: ollama_client(url, False),
        "ollama, aiohttp": lambda: ollama_client(url, True),
    }
    print(f"{'client':<16} {'1 at a time: wall ms':>21} {'cpu ms':>7} "
          f"{f'{concurrency} in flight: calls/s':>26} {'cpu ms':>7}")  # fmt: skip
    for _ in range(2):
        for name, make in clients.items():
            call, close = make()
            wall, cpu = await one_at_a_time(call, calls)
            rate, cpu_loaded = await in_flight(call, 2 * calls, concurrency)
            print(f"{name:<16} {wall:>21.3f} {cpu:>7.3f} {rate:>26.0f} {cpu_loaded:>7.3f}")
            await close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args()
    port = free_port()
    stub = stub_command(port)
    log = Path(tempfile.mkdtemp(prefix="http-clients-")) / "stub.log"
    with running_server(stub, f"http://127.0.0.1:{port}/v1/models", log):
        asyncio.run(compare(f"http://127.0.0.1:{port}", args.calls, args.concurrency))


if __name__ == "__main__":
    main()
