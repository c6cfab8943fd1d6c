"""`asymroute eval --cascade`: the options, and the run that delegates to `cascade`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from langchain_core.messages import BaseMessage

from asymroute.evaluation.cascade import (
    FloatArray,
    Reply,
    evaluate_cascade,
)
from asymroute.evaluation.cascade_report import CascadeReport
from asymroute.evaluation.datasets import LabeledData
from asymroute.evaluation.output import emit_report
from asymroute.validators import CandidateAnswer


def add_cascade_arguments(parser: Any) -> None:
    group = parser.add_argument_group("cascade replay (--cascade)")
    group.add_argument(
        "--cascade",
        action="store_true",
        help="replay the weak model's recorded answers through the validators (prompt first, "
        "answer second) and report the cascade next to the pre-route classifier",
    )
    group.add_argument(
        "--validators",
        default="structural,scorer",
        help="comma-separated validators (default: structural,scorer)",
    )
    group.add_argument("--scorer-threshold", type=float, help="P(wrong) that escalates")
    group.add_argument("--scorer-model", help="answer-scorer file (default: cross-fitted)")
    group.add_argument("--combine", choices=("all", "mean"), default="all")
    group.add_argument("--min-confidence", type=float, help="with --combine mean")
    group.add_argument("--folds", type=int, default=10, help="cross-fitting folds (default 10)")
    group.add_argument("--seed", type=int, default=0, help="fold assignment seed")
    group.add_argument(
        "--prompt-threshold",
        type=float,
        help="also report prompt-first: the first --router sends scores >= this to the frontier",
    )
    group.add_argument(
        "--local-free", action="store_true", help="price local calls at $0 (in-process model)"
    )
    group.add_argument(
        "--live-local",
        action="store_true",
        help="run self_verify against the configured local model (real calls; slow)",
    )
    group.add_argument("--limit", type=int, help="replay only the first N rows")


def run_cascade(
    args: Any, data: LabeledData, prompt_scores: dict[str, FloatArray]
) -> CascadeReport:
    """The `--cascade` branch of `asymroute eval`; raises ConfigurationError on bad options."""
    from dataclasses import replace

    from asymroute.context import RouterContext
    from asymroute.errors import ConfigurationError
    from asymroute.validators import get_validators

    names = [n.strip() for n in args.validators.split(",") if n.strip()]
    get_validators(names)  # names the unknown ones
    policy = RouterContext().validation_policy()
    overrides = {
        "combine": args.combine,
        "scorer_threshold": args.scorer_threshold,
        "scorer_model": args.scorer_model,
        "min_confidence": args.min_confidence,
    }
    policy = replace(policy, **{k: v for k, v in overrides.items() if v is not None})
    if args.limit is not None:
        if args.limit < 2:
            raise ConfigurationError(f"--limit must be at least 2, got {args.limit}")
        keep = np.arange(len(data)) < args.limit
        data = data.subset(keep)
        prompt_scores = {name: scores[keep] for name, scores in prompt_scores.items()}
    reply = live_local_reply() if args.live_local else None
    return evaluate_cascade(
        data,
        names,
        policy,
        prompt_scores,
        folds=args.folds,
        seed=args.seed,
        prompt_threshold=args.prompt_threshold,
        local_free=args.local_free,
        reply=reply,
    )


def live_local_reply() -> Reply:
    """Real calls to the local tier of the default context (settings from env / .env)."""
    from asymroute.model_calls import call_tier
    from asymroute.planning import RouterSetup
    from asymroute.requests import content_text
    from asymroute.settings import load_settings
    from asymroute.validators.confidence import token_logprobs_of

    setup = RouterSetup.build(load_settings())
    plan = setup.plan(None)

    def reply(messages: Sequence[BaseMessage]) -> CandidateAnswer:
        call = call_tier(plan, "local", messages, setup.settings)
        message = call.message
        return CandidateAnswer(
            prompt="",
            text=content_text(message) if message is not None else "",
            finish_reason=call.finish_reason,
            error=call.error,
            token_logprobs=token_logprobs_of(message.response_metadata) if message else None,
        )

    return reply


def print_cascade(args: Any, data: LabeledData, prompt_scores: dict[str, FloatArray]) -> int:
    """Run the replay, print it (text or --json), write --plot; the exit status."""

    from asymroute.evaluation.cascade_report import format_cascade_report

    report = run_cascade(args, data, prompt_scores)
    return emit_report(
        args,
        [r.curve for r in report.reports],
        weak=(report.weak, report.weak_accuracy),
        strong=(report.strong, report.strong_accuracy),
        title=f"Validate-then-escalate cascade on {report.n} prompts",
        as_json=report.as_json(),
        as_text=format_cascade_report(report),
    )
