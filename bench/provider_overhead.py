"""What a call costs on the client side, per provider: the in-house `openai:` path against
`langchain:anthropic:` and `langchain:google_genai:`, each on an instant loopback stub.

The stubs answer at once (bench/support/upstream_stub.py for OpenAI's API,
tests/support/provider_stubs.py for Anthropic's and Gemini's), so the figures are the client
libraries' and asymroute's own time per call, not inference; the ratio is against `openai:` in
the same run.

    python bench/provider_overhead.py [--n 300]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from asymroute.providers import get_provider, parse_model  # noqa: E402
from asymroute.providers.base import ModelOptions  # noqa: E402
from asymroute.settings import Settings  # noqa: E402
from bench.support.processes import free_port, running_server  # noqa: E402

KEY = "sk-bench"
MODELS = (
    "openai:stub",
    "langchain:anthropic:claude-sonnet-4-5",
    "langchain:google_genai:gemini-2.5-flash",
)


async def timed_calls(
    settings: Settings, n: int
) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Each model's call times (ms) and mean CPU time of this process per call (ms: the stubs
    run in their own processes), the models taking turns (load on shared cores shifts)."""
    options = ModelOptions(max_output_tokens=16, temperature=0.0, timeout_s=10, connect_timeout_s=5)
    models = {}
    for model_string in MODELS:
        spec = parse_model(model_string)
        models[model_string] = get_provider(spec).create(spec.model, settings, options)
    times: dict[str, list[float]] = {name: [] for name in MODELS}
    cpu = dict.fromkeys(MODELS, 0.0)
    for i in range(n + 20):  # the first 20: warm-up (connections, imports)
        for name, model in models.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            await model.ainvoke("What is 2+3?")
            if i >= 20:
                times[name].append((time.perf_counter() - start) * 1000)
                cpu[name] += (time.process_time() - start_cpu) * 1000 / n
    return times, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=300)
    args = parser.parse_args()
    logs = Path(tempfile.mkdtemp())
    openai_port, stubs_port = free_port(), free_port()
    openai_url, stubs_url = f"http://127.0.0.1:{openai_port}", f"http://127.0.0.1:{stubs_port}"
    upstream = [sys.executable, str(ROOT / "bench/support/upstream_stub.py"),
                "--port", str(openai_port)]  # fmt: skip
    stubs = [sys.executable, str(ROOT / "tests/support/provider_stubs.py"),
             "--port", str(stubs_port), "--key", KEY]  # fmt: skip
    os.environ.update(
        {"ANTHROPIC_BASE_URL": stubs_url, "ANTHROPIC_API_KEY": KEY,
         "GOOGLE_GEMINI_BASE_URL": stubs_url, "GOOGLE_API_KEY": KEY}
    )  # fmt: skip
    os.environ.pop("ANTHROPIC_API_URL", None)
    settings = Settings(_env_file=None, openai_base_url=f"{openai_url}/v1", openai_api_key=KEY)  # type: ignore[call-arg]
    with (
        running_server(upstream, f"{openai_url}/v1/models", logs / "upstream.log"),
        running_server(stubs, f"{stubs_url}/health", logs / "stubs.log"),
    ):
        times, cpu = asyncio.run(timed_calls(settings, args.n))
    medians = {name: statistics.median(values) for name, values in times.items()}
    reference = medians[MODELS[0]]
    print(f"ainvoke on instant loopback stubs, {args.n} calls each, taking turns (ms)")
    for name, median in medians.items():
        p95 = statistics.quantiles(times[name], n=20)[-1]
        print(
            f"  {name:40} p50 {median:6.2f}  p95 {p95:6.2f}  x{median / reference:.2f}"
            f"  CPU/call {cpu[name]:5.2f}  x{cpu[name] / cpu[MODELS[0]]:.2f}"
        )


if __name__ == "__main__":
    main()
