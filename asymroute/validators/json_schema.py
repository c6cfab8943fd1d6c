"""A small JSON Schema checker for the `format` validator (no dependency).

Covers what response formats use: `type` (one or a list), `properties`, `required`,
`additionalProperties: false`, `items`, `enum`, `const`, `minItems`/`maxItems`,
`minimum`/`maximum`, `minLength`/`maxLength`, `anyOf`. Other keywords are ignored, so a schema
using them is checked less strictly, never wrongly rejected.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

TYPE_CHECKS = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: _is_integer(v),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def schema_errors(value: Any, schema: Mapping[str, Any], path: str = "$") -> list[str]:
    """Every violation found, each naming where (`$.items[2].name`) and what was expected."""
    if not isinstance(schema, Mapping):
        return []
    errors: list[str] = []
    expected = schema.get("type")
    if expected is not None:
        types = [expected] if isinstance(expected, str) else list(expected)
        if not any(TYPE_CHECKS.get(t, lambda v: True)(value) for t in types):
            return [f"{path} should be {' or '.join(types)}, got {_kind(value)}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path} should be one of {schema['enum']!r}, got {value!r}")
    if "const" in schema and value != schema["const"]:
        errors.append(f"{path} should be {schema['const']!r}, got {value!r}")
    if "anyOf" in schema and all(schema_errors(value, s, path) for s in schema["anyOf"]):
        errors.append(f"{path} matches none of the anyOf alternatives")
    if isinstance(value, dict):
        errors += _object_errors(value, schema, path)
    elif isinstance(value, list):
        errors += _array_errors(value, schema, path)
    elif isinstance(value, str):
        errors += _bounds(len(value), schema, path, "minLength", "maxLength", "length")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        errors += _bounds(value, schema, path, "minimum", "maximum", "value")
    return errors


def _object_errors(value: dict[str, Any], schema: Mapping[str, Any], path: str) -> list[str]:
    errors = [
        f"{path} is missing required key {key!r}"
        for key in schema.get("required", ())
        if key not in value
    ]
    properties = schema.get("properties") or {}
    for key, item in value.items():
        if key in properties:
            errors += schema_errors(item, properties[key], f"{path}.{key}")
        elif schema.get("additionalProperties") is False:
            errors.append(f"{path} has unexpected key {key!r}")
    return errors


def _array_errors(value: list[Any], schema: Mapping[str, Any], path: str) -> list[str]:
    errors = _bounds(len(value), schema, path, "minItems", "maxItems", "item count")
    items = schema.get("items")
    if isinstance(items, Mapping):
        for index, item in enumerate(value):
            errors += schema_errors(item, items, f"{path}[{index}]")
    return errors


def _bounds(
    value: float, schema: Mapping[str, Any], path: str, low: str, high: str, what: str
) -> list[str]:
    errors = []
    if low in schema and value < schema[low]:
        errors.append(f"{path} {what} {value} is below {low} {schema[low]}")
    if high in schema and value > schema[high]:
        errors.append(f"{path} {what} {value} is above {high} {schema[high]}")
    return errors


def _kind(value: Any) -> str:
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if TYPE_CHECKS[name](value):
            return name
    return type(value).__name__
