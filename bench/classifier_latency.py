"""Per-prompt latency of each classifier on real prompts (RouteLLM's GSM8K and MMLU).

python bench/classifier_latency.py [--data ../shared/data/routellm] [--n 10000]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from pathlib import Path

from asymroute.classifiers import CLASSIFIERS, get_classifier

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "routellm"


def load_prompts(data: Path, n: int) -> list[str]:
    csv.field_size_limit(10**8)
    prompts: list[str] = []
    for path in sorted(data.rglob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            prompts.extend(row["prompt"] for row in csv.DictReader(handle))
    if not prompts:
        raise SystemExit(f"no CSV prompts under {data}")
    return (prompts * (n // len(prompts) + 1))[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--n", type=int, default=10_000)
    args = parser.parse_args()
    prompts = load_prompts(args.data, args.n)
    print(f"{len(prompts)} prompts from {args.data}")
    print(f"{'classifier':<12} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'frontier share':>15}")
    for name in sorted(CLASSIFIERS):
        classifier = get_classifier(name)
        timings, frontier = [], 0
        for prompt in prompts:
            started = time.perf_counter()
            score = classifier.score(prompt)
            timings.append((time.perf_counter() - started) * 1000)
            frontier += score.score >= 0.5
        quantiles = statistics.quantiles(timings, n=100)
        print(
            f"{name:<12} {quantiles[49]:>8.3f} {quantiles[98]:>8.3f} "
            f"{statistics.fmean(timings):>8.3f} {frontier / len(prompts):>15.1%}"
        )


if __name__ == "__main__":
    main()
