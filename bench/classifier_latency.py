"""Per-prompt latency of each classifier on real prompts (RouteLLM's GSM8K and MMLU).

python bench/classifier_latency.py [--data ../shared/data/routellm] [--n 10000]

For each classifier: the first call (model file load + warm-up, timed alone), then the
steady-state p50/p90/p99/max over `--n` prompts with the garbage collector on (as in
production) and again with it off, so the tail can be attributed (GC pauses vs scheduling noise
from other processes on a shared machine; the load average is printed). `frontier share` is the
share of these prompts scored >= 0.5.
"""

from __future__ import annotations

import argparse
import csv
import gc
import os
import statistics
import time
from pathlib import Path

from asymroute.classifiers import CLASSIFIERS, get_classifier
from asymroute.classifiers.base import Classifier

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


def timed(classifier: Classifier, prompts: list[str]) -> tuple[list[float], int]:
    timings, frontier = [], 0
    # `embedding` keeps the scores of prompts it saw; every prompt is timed as a new one.
    forget = getattr(classifier, "forget_scores", lambda: None)
    for prompt in prompts:
        forget()
        started = time.perf_counter()
        score = classifier.score(prompt)
        timings.append((time.perf_counter() - started) * 1000)
        frontier += score.score >= 0.5
    return timings, frontier


def row(label: str, timings: list[float]) -> str:
    q = statistics.quantiles(timings, n=100)
    return f"{label:<22} {q[49]:>8.3f} {q[89]:>8.3f} {q[98]:>8.3f} {max(timings):>8.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--n", type=int, default=10_000)
    args = parser.parse_args()
    prompts = load_prompts(args.data, args.n)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{len(prompts)} prompts from {args.data}; load average {load} on {os.cpu_count()} CPUs")
    print(f"{'classifier':<22} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name in sorted(CLASSIFIERS):
        started = time.perf_counter()
        classifier = get_classifier(name)
        classifier.score(prompts[0])
        first = (time.perf_counter() - started) * 1000
        timings, frontier = timed(classifier, prompts)
        print(row(f"{name} (gc on)", timings))
        gc.disable()
        try:
            quiet, _ = timed(classifier, prompts)
        finally:
            gc.enable()
        print(row(f"{name} (gc off)", quiet))
        print(f"  first call {first:.1f} ms; frontier share {frontier / len(prompts):.1%}")


if __name__ == "__main__":
    main()
