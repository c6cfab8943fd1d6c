"""Throughput of the embedded llama.cpp tier under concurrent async calls, by instance count.

    python bench/embedded_throughput.py [--requests 8] [--max-tokens 64] [--instances 1,2]

Each row sends the same `--requests` calls at once through `ChatLlamaCppEmbedded.ainvoke`
(as the gateway does) and prints wall time, answers/s, generated tokens/s and the ratio to
the first row, measured in the same run. Each instance is a copy of the weights with its own
context; `--threads` sets llama.cpp's threads per instance (default: cores / instances).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

from asymroute.providers.llamacpp import packaged_gguf
from asymroute.providers.llamacpp_chat import ChatLlamaCppEmbedded
from asymroute.providers.llamacpp_pool import load_llama

PROMPTS = ["Count from 1 to 40, separated by commas.", "Name five fruits.", "What is 2+3?"]


async def one_round(model: ChatLlamaCppEmbedded, requests: int) -> tuple[float, int]:
    started = time.perf_counter()
    replies = await asyncio.gather(
        *(model.ainvoke(PROMPTS[i % len(PROMPTS)]) for i in range(requests))
    )
    tokens = sum((reply.usage_metadata or {}).get("output_tokens", 0) for reply in replies)
    return time.perf_counter() - started, tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--instances", default="1,2")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    path = str(packaged_gguf("smollm2"))
    print(f"{args.requests} concurrent calls, max_tokens={args.max_tokens}, {cores} cores")
    print("instances | threads each | wall s | answers/s | tokens/s | vs first row")
    reference: float | None = None
    for instances in (int(n) for n in args.instances.split(",")):
        threads = args.threads or max(1, cores // instances)
        model = ChatLlamaCppEmbedded(
            model_path=path,
            model_name="smollm2",
            max_tokens=args.max_tokens,
            n_threads=threads,
            instances=instances,
        )
        asyncio.run(one_round(model, instances))  # load every instance before timing
        wall, tokens = asyncio.run(one_round(model, args.requests))
        rate = args.requests / wall
        reference = reference or rate
        print(
            f"{instances:9d} | {threads:12d} | {wall:6.2f} | {rate:9.2f} | "
            f"{tokens / wall:8.1f} | {rate / reference:.2f}x"
        )
        load_llama.cache_clear()


if __name__ == "__main__":
    main()
