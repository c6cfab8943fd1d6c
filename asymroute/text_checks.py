"""Text no model client can send: lone UTF-16 surrogates, found before any model is called.

A JavaScript client that cuts an emoji in half sends `"\\ud83d"` as JSON; Python decodes it to
a lone surrogate, which every HTTP client and llama.cpp then fail to encode. Caught here, it is
the request's error (400 naming the field), not a failure of the endpoints that received it.
"""

from __future__ import annotations

import re
from typing import Any

# A JSON escape of a surrogate code point: the only way one can reach a parsed JSON body
# (UTF-8 bytes cannot encode surrogates, and the JSON decoder refuses those that try).
SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def lone_surrogate_at(text: str) -> int | None:
    """Index of the first lone surrogate in `text`, or None when it encodes as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None


def surrogate_message(where: str, text: str, index: int) -> str:
    return (
        f"{where} holds a lone UTF-16 surrogate (U+{ord(text[index]):04X}) at character "
        f"{index}, which is not valid Unicode text (often half of an emoji cut in two); "
        "send well-formed UTF-8"
    )


def find_lone_surrogate(value: Any, path: str = "") -> tuple[str, str, int] | None:
    """(path like 'messages[2].content', the text, index) of the first lone surrogate found in
    the strings and keys of a parsed JSON value; iterative, so any nesting depth is safe."""
    pending: list[tuple[str, Any]] = [(path, value)]
    while pending:
        where, item = pending.pop()
        if isinstance(item, str):
            if (index := lone_surrogate_at(item)) is not None:
                return where or "the request body", item, index
        elif isinstance(item, dict):
            for key, child in reversed(list(item.items())):
                if (index := lone_surrogate_at(key)) is not None:
                    return where or "the request body", key, index
                pending.append((f"{where}.{key}" if where else key, child))
        elif isinstance(item, list):
            pending.extend((f"{where}[{i}]", child) for i, child in reversed(list(enumerate(item))))
    return None
