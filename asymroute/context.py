"""Per-run choices, passed as `context=` and read through LangGraph's `Runtime`."""

from __future__ import annotations

from dataclasses import dataclass, field

from asymroute.errors import ConfigurationError


@dataclass(frozen=True)
class RouterContext:
    """How one run is routed. Every field has a default, so `context=` is optional."""

    local_model: str = "llamacpp:smollm2"
    """Small local tier, `provider:model` (ollama:llama3.1:8b, llamacpp:smollm2, ...)."""
    frontier_model: str = "openai:gpt-4o-mini"
    """Frontier tier, `provider:model`; openai needs OPENAI_API_KEY or OPENAI_BASE_URL."""
    classifier: str = "heuristic"
    """Complexity classifier by name (heuristic, keywords)."""
    threshold: float = 0.5
    """Scores at or above this go to the frontier."""
    validate: bool = True
    """Check the local answer and escalate when it falls short."""
    validators: tuple[str, ...] = field(default=("structural",))
    """Validators applied to a local answer, all must pass."""
    max_output_tokens: int = 512
    temperature: float = 0.0
    strict: bool = False
    """Raise instead of answering locally when the frontier is needed but not configured."""

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
        # JSON clients send lists; keep the dataclass hashable and frozen.
        object.__setattr__(self, "validators", tuple(self.validators))
