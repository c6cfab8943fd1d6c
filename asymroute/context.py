"""Per-run choices, passed as `context=` and read through LangGraph's `Runtime`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from asymroute.errors import ConfigurationError
from asymroute.privacy.base import PRIVACY_MODES, PRIVACY_ROUTE_LOCAL
from asymroute.sampling import Sampling, check_accepts_content, check_sampling
from asymroute.validators.base import ValidationPolicy

BUDGET_POLICIES = ("downgrade", "refuse")
FOLLOWUP_POLICIES = ("inherit", "latest")


@dataclass(frozen=True)
class RouterContext:
    """How one run is routed. Every field has a default, so `context=` is optional."""

    local_model: str = "llamacpp:smollm2"
    """Small local tier, `provider:model` (ollama:llama3.1:8b, llamacpp:smollm2, ...)."""
    frontier_model: str = "openai:gpt-4o-mini"
    """Frontier tier, `provider:model`; openai needs OPENAI_API_KEY or OPENAI_BASE_URL."""
    classifier: str = "learned"
    """Complexity classifier by name (learned, embedding, heuristic, keywords), or
    learned:PATH / embedding:PATH for a router file written by `asymroute train`."""
    threshold: float = 0.5
    """Scores at or above this go to the frontier."""
    validate: bool = True
    """Check the local answer and escalate when it falls short."""
    validators: tuple[str, ...] = field(default=("structural",))
    """Validators applied to a local answer, in order: structural, format, confidence,
    scorer, self_verify, consistency (the last two cost local calls). How they combine:
    validation_combine."""
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
    escalations go first (GSM8K replay: more saving at 95% of frontier accuracy)."""
    format_retry: bool = True
    """format: give the local model one retry with the error before escalating."""
    unmeasured_policy: str = "pass"
    """A validator that cannot measure (no log-probs, no verdict): pass (abstain, said in the
    reasons) or escalate."""
    max_output_tokens: int = 512
    """The most tokens either tier may write for one answer."""
    truncation_escalates: bool = True
    """Whether a local answer stopped at max_output_tokens (finish reason `length`) fails
    `structural` and escalates. True: the cap is the router's safety limit, and a small model
    that runs into it is usually rambling or looping. The gateway sets it false when the client
    sends max_tokens: a cap the client chose is not a defect, and the answer stopped at it is
    returned as is (finish_reason "length") from either tier."""
    temperature: float = 0.0
    strict: bool = False
    """Raise instead of answering locally when the frontier is needed but not configured."""
    privacy: str = PRIVACY_ROUTE_LOCAL
    """Sensitive data in the request: off, route-local, or redact-before-frontier."""
    budget_per_thread_usd: float | None = None
    """Frontier spend allowed on one thread (conversation, workflow thread); None: no limit."""
    budget_per_run_usd: float | None = None
    """Frontier spend allowed in one run (one request, one chat turn, one workflow)."""
    budget_policy: str = "downgrade"
    """When the next frontier call would exceed a budget: downgrade (answer locally) or refuse."""
    followup_policy: str = "inherit"
    """inherit: a short follow-up keeps the routing of the turn it follows; latest: ignore it."""
    followup_max_words: int = 12
    """Turns of at most this many words that refer back are follow-ups."""
    stop: tuple[str, ...] = ()
    """Stop sequences passed to every tier."""
    # Not hashed (a dict); plans are cached by context, equal contexts still compare equal.
    response_format: dict[str, Any] | None = field(default=None, hash=False)
    """The OpenAI `response_format` the request asked for ({"type": "json_object"}, ...)."""

    def __post_init__(self) -> None:
        for name in ("threshold", "temperature"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigurationError(f"{name} must be a number, got {value!r}")
        if isinstance(self.max_output_tokens, bool) or not isinstance(self.max_output_tokens, int):
            raise ConfigurationError(
                f"max_output_tokens must be an integer, got {self.max_output_tokens!r}"
            )
        if isinstance(self.validators, str):
            raise ConfigurationError(
                f"validators must be a list of names, got the string {self.validators!r}"
            )
        for name in ("local_model", "frontier_model", "classifier"):
            if not isinstance(getattr(self, name), str):
                raise ConfigurationError(f"{name} must be a string, got {getattr(self, name)!r}")
        if not 0.0 <= self.threshold <= 1.0:
            raise ConfigurationError(f"threshold must be within [0, 1], got {self.threshold!r}")
        if self.max_output_tokens < 1:
            raise ConfigurationError(
                f"max_output_tokens must be a positive integer, got {self.max_output_tokens!r}"
            )
        if not 0.0 <= self.temperature <= 2.0:
            raise ConfigurationError(f"temperature must be within [0, 2], got {self.temperature!r}")
        self._check_budget_and_followup_fields()
        if self.privacy not in PRIVACY_MODES:
            raise ConfigurationError(
                f"privacy must be one of {', '.join(PRIVACY_MODES)}, got {self.privacy!r}"
            )
        # JSON clients send lists; keep the dataclass hashable and frozen.
        object.__setattr__(self, "validators", tuple(self.validators))
        self.validation_policy()  # checks the validation fields
        stop = (self.stop,) if isinstance(self.stop, str) else tuple(self.stop)
        if not all(isinstance(item, str) and item for item in stop):
            raise ConfigurationError(f"stop must be a list of non-empty strings, got {self.stop!r}")
        object.__setattr__(self, "stop", stop)
        if self.response_format is not None and not isinstance(self.response_format, dict):
            raise ConfigurationError(
                f"response_format must be an object or null, got {self.response_format!r}"
            )

    def validation_policy(self) -> ValidationPolicy:
        return ValidationPolicy(
            combine=self.validation_combine,
            min_confidence=self.min_confidence,
            min_mean_logprob=self.confidence_min_mean_logprob,
            min_token_logprob=self.confidence_min_token_logprob,
            self_verify_samples=self.self_verify_samples,
            self_verify_min_agreement=self.self_verify_min_agreement,
            consistency_samples=self.consistency_samples,
            consistency_min_agreement=self.consistency_min_agreement,
            scorer_threshold=self.scorer_threshold,
            scorer_model=self.scorer_model,
            scorer_cost_aware=self.scorer_cost_aware,
            format_retry=self.format_retry,
            truncation_escalates=self.truncation_escalates,
            unmeasured=self.unmeasured_policy,
            response_format=self.response_format,
        )

    def _check_budget_and_followup_fields(self) -> None:
        for name in ("budget_per_thread_usd", "budget_per_run_usd"):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ConfigurationError(
                    f"{name} must be a non-negative number of USD or null, got {value!r}"
                )
        if self.budget_policy not in BUDGET_POLICIES:
            raise ConfigurationError(
                f"budget_policy must be one of {', '.join(BUDGET_POLICIES)}, "
                f"got {self.budget_policy!r}"
            )
        if self.followup_policy not in FOLLOWUP_POLICIES:
            raise ConfigurationError(
                f"followup_policy must be one of {', '.join(FOLLOWUP_POLICIES)}, "
                f"got {self.followup_policy!r}"
            )
        words = self.followup_max_words
        if isinstance(words, bool) or not isinstance(words, int) or words < 0:
            raise ConfigurationError(
                f"followup_max_words must be a non-negative integer, got {words!r}"
            )

    # Sampling parameters and content capabilities (the gateway's `run_context` sets the
    # sampling ones from the request); checked by `sampling()` when the run is planned.
    n: int = 1
    """Choices to return; n > 1 is answered by the frontier (asymroute.sampling)."""
    seed: int | None = None
    top_p: float | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    logprobs: bool = False
    """Return the answer's token log-probs (OpenAI's `logprobs`)."""
    top_logprobs: int | None = None
    logit_bias: dict[str, float] | None = field(default=None, hash=False)
    """Token id (string) -> bias from -100 to 100, as OpenAI takes it."""
    accepts_content: dict[str, list[str]] | None = field(default=None, hash=False)
    """`provider:model` -> the non-text content it reads (image, audio, file), overriding
    what asymroute knows (OpenAI's vision models read images; llama.cpp reads none)."""

    def sampling(self) -> Sampling:
        """This run's sampling parameters; raises `ConfigurationError` naming a bad one."""
        sampling = Sampling(
            n=self.n,
            seed=self.seed,
            top_p=self.top_p,
            presence_penalty=self.presence_penalty,
            frequency_penalty=self.frequency_penalty,
            logprobs=self.logprobs,
            top_logprobs=self.top_logprobs,
            logit_bias=self.logit_bias,
        )
        check_sampling(sampling)
        check_accepts_content(self.accepts_content)
        return sampling
