"""Secrets: provider API keys and tokens, private keys, secrets assigned to a key name."""

from __future__ import annotations

import base64
import binascii
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
# In joined text a key's neighbours are glued to it ("keyAKIA…please"): no word boundaries.
JOINED_API_KEY_PATTERNS = re.compile(API_KEY_PATTERNS.pattern.replace(r"\b", ""))
PRIVATE_KEY_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----")
PRIVATE_KEY_END = re.compile(r"-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----")
PRIVATE_KEY_MAX_CHARS = 16_000
# A private key's base64 body without its BEGIN line: DER keys start with a SEQUENCE ("MI"/"MH"
# in base64), OpenSSH keys with "openssh-key-v1". `private_der` tells keys from certificates.
KEY_BODY = re.compile(
    r"(?<![A-Za-z0-9+/])(?:MI[I-K][A-Za-z0-9+/]{13}|MH[c-g][A-Za-z0-9+/]{13}|b3BlbnNzaC1rZXktdjE)"
    r"[A-Za-z0-9+/]{24,76}={0,2}(?:[ \t]{0,2}\r?\n[ \t]{0,2}[A-Za-z0-9+/]{4,76}={0,2}){0,400}"
)
# Any key name holding one of these words (`AWS_SECRET_ACCESS_KEY`, `db_password`), then `=` or
# `:` (or "is"), then the value: quoted, or one bare token.
SECRET_KEY_NAME = (
    r"(?<![A-Za-z])(?i:password|passwd|passphrase|pwd|secret|api[_-]?key|access[_-]?key|"
    r"access[_-]?token|auth[_-]?token|refresh[_-]?token|client[_-]?secret|private[_-]?key|"
    r"credentials?)(?i:[A-Za-z0-9_.-]{0,40}?)"
)
PASSWORD_ASSIGNMENT = re.compile(
    SECRET_KEY_NAME + r"[\"']?[ \t]{0,8}([:=]|\bis\b)[ \t]{0,8}"
    r"(?:\"([^\"\n]{4,200})\"|'([^'\n]{4,200})'|([^\s\"',;]{4,200}))"
)
KEY_LINE_PREFIX = re.compile(r"[ \t\"'-]*[A-Za-z0-9_.-]*")
"""What may precede the key name on a `key: value` line: indentation, a list dash, a prefix."""
CODE_VALUE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?:\(.*|\[.*)?")
"""`secret = os.environ["X"]`, `password = get_password()`: code naming a secret, not one."""


class ApiKeyDetector:
    name = "api_key"
    category = "api_key"

    def find(self, text: str) -> Iterator[Finding]:
        for match in API_KEY_PATTERNS.finditer(text):
            yield Finding(self.category, match.start(), match.end())

    def find_joined(self, text: str) -> Iterator[Finding]:
        """In text whose spaced or wrapped tokens were joined: only key-like matches count.

        Words glued together can form `sk-` and a long run of letters; a real key is random,
        so it has an upper-case letter and a digit.
        """
        for match in JOINED_API_KEY_PATTERNS.finditer(text):
            value = match.group()
            if any(c.isdigit() for c in value) and any(c.isupper() for c in value):
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

    def find_body(self, text: str) -> Iterator[Finding]:
        """A key body pasted without its BEGIN/END lines."""
        for match in KEY_BODY.finditer(text):
            if private_key_start(match.group()[:24]):
                yield Finding(self.category, match.start(), match.end())


def private_key_start(head: str) -> bool:
    """Whether base64 `head` starts an OpenSSH private key, or a DER SEQUENCE whose first field
    is a small version INTEGER (PKCS#1, PKCS#8, SEC1 keys; certificates start with a SEQUENCE)."""
    if head.startswith("b3BlbnNzaC1rZXktdjE"):
        return True
    try:
        der = base64.b64decode(head[:24], validate=True)
    except (binascii.Error, ValueError):
        return False
    if len(der) < 8 or der[0] != 0x30:
        return False
    length_bytes = der[1] - 0x80 if der[1] > 0x80 else 0
    version = der[2 + length_bytes : 5 + length_bytes]
    return version in (b"\x02\x01\x00", b"\x02\x01\x01")


class PasswordAssignmentDetector:
    """`password = hunter2`, `AWS_SECRET_ACCESS_KEY=wJalr…`, `api_key: abcd1234`.

    A plain word after a colon or "is" ("password: forgotten", "the secret is patience")
    reads as prose, unless it ends its line as in a `key: value` file; and a bare value that
    is code (`secret = os.environ["S"]`) names a secret without holding one.
    """

    name = "password"
    category = "password"

    def find(self, text: str) -> Iterator[Finding]:
        for match in PASSWORD_ASSIGNMENT.finditer(text):
            operator, double, single, bare = match.groups()
            value_group = 2 if double else 3 if single else 4
            if bare and not self._holds_a_secret(text, match, operator, bare):
                continue
            yield Finding(self.category, match.start(value_group), match.end(value_group))

    @staticmethod
    def _holds_a_secret(text: str, match: re.Match[str], operator: str, bare: str) -> bool:
        if bare.isalpha():
            line_start = text.rfind("\n", 0, match.start()) + 1
            key_line = KEY_LINE_PREFIX.fullmatch(text, line_start, match.start()) is not None
            line_ends = match.end() == len(text) or text[match.end()] in "\r\n"
            return operator == "=" or (operator == ":" and key_line and line_ends)
        if operator == "is" and not any(c.isdigit() for c in bare):
            return False
        return not (CODE_VALUE.fullmatch(bare) and ("." in bare or "(" in bare or "[" in bare))
