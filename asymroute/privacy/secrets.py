"""Secrets: provider API keys and tokens, private key blocks, passwords in assignments."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

from asymroute.privacy.base import Finding

# Each pattern is a fixed prefix then a bounded run, so a scan stays linear in the text.
API_KEY_PATTERNS = re.compile(
    r"\bsk-(?:proj-|ant-(?:api\d\d-)?|or-v1-|svcacct-)?[A-Za-z0-9_-]{20,400}"  # OpenAI, Anthropic
    r"|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"  # AWS access key id
    r"|\bgh[pousr]_[A-Za-z0-9]{36,255}\b|\bgithub_pat_[A-Za-z0-9_]{22,255}"  # GitHub
    r"|\bglpat-[A-Za-z0-9_-]{20,64}"  # GitLab
    r"|\bxox[abprs]-[A-Za-z0-9-]{10,255}"  # Slack
    r"|\bAIza[0-9A-Za-z_-]{35}"  # Google
    r"|\b[rs]k_(?:live|test)_[0-9A-Za-z]{16,255}"  # Stripe
    r"|\bhf_[A-Za-z0-9]{30,64}"  # Hugging Face
    r"|\beyJ[A-Za-z0-9_-]{8,2000}\.eyJ[A-Za-z0-9_-]{8,4000}\.[A-Za-z0-9_-]{8,2000}"  # JWT
    r"|\bBearer\s{1,4}[A-Za-z0-9._~+/-]{24,1000}=*"  # an Authorization header value
)
PRIVATE_KEY_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----")
PRIVATE_KEY_END = re.compile(r"-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----")
PRIVATE_KEY_MAX_CHARS = 16_000
PASSWORD_ASSIGNMENT = re.compile(
    r"(?<![A-Za-z])(?i:password|passwd|passphrase|pwd|secret|api[_-]?key|access[_-]?token|"
    r"auth[_-]?token|client[_-]?secret|private[_-]?key)[\"']?[ \t]{0,8}([:=])[ \t]{0,8}"
    r"(?:\"([^\"\n]{4,200})\"|'([^'\n]{4,200})'|([^\s\"',;]{4,200}))"
)


class ApiKeyDetector:
    name = "api_key"
    category = "api_key"

    def find(self, text: str) -> Iterator[Finding]:
        for match in API_KEY_PATTERNS.finditer(text):
            yield Finding(self.category, match.start(), match.end())


class PrivateKeyDetector:
    name = "private_key"
    category = "private_key"

    def find(self, text: str) -> Iterator[Finding]:
        if "PRIVATE KEY" not in text:
            return
        ends = [match.end() for match in PRIVATE_KEY_END.finditer(text)]
        covered = 0
        for begin in PRIVATE_KEY_BEGIN.finditer(text):
            if begin.start() < covered:
                continue
            # The whole block when its END line follows, else the header (the key may be cut).
            after = bisect.bisect_left(ends, begin.end() + 1)
            end = begin.end()
            if after < len(ends) and ends[after] - begin.start() <= PRIVATE_KEY_MAX_CHARS:
                end = ends[after]
            covered = end
            yield Finding(self.category, begin.start(), end)


class PasswordAssignmentDetector:
    """`password = hunter2`, `DB_PASSWORD="s3cret"`, `api_key: abcd1234`.

    A colon followed by a plain word ("password: forgotten") reads as prose, not an
    assignment, so it needs quotes or a digit or symbol in the value to count.
    """

    name = "password"
    category = "password"

    def find(self, text: str) -> Iterator[Finding]:
        for match in PASSWORD_ASSIGNMENT.finditer(text):
            operator, double, single, bare = match.groups()
            value_group = 2 if double else 3 if single else 4
            if bare and operator == ":" and bare.isalpha():
                continue
            yield Finding(self.category, match.start(value_group), match.end(value_group))
