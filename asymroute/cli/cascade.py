"""`asymroute eval --cascade`: the options, and the run that delegates to `cascade`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from asymroute.effects import CallTier, ModelCall
from asymroute.evaluation.cascade import FloatArray
from asymroute.evaluation.cascade_report import CascadeReport
from asymroute.evaluation.datasets import LabeledData
from asymroute.evaluation.output import emit_report
from asymroute.learning.cascade_fit import evaluate_cascade
from asymroute.validators import CallingValidator

if TYPE_CHECKING:
    from asymroute.context import RouterContext


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
        help="run self_verify and consistency with a real local model (real calls; slow)",
    )
    group.add_argument(
        "--local-model",
        metavar="PROVIDER:MODEL",
        help="the local model --live-local calls (default: RouterContext's local_model); "
        "endpoints come from the environment / .env as for every run",
    )
    group.add_argument("--limit", type=int, help="replay only the first N rows")


def run_cascade(
    args: Any, data: LabeledData, prompt_scores: dict[str, FloatArray]
) -> tuple[CascadeReport, LiveLocalReply | None]:
    """The `--cascade` branch of `asymroute eval` (the report, and the live local calls it
    made with --live-local); raises ConfigurationError on bad options."""
    from dataclasses import replace

    from asymroute.context import RouterContext
    from asymroute.errors import ConfigurationError
    from asymroute.validators import get_validators

    names = [n.strip() for n in args.validators.split(",") if n.strip()]
    validators = get_validators(names)  # names the unknown ones
    policy = RouterContext().validation_policy()
    overrides = {
        "validation_combine": args.combine,
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
    if args.local_model is not None and not args.live_local:
        raise ConfigurationError("--local-model is the model --live-local calls; add --live-local")
    reply = None
    if args.live_local:
        if not any(isinstance(v, CallingValidator) for v in validators):
            raise ConfigurationError(
                "--live-local calls the local model for validators that need it "
                "(self_verify, consistency, format), and --validators names none of them"
            )
        reply = live_local_reply(args.local_model)
    report = evaluate_cascade(
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
    return report, reply


def live_local_reply(local_model: str | None) -> LiveLocalReply:
    """--live-local's caller; a bad --local-model is named as the option."""
    from asymroute.context import RouterContext
    from asymroute.errors import ConfigurationError

    if local_model is None:
        return LiveLocalReply()
    try:
        return LiveLocalReply(RouterContext(local_model=local_model))
    except ConfigurationError as exc:
        raise ConfigurationError(f"--local-model {local_model}: {exc}") from exc


class LiveLocalReply:
    """Real calls to a context's local model (settings from env / .env), counted."""

    def __init__(self, context: RouterContext | None = None) -> None:
        from asymroute.planning import RouterSetup
        from asymroute.settings import load_settings

        self.setup = RouterSetup.build(load_settings(), defaults=context)
        self.plan = self.setup.plan(None)
        self.model = self.plan.local.id
        self.calls = 0
        self.failures: list[str] = []

    def __call__(self, effect: CallTier) -> ModelCall:
        from asymroute.model_calls import call_tier

        call = call_tier(self.plan, effect.tier, effect.messages, self.setup)
        self.calls += 1
        if call.error is not None:
            self.failures.append(call.error)
        return call

    def summary(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "calls": self.calls,
            "failed": len(self.failures),
            "first_error": self.failures[0] if self.failures else None,
        }


def print_cascade(args: Any, data: LabeledData, prompt_scores: dict[str, FloatArray]) -> int:
    """Run the replay, print it (text or --json), write --plot; the exit status."""

    from asymroute.evaluation.cascade_report import format_cascade_report

    report, live = run_cascade(args, data, prompt_scores)
    as_json, as_text = report.as_json(), format_cascade_report(report)
    if live is not None:
        summary = live.summary()
        as_json["live_local"] = summary
        as_text += (
            f"\nlive local calls: {summary['calls']} to {summary['model']}, "
            f"{summary['failed']} failed"
            + (f" (first: {summary['first_error']})" if summary["first_error"] else "")
        )
    return emit_report(
        args,
        [r.curve for r in report.reports],
        weak=(report.weak, report.weak_accuracy),
        strong=(report.strong, report.strong_accuracy),
        title=f"Validate-then-escalate cascade on {report.n} prompts",
        as_json=as_json,
        as_text=as_text,
    )
