"""Does disagreement with itself flag a real local model's wrong answers? Measured live.

    python bench/consistency_live.py [--local-model llamacpp:smollm2] [--questions 150]
                                     [--samples 3] [--max-tokens 96] [--seed 0]

GSM8K's recorded data holds one Mixtral answer per question, so the `consistency` validator
cannot be replayed on it. This bench measures it where the truth is exact: seeded arithmetic
questions (sums, differences and products of one- and two-digit numbers). The local model
answers each one (a real call through the router's own model calls), the `consistency`
validator re-solves it `--samples` times, and the shipped answer `scorer` reads the same
answer. For each signal it prints its AUC at telling wrong local answers from right ones and
how many times cheaper than frontier-only a cascade ranked by it would be at 95% of a frontier
that is always right (every escalation priced alike). With SmolLM2-135M this says whether the
signal exists, not what it is worth for a capable model on GSM8K.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np
from langchain_core.messages import HumanMessage

from asymroute.cli.cascade import LiveLocalReply
from asymroute.context import RouterContext
from asymroute.effects import CallTier
from asymroute.evaluation.cascade import CURVE_BINS, judge_one
from asymroute.evaluation.metrics import saving_at_strong_quality, threshold_curve
from asymroute.validators import CandidateAnswer, ValidationPolicy
from asymroute.validators.consistency import ConsistencyValidator, final_answer_key, same_answer
from asymroute.validators.replies import reply_text
from asymroute.validators.scorer import ScorerValidator

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.cascade_headroom import auc

FRONTIER_QUALITY = 0.95


def questions(count: int, seed: int) -> list[tuple[str, float]]:
    """(question, exact answer): a seeded mix of sums, differences and products, easy and
    harder, so a tiny model gets some right and some wrong."""
    rng = random.Random(seed)
    made: list[tuple[str, float]] = []
    for i in range(count):
        a, b = (rng.randint(2, 9 if i % 2 == 0 else 60) for _ in range(2))
        kind = i % 3
        if kind == 0:
            made.append((f"What is {a} + {b}?", a + b))
        elif kind == 1:
            made.append((f"What is {max(a, b)} - {min(a, b)}?", max(a, b) - min(a, b)))
        else:
            made.append((f"What is {min(a, 9)} * {b}?", min(a, 9) * b))
    return made


def cheaper_at_quality(risk: np.ndarray, right: np.ndarray) -> float:
    """Frontier-only cost / cost where a cascade escalating the riskiest first reaches 95% of
    an always-right frontier: local calls $0, every escalation $1 (the product's curve code)."""
    frontier_right = np.ones(len(risk), dtype=bool)
    curve = threshold_curve(
        "cascade", risk, right, frontier_right, np.zeros(len(risk)), np.ones(len(risk)),
        bins=CURVE_BINS,
    )  # fmt: skip
    found = saving_at_strong_quality(curve, 1.0, float(len(risk)), FRONTIER_QUALITY)
    return found[1] if found else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--local-model", default="llamacpp:smollm2")
    parser.add_argument("--questions", type=int, default=150)
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    context = RouterContext(local_model=args.local_model, max_output_tokens=args.max_tokens)
    reply = LiveLocalReply(context)
    policy = ValidationPolicy(consistency_samples=args.samples)
    consistency, scorer = ConsistencyValidator(policy), ScorerValidator(policy)
    right: list[bool] = []
    agreement: list[float | None] = []
    p_wrong: list[float] = []
    started = time.perf_counter()
    for question, truth in questions(args.questions, args.seed):
        call = reply(CallTier("local", [HumanMessage(question)]))
        text = reply_text(call)
        key = final_answer_key(text)
        right.append(key is not None and same_answer(key, ("number", float(truth))))
        candidate = CandidateAnswer(question, text, call.finish_reason, call.error)
        agreement.append(judge_one(consistency, candidate, reply).confidence)
        p_wrong.append(1.0 - (scorer.check(candidate).confidence or 0.0))
    elapsed = time.perf_counter() - started
    # Consistency measures only answers that state a final answer (and re-solutions that do);
    # every signal is compared on those, where each of them has something to say.
    measured = np.array([value is not None for value in agreement])
    is_right = np.array(right)[measured]
    disagreement = 1.0 - np.array([value for value in agreement if value is not None])
    scorer_risk = np.array(p_wrong)[measured]
    risks = {
        "consistency (1 - agreement)": disagreement,
        "scorer (cost-weighted P(wrong))": scorer_risk,
        "mean of both": (disagreement + scorer_risk) / 2,
    }
    print(
        f"{len(right)} questions, {reply.model}: {np.mean(right):.1%} right; "
        f"{reply.calls} local calls ({len(reply.failures)} failed) in {elapsed:.0f} s"
    )
    if not measured.any():
        print("no answer stated a final answer: nothing to compare")
        return
    print(
        f"compared on the {measured.sum()} answers consistency could measure "
        f"({is_right.mean():.1%} right); {len(right) - measured.sum()} stated no final answer "
        "or got no re-solution that did"
    )
    print(f"{'signal':<34} {'AUC wrong vs right [90% CI]':>29} {'cheaper at 95%':>15}")
    both_kinds = 0 < is_right.sum() < len(is_right)
    for name, risk in risks.items():
        if both_kinds:
            low, high = bootstrap_auc(risk, ~is_right, args.seed)
            separation = f"{auc(risk, ~is_right):>14.3f} [{low:.3f}, {high:.3f}]"
        else:  # AUC needs right and wrong answers
            separation = f"{'n/a (one kind of answer)':>29}"
        print(f"{name:<34} {separation} {cheaper_at_quality(risk, is_right):>14.2f}x")
    oracle = (~is_right).astype(float)
    print(f"{'oracle':<34} {'1.000':>14} {'':>14} {cheaper_at_quality(oracle, is_right):>14.2f}x")


def bootstrap_auc(
    risk: np.ndarray, wrong: np.ndarray, seed: int, rounds: int = 1000
) -> tuple[float, float]:
    """5th and 95th percentiles of the AUC over question resamples (both classes present)."""
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(rounds):
        pick = rng.integers(0, len(risk), len(risk))
        if 0 < wrong[pick].sum() < len(pick):
            values.append(auc(risk[pick], wrong[pick]))
    low, high = np.percentile(values, [5, 95])
    return float(low), float(high)


if __name__ == "__main__":
    main()
