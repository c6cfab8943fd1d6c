"""Sensitive data in prompts: detectors by name, and the policy that keeps it off the frontier."""

from __future__ import annotations

from asymroute.errors import ConfigurationError
from asymroute.privacy.base import Detector, Finding
from asymroute.privacy.personal import (
    CardNumberDetector,
    EmailDetector,
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
        NationalIdDetector(),
    )
}


def get_detector(name: str) -> Detector:
    if name not in DETECTORS:
        raise ConfigurationError(
            f"unknown privacy detector {name!r}; valid detectors: {', '.join(sorted(DETECTORS))}"
        )
    return DETECTORS[name]


def find_sensitive(text: str) -> list[Finding]:
    """Every confident match, in text order, overlapping matches merged into the first."""
    findings = sorted(
        (f for detector in DETECTORS.values() for f in detector.find(text)),
        key=lambda f: (f.start, -f.end),
    )
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
    return sorted({f.category for detector in DETECTORS.values() for f in detector.find(text)})


__all__ = [
    "DETECTORS",
    "Detector",
    "Finding",
    "find_sensitive",
    "get_detector",
    "sensitive_categories",
]
