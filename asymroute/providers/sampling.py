"""Sampling parameters a request asks for, and which of them a tier's model can honour.

Each provider says what it honours with a `sampling_parameters` attribute (a frozenset of the
names below; `providers.base.ModelProvider`) and which non-text content it reads with
`content_kinds(model)`; a context's `accepts_content` overrides the latter per model.
`asymroute.guards` routes a request around a tier that cannot honour it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from asymroute.errors import ConfigurationError

MAX_CHOICES = 128
"""OpenAI's own limit on `n`."""
MAX_TOP_LOGPROBS = 20
"""OpenAI's own limit on `top_logprobs`."""
LOGIT_BIAS_RANGE = (-100.0, 100.0)

SAMPLING_PARAMETERS = (
    "n", "seed", "top_p", "presence_penalty", "frequency_penalty", "logprobs", "top_logprobs",
    "logit_bias", "reasoning_effort",
)  # fmt: skip
REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh")
"""OpenAI's values of `reasoning_effort` (which a reasoning model accepts varies by model)."""

CONTENT_KINDS = {"image_url": "image", "input_audio": "audio", "file": "file"}
"""OpenAI content-part type -> the capability a model needs to read it."""


@dataclass(frozen=True)
class Sampling:
    """The sampling parameters of one run; every default is "the model's own behaviour".
    `RouterContext` inherits these fields."""

    n: int = 1
    """Choices to return; n > 1 is answered by the frontier (asymroute.guards)."""
    seed: int | None = None
    top_p: float | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    logprobs: bool = False
    """Return the answer's token log-probs (OpenAI's `logprobs`)."""
    top_logprobs: int | None = None
    logit_bias: Mapping[str, float] | None = field(default=None, hash=False)
    """Token id (as a string, OpenAI's form) -> bias from -100 to 100."""
    reasoning_effort: str | None = None
    """How hard a reasoning model thinks (OpenAI's `reasoning_effort`). Only a tier whose
    provider sends it on can honour it, so a request that sets it skips the others (the
    embedded and Ollama local tiers): the client asked for a reasoning model."""

    def requested(self) -> tuple[str, ...]:
        """The parameters a tier must be able to honour: those set away from OpenAI's
        defaults (top_p 1 and zero penalties are still sent, but any tier may take them)."""
        values: dict[str, Any] = {
            "n": self.n if self.n != 1 else None,
            "seed": self.seed,
            "top_p": self.top_p if self.top_p != 1 else None,
            "presence_penalty": self.presence_penalty or None,
            "frequency_penalty": self.frequency_penalty or None,
            "logprobs": self.logprobs or None,
            "top_logprobs": self.top_logprobs,
            "logit_bias": self.logit_bias or None,
            "reasoning_effort": self.reasoning_effort,
        }
        return tuple(name for name in SAMPLING_PARAMETERS if values[name] is not None)

    @property
    def logprobs_wanted(self) -> bool:
        return self.logprobs or self.top_logprobs is not None

    def given(self) -> dict[str, Any]:
        """The parameters set at all (to send), by name."""
        return {
            name: getattr(self, name)
            for name in SAMPLING_PARAMETERS
            if getattr(self, name) != getattr(DEFAULT_SAMPLING, name)
        }

    def token_bias(self) -> dict[int, float] | None:
        """`logit_bias` keyed by token id, as llama.cpp takes it."""
        return {int(k): float(v) for k, v in self.logit_bias.items()} if self.logit_bias else None


DEFAULT_SAMPLING = Sampling()


def check_sampling(sampling: Sampling) -> None:
    """Raises `ConfigurationError` naming the first out-of-range parameter."""
    n = sampling.n
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_CHOICES:
        raise ConfigurationError(f"n must be an integer from 1 to {MAX_CHOICES}, got {n!r}")
    if sampling.seed is not None and (
        isinstance(sampling.seed, bool) or not isinstance(sampling.seed, int)
    ):
        raise ConfigurationError(f"seed must be an integer or null, got {sampling.seed!r}")
    _check_number("top_p", sampling.top_p, 0.0, 1.0)
    _check_number("presence_penalty", sampling.presence_penalty, -2.0, 2.0)
    _check_number("frequency_penalty", sampling.frequency_penalty, -2.0, 2.0)
    if not isinstance(sampling.logprobs, bool):
        raise ConfigurationError(f"logprobs must be true or false, got {sampling.logprobs!r}")
    top = sampling.top_logprobs
    if top is not None and (
        isinstance(top, bool) or not isinstance(top, int) or not 0 <= top <= MAX_TOP_LOGPROBS
    ):
        raise ConfigurationError(
            f"top_logprobs must be an integer from 0 to {MAX_TOP_LOGPROBS}, got {top!r}"
        )
    if top is not None and not sampling.logprobs:
        raise ConfigurationError("top_logprobs needs logprobs set to true")
    check_logit_bias(sampling.logit_bias)
    effort = sampling.reasoning_effort
    if effort is not None and effort not in REASONING_EFFORTS:
        raise ConfigurationError(
            f"reasoning_effort must be one of {', '.join(REASONING_EFFORTS)}, got {effort!r}"
        )


def check_logit_bias(bias: Any) -> None:
    if bias is None:
        return
    low, high = LOGIT_BIAS_RANGE
    if not isinstance(bias, Mapping) or not all(
        isinstance(key, str)
        and key.isdigit()
        and isinstance(value, int | float)
        and not isinstance(value, bool)
        and low <= value <= high
        for key, value in bias.items()
    ):
        raise ConfigurationError(
            'logit_bias must map token ids (strings of digits, e.g. "50256") to numbers '
            f"from {low:g} to {high:g}"
        )


def _check_number(name: str, value: Any, low: float, high: float) -> None:
    if value is None:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or math.isnan(value)
        or not low <= value <= high
    ):
        raise ConfigurationError(f"{name} must be a number from {low:g} to {high:g}, got {value!r}")


def content_kinds(messages: Sequence[Any]) -> dict[str, str]:
    """Where each non-text content part is (`messages[i].content[j]`) -> the kind it needs."""
    found: dict[str, str] = {}
    for i, message in enumerate(messages):
        content = getattr(message, "content", None)
        if not isinstance(content, list):
            continue
        for j, block in enumerate(content):
            kind = block.get("type") if isinstance(block, dict) else None
            if kind in CONTENT_KINDS:
                found[f"messages[{i}].content[{j}]"] = CONTENT_KINDS[kind]
            elif kind == "image":  # LangChain's own image block
                found[f"messages[{i}].content[{j}]"] = "image"
    return found


def check_accepts_content(value: Any) -> None:
    if value is None:
        return
    kinds = set(CONTENT_KINDS.values())
    if not isinstance(value, Mapping) or not all(
        isinstance(model, str)
        and isinstance(accepted, list | tuple)
        and all(kind in kinds for kind in accepted)
        for model, accepted in value.items()
    ):
        raise ConfigurationError(
            "accepts_content must map 'provider:model' to a list of content kinds from "
            f'{", ".join(sorted(kinds))}, e.g. {{"ollama:llava": ["image"]}}'
        )
