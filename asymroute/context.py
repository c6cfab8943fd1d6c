"""Per-run choices, passed as `context=` and read through LangGraph's `Runtime`."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from asymroute.errors import ConfigurationError
from asymroute.privacy.base import PRIVACY_MODES, PRIVACY_ROUTE_LOCAL
from asymroute.providers.sampling import Sampling, check_accepts_content, check_sampling
from asymroute.validators.base import ValidationPolicy

BUDGET_POLICIES = ("downgrade", "refuse")
FOLLOWUP_POLICIES = ("inherit", "latest")


# The validation fields are declared once, in `ValidationPolicy`, and inherited: a context
# key such as `min_confidence` stays a top-level field. Nesting the policy (`validation=...`)
# would drop those keys under `langgraph dev`: the LangGraph server keeps only the context keys
# that are properties of the context schema (`langgraph_api.stream._filter_context_by_schema`),
# before our code could accept them, and Studio's form would show them nested.
@dataclass(frozen=True)
class RouterContext(ValidationPolicy, Sampling):
    """How one run is routed. Every field has a default, so `context=` is optional.

    The validators' thresholds and switches (validation_combine, min_confidence, ...,
    truncation_escalates, response_format) are `ValidationPolicy`'s fields, inherited."""

    local_model: str = "llamacpp:smollm2"
    """Small local tier, `provider:model` (ollama:llama3.1:8b, llamacpp:smollm2, ...)."""
    frontier_model: str = "openai:gpt-4o-mini"
    """Frontier tier, `provider:model`; openai needs OPENAI_API_KEY or OPENAI_BASE_URL."""
    classifier: str = "embedding"
    """Complexity classifier by name (embedding, learned, heuristic, keywords), or
    embedding:PATH / learned:PATH for a router file written by `asymroute train`."""
    threshold: float = 0.5
    """Scores at or above this go to the frontier."""
    validate: bool = True
    """Check the local answer and escalate when it falls short."""
    validators: tuple[str, ...] = field(default=("structural",))
    """Validators applied to a local answer, in order: structural, format, confidence,
    scorer, self_verify, consistency (the last two cost local calls). How they combine:
    validation_combine."""
    max_output_tokens: int = 512
    """The most tokens either tier may write for one answer."""
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
    # Tool calling: `tools` and `tool_choice` are ValidationPolicy's (the validator reads them).
    parallel_tool_calls: bool | None = None
    """Whether one answer may call several tools at once; None: the tier's default."""

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
        super().__post_init__()  # checks the validation fields
        stop = (self.stop,) if isinstance(self.stop, str) else tuple(self.stop)
        if not all(isinstance(item, str) and item for item in stop):
            raise ConfigurationError(f"stop must be a list of non-empty strings, got {self.stop!r}")
        object.__setattr__(self, "stop", stop)
        if self.parallel_tool_calls is not None and not isinstance(self.parallel_tool_calls, bool):
            raise ConfigurationError(
                f"parallel_tool_calls must be true, false or null, got {self.parallel_tool_calls!r}"
            )

    def validation_policy(self) -> ValidationPolicy:
        """The validators' fields of this context, without the routing ones."""
        return ValidationPolicy(**{f.name: getattr(self, f.name) for f in fields(ValidationPolicy)})

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

    # The sampling fields (n, seed, top_p, penalties, logprobs, top_logprobs, logit_bias,
    # reasoning_effort) are Sampling's, inherited; the gateway's `run_context` sets them from
    # the request.
    accepts_content: dict[str, list[str]] | None = field(default=None, hash=False)
    """`provider:model` -> the non-text content it reads (image, audio, file), overriding
    what asymroute knows (OpenAI's vision models read images; llama.cpp reads none)."""

    def sampling(self) -> Sampling:
        """This run's sampling parameters; raises `ConfigurationError` naming a bad one.
        Checked here, when the run is planned, not in __post_init__ (context's own checks)."""
        sampling = Sampling(**{f.name: getattr(self, f.name) for f in fields(Sampling)})
        check_sampling(sampling)
        check_accepts_content(self.accepts_content)
        return sampling
