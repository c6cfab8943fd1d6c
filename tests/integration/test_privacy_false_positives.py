"""The privacy detectors' false-positive rate on the shared benchmark prompts stays <= 1%.

GSM8K, MMLU, ARC, MBPP and WinoGrande prompts hold no personal data or secrets: any prompt
flagged is a false positive (kept off the frontier for nothing under `route-local`). The rows
are read from ../shared/data at test time (they may not be copied into the repository); the
test is skipped, saying so, where that folder is absent. bench/privacy_false_positives.py
prints the same figure per category.
"""

from __future__ import annotations

import pytest

from asymroute.privacy import sensitive_categories
from bench.support.benchmark_prompts import CANDIDATES, benchmark_prompts, shared_data_dir

MAX_RATE = 0.01


def test_false_positive_rate_on_benchmark_prompts_is_at_most_one_percent() -> None:
    data = shared_data_dir()
    if data is None:
        pytest.skip(
            f"shared benchmark data not found (looked in {', '.join(map(str, CANDIDATES))})"
        )
    prompts = list(benchmark_prompts(data))
    assert len(prompts) > 10_000  # the five sets, not a stray file
    flagged = [(source, cats) for source, p in prompts if (cats := sensitive_categories(p))]
    rate = len(flagged) / len(prompts)
    print(f"privacy false positives: {len(flagged)}/{len(prompts)} prompts = {rate:.3%}")
    assert rate <= MAX_RATE, flagged[:20]
