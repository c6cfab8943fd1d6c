"""What asymroute knows of LangChain integrations beyond LangChain's standard parameters
(`providers.langchain_models`): each one's extra, key and endpoint variables, the options it
takes in its own terms, and OpenAI's terms for its tool choices and finish reasons.

Knowing an integration here is optional: any other is called with the standard parameters only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from asymroute.json_mode import expected_schema
from asymroute.providers.base import ModelOptions


@dataclass(frozen=True)
class Integration:
    """What asymroute knows of one integration beyond LangChain's standard parameters."""

    extra: str
    """The asymroute extra that installs it."""
    key_variables: tuple[str, ...]
    """The environment variables it reads its key from (the first is named in errors)."""
    url_variables: tuple[str, ...]
    """The environment variables it reads its endpoint from, first match wins."""
    default_url: str
    sampling_parameters: frozenset[str] = frozenset()
    content_kinds: frozenset[str] = frozenset()
    options: Callable[[ModelOptions], dict[str, Any]] = field(default=lambda _: {})
    """Fields beyond the standard ones, in the integration's own terms."""
    none_tool_choice: Any = "none"


def _anthropic_options(options: ModelOptions) -> dict[str, Any]:
    # Claude reads JSON only through a schema (structured outputs); `json_object` alone is
    # left to the prompt, and the answer is unfenced like every tier's.
    asked, schema = expected_schema(options.response_format)
    if asked and schema:
        return {"output_config": {"format": {"type": "json_schema", "schema": dict(schema)}}}
    return {}


def _google_options(options: ModelOptions) -> dict[str, Any]:
    sampling = options.sampling
    asked, schema = expected_schema(options.response_format)
    chosen = {
        "seed": sampling.seed,
        "top_p": sampling.top_p,
        "presence_penalty": sampling.presence_penalty,
        "frequency_penalty": sampling.frequency_penalty,
        "response_mime_type": "application/json" if asked else None,
        "response_schema": dict(schema) if schema else None,
        # google-genai counts attempts, and reads 0 as "its default" (5 retries).
        "max_retries": options.max_retries + 1,
    }
    return {name: value for name, value in chosen.items() if value is not None}


INTEGRATIONS: Mapping[str, Integration] = {
    # Claude models with their current parameters reject temperature and top_p together, and
    # asymroute always sends a temperature: no sampling parameters are forwarded.
    "anthropic": Integration(
        extra="anthropic",
        key_variables=("ANTHROPIC_API_KEY",),
        url_variables=("ANTHROPIC_API_URL", "ANTHROPIC_BASE_URL"),
        default_url="https://api.anthropic.com",
        content_kinds=frozenset({"image"}),
        options=_anthropic_options,
        none_tool_choice={"type": "none"},
    ),
    "google_genai": Integration(
        extra="google",
        key_variables=("GOOGLE_API_KEY", "GEMINI_API_KEY"),
        url_variables=("GOOGLE_GEMINI_BASE_URL",),
        default_url="https://generativelanguage.googleapis.com",
        sampling_parameters=frozenset({"seed", "top_p", "presence_penalty", "frequency_penalty"}),
        content_kinds=frozenset({"image"}),
        options=_google_options,
    ),
}

# The finish reasons of the integrations asymroute knows, in OpenAI's terms.
FINISH_REASONS = {
    "end_turn": "stop", "stop_sequence": "stop", "pause_turn": "stop", "max_tokens": "length",
    "model_context_window_exceeded": "length", "tool_use": "tool_calls",
    "refusal": "content_filter", "STOP": "stop", "MAX_TOKENS": "length",
    "SAFETY": "content_filter", "RECITATION": "content_filter", "SPII": "content_filter",
    "PROHIBITED_CONTENT": "content_filter", "BLOCKLIST": "content_filter",
    "MALFORMED_FUNCTION_CALL": "stop", "OTHER": "stop",
}  # fmt: skip


def openai_tool_choice(choice: Any, none: Any) -> Any:
    """OpenAI's `tool_choice` in LangChain's integration-neutral form: "auto", "any", a tool's
    name; `none` for "none" (integrations spell it differently)."""
    if choice == "required":
        return "any"
    if choice == "none":
        return none
    if isinstance(choice, Mapping) and choice.get("type") == "function":
        return choice.get("function", {}).get("name")
    return choice


def openai_finish_reason(info: Mapping[str, Any] | None) -> str | None:
    """The integration's finish reason (or Claude's stop_reason) in OpenAI's terms."""
    reason = (info or {}).get("stop_reason") or (info or {}).get("finish_reason")
    if reason is None:
        return None
    name = str(getattr(reason, "name", reason))  # Gemini's may be an enum
    return FINISH_REASONS.get(name, name.lower())
