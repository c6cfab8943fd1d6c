"""The sensitive-data detector extension point: find spans of one category in a text."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

PRIVACY_OFF = "off"
PRIVACY_ROUTE_LOCAL = "route-local"
PRIVACY_REDACT = "redact-before-frontier"
PRIVACY_MODES = (PRIVACY_OFF, PRIVACY_ROUTE_LOCAL, PRIVACY_REDACT)


@dataclass(frozen=True)
class Finding:
    """Where a detector matched; the value itself is never stored beyond the text it is in."""

    category: str
    start: int
    end: int


class Detector(Protocol):
    name: str
    category: str
    """What a match is called in decisions and traces: api_key, email, card_number, ..."""

    def find(self, text: str) -> Iterator[Finding]:
        """Confident matches only; must run in time roughly linear in `len(text)`."""
        ...
