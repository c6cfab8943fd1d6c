"""Reproduce the validate-then-escalate figures in the README (GSM8K replay, no model calls).

    python bench/cascade_quality.py [--data PATH] [--plot cascade.png] [--no-cost-aware]

Prints, for the pre-route classifiers alone and for the cascade (structural + learned answer
scorer, cross-fitted 10-fold), APGR, CPT(50%/80%), the cost ratio vs frontier-only at 95% of
the frontier's accuracy, and the operating point at the default scorer threshold — once with
the weak model priced at list price, once with local calls at $0. The README's headline uses
local at $0, which is how the product prices its local tier (Ollama / llama.cpp).
`--no-cost-aware` ranks escalations by the scorer's plain P(wrong) instead of the default
cost-weighted risk (`scorer_cost_aware`, see `asymroute.validators.scorer`).
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from asymroute.classifiers import get_classifier
from asymroute.context import RouterContext
from asymroute.evaluation.cascade_report import format_cascade_report
from asymroute.evaluation.datasets import load_labeled
from asymroute.evaluation.evaluate import score_prompts
from asymroute.learning.cascade_fit import evaluate_cascade

DATA = "/work/shared/data/routellm/gsm8k_responses.csv"
WEAK = "mistralai/Mixtral-8x7B-Instruct-v0.1"
STRONG = "gpt-4-1106-preview"
ACCOUNTING = {
    False: "== local call at the weak model's list price (conservative)",
    True: "== local call at $0, as the product prices its local tier (README headline)",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DATA)
    parser.add_argument("--plot", help="write the curves here (PNG)")
    parser.add_argument(
        "--no-cost-aware", action="store_true", help="scorer_cost_aware=false (plain P(wrong))"
    )
    args = parser.parse_args()
    data = load_labeled([args.data], WEAK, STRONG)
    prompt_scores = {
        "heuristic": score_prompts(get_classifier("heuristic"), data.prompts, show_progress=False)
    }
    policy = RouterContext().validation_policy()
    if args.no_cost_aware:
        policy = replace(policy, scorer_cost_aware=False)
    for local_free in (False, True):
        print(ACCOUNTING[local_free])
        report = evaluate_cascade(
            data,
            ["structural", "scorer"],
            policy,
            prompt_scores,
            local_free=local_free,
            show_progress=False,
        )
        print(format_cascade_report(report), end="\n\n")
        if args.plot and not local_free:
            from asymroute.evaluation.plot import plot_curves

            plot_curves(
                [r.curve for r in report.reports],
                args.plot,
                weak=(WEAK, data.weak_accuracy),
                strong=(STRONG, data.strong_accuracy),
                title="GSM8K: pre-route vs validate-then-escalate",
            )


if __name__ == "__main__":
    main()
