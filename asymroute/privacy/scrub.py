"""Keep secrets out of error messages: they end up in state, checkpoints, logs and traces."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import SecretStr

from asymroute.privacy.secrets import (
    ApiKeyDetector,
    PasswordAssignmentDetector,
    PrivateKeyDetector,
)

SECRET_DETECTORS = (ApiKeyDetector(), PrivateKeyDetector(), PasswordAssignmentDetector())
MASK = "[REDACTED]"


def scrub_secrets(text: str, known_secrets: Iterable[str] = ()) -> str:
    """`text` with every known secret value and every key-shaped string masked."""
    for secret in sorted({s for s in known_secrets if len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    spans = sorted(
        (finding.start, finding.end)
        for detector in SECRET_DETECTORS
        for finding in detector.find(text)
    )
    out: list[str] = []
    cursor = 0
    for start, end in spans:
        if end <= cursor:
            continue
        out += [text[cursor : max(start, cursor)], MASK]
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def known_secrets(settings: Any) -> tuple[str, ...]:
    """Every secret a pydantic settings object holds (API keys, database URLs, ...)."""
    values = (getattr(settings, name, None) for name in type(settings).model_fields)
    return tuple(value.get_secret_value() for value in values if isinstance(value, SecretStr))
