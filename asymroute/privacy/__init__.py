"""Sensitive data in prompts: detectors by name, and the policy that keeps it off the frontier.

Every detector scans the normalised text (NFKC, invisible characters removed); API keys are
also looked for with spaced-out or wrapped tokens joined, and private keys also without their
BEGIN line (`normalize.py`). Findings are spans of the original text.

Layer: the floor; privacy imports `errors` and `requests`, nothing above.
"""

from __future__ import annotations

from collections.abc import Iterator

from asymroute.errors import ConfigurationError
from asymroute.privacy.base import Detector, Finding
from asymroute.privacy.normalize import View, joined, normalized
from asymroute.privacy.personal import (
    CardNumberDetector,
    EmailDetector,
    IbanDetector,
    NationalIdDetector,
    PhoneDetector,
)
from asymroute.privacy.secrets import (
    ApiKeyDetector,
    PasswordAssignmentDetector,
    PrivateKeyDetector,
)

DETECTORS: dict[str, Detector] = {
    detector.name: detector
    for detector in (
        ApiKeyDetector(),
        PrivateKeyDetector(),
        PasswordAssignmentDetector(),
        EmailDetector(),
        PhoneDetector(),
        CardNumberDetector(),
        IbanDetector(),
        NationalIdDetector(),
    )
}
API_KEYS = ApiKeyDetector()
PRIVATE_KEYS = PrivateKeyDetector()


def _findings(text: str) -> Iterator[Finding]:
    """Every detector's matches in the views of `text`, as spans of `text`."""
    view = normalized(text)
    for detector in DETECTORS.values():
        yield from _in_original(view, detector.find(view.text))
    yield from _in_original(view, PRIVATE_KEYS.find_body(view.text))
    glued = joined(view)
    if glued is not view:
        yield from _in_original(glued, API_KEYS.find_joined(glued.text))


def _in_original(view: View, findings: Iterator[Finding]) -> Iterator[Finding]:
    for finding in findings:
        start, end = view.span(finding.start, finding.end)
        yield Finding(finding.category, start, end)


def get_detector(name: str) -> Detector:
    if name not in DETECTORS:
        raise ConfigurationError(
            f"unknown privacy detector {name!r}; valid detectors: {', '.join(sorted(DETECTORS))}"
        )
    return DETECTORS[name]


def find_sensitive(text: str) -> list[Finding]:
    """Every confident match, in text order, overlapping matches merged into the first."""
    findings = sorted(_findings(text), key=lambda f: (f.start, -f.end))
    merged: list[Finding] = []
    for finding in findings:
        if merged and finding.start < merged[-1].end:
            last = merged[-1]
            if finding.end > last.end:
                merged[-1] = Finding(last.category, last.start, finding.end)
            continue
        merged.append(finding)
    return merged


def sensitive_categories(text: str) -> list[str]:
    """Categories found anywhere in `text`, sorted (all detectors, overlaps not merged)."""
    return sorted({f.category for f in _findings(text)})


__all__ = [
    "DETECTORS",
    "Detector",
    "Finding",
    "find_sensitive",
    "get_detector",
    "sensitive_categories",
]
