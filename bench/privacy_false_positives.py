"""False positives of the privacy detectors on the shared benchmark prompts.

python bench/privacy_false_positives.py [--show 20]

GSM8K, MMLU (RouteLLM) and ARC, MBPP, WinoGrande (RouterBench) hold no personal data or
secrets, so every prompt a detector flags is a false positive: under `route-local` it would be
kept off the frontier for nothing. Prints the rate per category and overall, and the time per
prompt; `--show` prints flagged spans to see why.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from asymroute.privacy import find_sensitive
from bench.support.benchmark_prompts import benchmark_prompts, shared_data_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--show", type=int, default=0, help="print this many flagged spans")
    args = parser.parse_args()
    data = shared_data_dir()
    if data is None:
        raise SystemExit("no shared data: expected ../shared/data beside the clone")
    prompts = list(benchmark_prompts(data))
    flagged: Counter[str] = Counter()
    flagged_prompts, shown = 0, 0
    started = time.perf_counter()
    for source, prompt in prompts:
        findings = find_sensitive(prompt)
        if findings:
            flagged_prompts += 1
        for category in {f.category for f in findings}:
            flagged[category] += 1
        for finding in findings[: max(0, args.show - shown)]:
            shown += 1
            print(f"  {source} {finding.category}: {prompt[finding.start : finding.end]!r}")
    elapsed = time.perf_counter() - started
    print(f"{len(prompts)} prompts from {data}")
    for category, count in flagged.most_common():
        print(f"  {category}: {count} ({count / len(prompts):.3%})")
    rate = flagged_prompts / len(prompts)
    print(f"false-positive rate: {flagged_prompts}/{len(prompts)} = {rate:.3%}")
    print(f"scan time: {elapsed / len(prompts) * 1e6:.0f} us per prompt")


if __name__ == "__main__":
    main()
