"""The validator extension point: judge a local answer before it reaches the caller.

A validator is pure: `check(answer)` judges from what the answer carries (text, finish reason,
token log-probs). A validator that needs the local model (self-verification, a format retry)
also has `steps(answer)`: `Steps` in the one effect protocol (`asymroute.effects`), yielding
`CallTier("local", messages)` for each call it wants and receiving the `ModelCall`
(`replies.reply_answer` reads it as a `CandidateAnswer`). The `validate` node runs it inside
its own steps (`yield from`), so real calls answer it; tests drive it with scripted replies,
the cascade replay with a live local model or, offline, falls back to `check` (which then says
the validator could not measure).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from langchain_core.messages import BaseMessage

from asymroute.effects import Steps
from asymroute.errors import ConfigurationError
from asymroute.tool_calls import checked_tool_choice, openai_tools

COMBINE_MODES = ("all", "mean")
UNMEASURED_POLICIES = ("pass", "escalate")


@dataclass(frozen=True)
class CandidateAnswer:
    """A local tier's attempt at a request, as the validators see it."""

    prompt: str
    text: str
    finish_reason: str | None
    error: str | None = None
    token_logprobs: tuple[float, ...] | None = None
    """Log-probability of each generated token; None when the provider returned none."""
    messages: tuple[BaseMessage, ...] = ()
    """The request's conversation, for validators that call the model again."""
    message: Any = field(default=None, compare=False, repr=False)
    """The reply message this text came from (opaque to validators; the node uses it)."""
    tool_calls: tuple[Mapping[str, Any], ...] = ()
    """The answer's tool calls as LangChain parsed them ({"name", "args", "id"})."""
    invalid_tool_calls: tuple[Mapping[str, Any], ...] = ()
    """Tool calls whose arguments were not valid JSON ({"name", "args" (the raw text), ...})."""


@dataclass(frozen=True)
class Judgement:
    passed: bool
    reasons: tuple[str, ...]
    confidence: float | None = None
    """How likely the answer is acceptable, in [0, 1]; None when not measured."""
    revised: CandidateAnswer | None = None
    """A replacement answer the validator obtained and accepted (a format retry)."""


@dataclass(frozen=True)
class ValidationPolicy:
    """Thresholds and switches the validators read. Declared once, here: `RouterContext`
    inherits these fields, under these names, as keys of the run's context."""

    validation_combine: str = "all"
    """all: every validator must pass; mean: structural/format must pass and the mean
    confidence of confidence/scorer/self_verify/consistency must reach min_confidence."""
    min_confidence: float = 0.5
    """With validation_combine=mean: the lowest mean confidence that keeps a local answer."""
    confidence_min_mean_logprob: float = -1.0
    """confidence: escalate when the answer's mean token log-prob is below this."""
    confidence_min_token_logprob: float | None = None
    """confidence: also escalate when any token's log-prob is below this (None: no floor)."""
    self_verify_samples: int = 3
    """self_verify: local verification calls per answer (majority of parsed verdicts)."""
    self_verify_min_agreement: float = 0.5
    """self_verify: the share of 'correct' verdicts an answer needs."""
    consistency_samples: int = 2
    """consistency: local re-solutions per answer, each under a different solving instruction."""
    consistency_min_agreement: float = 0.5
    """consistency: the share of re-solutions that must reach the answer's final answer."""
    scorer_threshold: float = 0.3
    """scorer: escalate when the learned P(answer wrong), cost-weighted by default, is at or
    above this (0.3: 96% of frontier accuracy on the GSM8K replay, escalating 42%)."""
    scorer_model: str | None = None
    """scorer: answer-scorer file from `asymroute train --target answer`; None: shipped one."""
    scorer_cost_aware: bool = True
    """scorer: weigh P(wrong) by sqrt(typical / this request's frontier-call length), so cheap
    escalations go first (`scorer.cost_weighted`; GSM8K replay: more saving at 95% of
    frontier accuracy)."""
    format_retry: bool = True
    """format: give the local model one retry with the error before escalating."""
    unmeasured_policy: str = "pass"
    """A validator that cannot measure (no log-probs, no verdict): pass (abstain, said in the
    reasons) or escalate."""
    truncation_escalates: bool = True
    """Whether a local answer stopped at max_output_tokens (finish reason `length`) fails
    `structural` and escalates. True: the cap is the router's safety limit, and a small model
    that runs into it is usually rambling or looping. The gateway sets it false when the client
    sends max_tokens: a cap the client chose is not a defect, and the answer stopped at it is
    returned as is (finish_reason "length") from either tier."""
    # Not hashed (a dict); plans are cached by context, equal contexts still compare equal.
    response_format: dict[str, Any] | None = field(default=None, hash=False)
    """The OpenAI `response_format` the request asked for ({"type": "json_object"}, ...)."""
    # Tool calling (asymroute.tool_calls); not hashed (dicts), still compared.
    tools: tuple[dict[str, Any], ...] = field(default=(), hash=False)
    """Tools offered to whichever tier answers: OpenAI function tools ({"type": "function",
    "function": {"name", "description", "parameters"}}), or LangChain tools, pydantic models
    or typed functions (converted to that form). Turns the `tool_calls` validator on."""
    tool_choice: str | dict[str, Any] | None = field(default=None, hash=False)
    """auto, none, required, or {"type": "function", "function": {"name": ...}}; None: auto."""
    tool_grounding: bool = True
    """With tools: also run `grounding` after `tool_calls`, so a local tool call or answer whose
    values come from nowhere in the conversation escalates (`validators.grounding`)."""

    def __post_init__(self) -> None:
        choices = (
            ("validation_combine", self.validation_combine, COMBINE_MODES),
            ("unmeasured_policy", self.unmeasured_policy, UNMEASURED_POLICIES),
        )
        for name, value, allowed in choices:
            if value not in allowed:
                raise ConfigurationError(
                    f"{name} must be one of {', '.join(allowed)}, got {value!r}"
                )
        unit = (
            ("min_confidence", self.min_confidence),
            ("self_verify_min_agreement", self.self_verify_min_agreement),
            ("consistency_min_agreement", self.consistency_min_agreement),
            ("scorer_threshold", self.scorer_threshold),
        )
        for name, number in unit:
            if not _is_number(number) or not 0.0 <= number <= 1.0:
                raise ConfigurationError(f"{name} must be a number within [0, 1], got {number!r}")
        logprobs = (
            ("confidence_min_mean_logprob", self.confidence_min_mean_logprob),
            ("confidence_min_token_logprob", self.confidence_min_token_logprob),
        )
        for name, bound in logprobs:
            if bound is not None and (not _is_number(bound) or bound > 0):
                raise ConfigurationError(f"{name} must be a log-probability (<= 0), got {bound!r}")
        for name in ("self_verify_samples", "consistency_samples"):
            samples = getattr(self, name)
            if isinstance(samples, bool) or not isinstance(samples, int) or not 1 <= samples <= 15:
                raise ConfigurationError(f"{name} must be an integer from 1 to 15, got {samples!r}")
        for name in ("scorer_cost_aware", "truncation_escalates", "tool_grounding"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigurationError(
                    f"{name} must be true or false, got {getattr(self, name)!r}"
                )
        if self.scorer_model is not None and not isinstance(self.scorer_model, str):
            raise ConfigurationError(
                f"scorer_model must be a file path or null, got {self.scorer_model!r}"
            )
        if self.response_format is not None and not isinstance(self.response_format, dict):
            raise ConfigurationError(
                f"response_format must be an object or null, got {self.response_format!r}"
            )
        object.__setattr__(self, "tools", openai_tools(self.tools))
        object.__setattr__(self, "tool_choice", checked_tool_choice(self.tool_choice, self.tools))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


ValidatorSteps = Steps[Judgement]
"""Yields each local call (`CallTier`), receives its `ModelCall`, returns the judgement."""

ValidatorKind = Literal["check", "estimate"]


class Validator(Protocol):
    name: str

    def check(self, answer: CandidateAnswer) -> Judgement: ...


@runtime_checkable
class CallingValidator(Protocol):
    """A validator that may call the local model; `check` is its no-call fallback."""

    name: str

    def check(self, answer: CandidateAnswer) -> Judgement: ...

    def steps(self, answer: CandidateAnswer) -> ValidatorSteps: ...


def kind_of(validator: Validator) -> ValidatorKind:
    """`check` validators gate; `estimate` validators give a confidence (see combine=mean)."""
    kind: ValidatorKind = getattr(validator, "kind", "check")
    return kind


def unmeasured(policy: ValidationPolicy, why: str) -> Judgement:
    """The judgement of a validator that could not measure: abstain or fail, never 'confident'."""
    passed = policy.unmeasured_policy == "pass"
    action = "abstains" if passed else "escalates (unmeasured_policy=escalate)"
    return Judgement(passed, (f"not measured, {action}: {why}",), None)
