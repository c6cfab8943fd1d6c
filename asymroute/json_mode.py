"""JSON mode: what a request's OpenAI `response_format` asks for, in each tier's own terms.

A request asks for JSON with `{"type": "json_object"}` (any JSON object) or `{"type":
"json_schema", "json_schema": {"schema": {...}}}` (JSON matching a schema). Each provider
forwards that in its own form (OpenAI's `response_format`, Ollama's `format`, llama.cpp's
JSON-schema grammar); the `format` validator checks the local answer; the answer is returned
as bare JSON, without the Markdown fence small models like to add.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

# Small models often wrap JSON in a Markdown fence despite being told not to.
FENCED = re.compile(r"^\s*```(?:json)?\s*\n(.*?)\n\s*```\s*$", re.S | re.I)


def expected_schema(response_format: Mapping[str, Any] | None) -> tuple[bool, Mapping[str, Any]]:
    """(whether JSON is expected, the schema to validate against; {} means any JSON)."""
    if not response_format:
        return False, {}
    kind = response_format.get("type")
    if kind == "json_object":
        return True, {}
    if kind == "json_schema":
        spec = response_format.get("json_schema") or {}
        schema = spec.get("schema") if isinstance(spec, Mapping) else None
        return True, schema if isinstance(schema, Mapping) else {}
    return False, {}


def wants_json(response_format: Mapping[str, Any] | None) -> bool:
    return expected_schema(response_format)[0]


def unfenced(text: str) -> str:
    """The JSON inside a Markdown code fence, or the text as it is."""
    fenced = FENCED.match(text)
    return fenced.group(1) if fenced else text


def json_object_with_schema(response_format: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The older `{"type": "json_object", "schema": {...}}` form that llama.cpp's Python
    bindings (in process, and `python -m llama_cpp.server`) turn into a grammar; None: no JSON."""
    asked, schema = expected_schema(response_format)
    if not asked:
        return None
    return {"type": "json_object", "schema": dict(schema)} if schema else {"type": "json_object"}


def ollama_format(
    response_format: Mapping[str, Any] | None,
) -> dict[str, Any] | Literal["json"] | None:
    """Ollama's `format`: the JSON schema itself, or "json" for any JSON; None: free text."""
    asked, schema = expected_schema(response_format)
    if not asked:
        return None
    return dict(schema) if schema else "json"


def unfenced_reply(message: M, response_format: Mapping[str, Any] | None) -> M:
    """A reply to a JSON-mode request with any Markdown fence around its JSON removed."""
    content = getattr(message, "content", None)
    if not wants_json(response_format) or not isinstance(content, str):
        return message
    bare = unfenced(content)
    return message if bare == content else message.model_copy(update={"content": bare})
