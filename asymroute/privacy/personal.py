"""Personal data: email addresses, phone numbers, card numbers, national identity numbers."""

from __future__ import annotations

import re
from collections.abc import Iterator

from asymroute.privacy.base import Finding

_EMAIL_LOCAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")
EMAIL_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63}){0,8}")
PHONE = re.compile(
    r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(\d{1,4}\))?(?:[ .-]?\d{2,4}){2,5}(?!\d)"  # +44 20 7946 0958
    r"|(?<!\w)\(\d{3}\)[ ]?\d{3}[-. ]\d{4}(?!\d)"  # (415) 555-0132
    r"|(?<![\w.-])\d{3}[-.]\d{3}[-.]\d{4}(?![\w-])"  # 415-555-0132
)
CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
US_SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])")
UK_NINO = re.compile(
    r"\b(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"
)
ES_DNI = re.compile(r"\b(\d{8})-?([A-Z])\b")
DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


class EmailDetector:
    name = "email"
    category = "email"

    def find(self, text: str) -> Iterator[Finding]:
        # Expand around each "@" by hand: a regex starting at every position is quadratic here.
        at = text.find("@")
        while at != -1:
            start = at
            while start > 0 and at - start < 64 and text[start - 1] in _EMAIL_LOCAL:
                start -= 1
            domain = EMAIL_DOMAIN.match(text, at + 1)
            if start < at and domain and "." in domain.group():
                tld = domain.group().rsplit(".", 1)[1]
                if 2 <= len(tld) <= 24 and tld.isalpha():
                    yield Finding(self.category, start, domain.end())
            at = text.find("@", at + 1)


class PhoneDetector:
    """International numbers with a leading +, and North-American formatted numbers."""

    name = "phone"
    category = "phone"

    def find(self, text: str) -> Iterator[Finding]:
        for match in PHONE.finditer(text):
            digits = sum(char.isdigit() for char in match.group())
            if 8 <= digits <= 15:
                yield Finding(self.category, match.start(), match.end())


class CardNumberDetector:
    """13-19 digits (spaces or dashes allowed) from a card network's range, Luhn-valid."""

    name = "card_number"
    category = "card_number"

    def find(self, text: str) -> Iterator[Finding]:
        for match in CARD.finditer(text):
            digits = re.sub(r"[ -]", "", match.group())
            if 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn_valid(digits):
                yield Finding(self.category, match.start(), match.end())


class NationalIdDetector:
    """US SSN (dashed), UK National Insurance number, Spanish DNI (checksum letter)."""

    name = "national_id"
    category = "national_id"

    def find(self, text: str) -> Iterator[Finding]:
        for pattern in (US_SSN, UK_NINO):
            for match in pattern.finditer(text):
                yield Finding(self.category, match.start(), match.end())
        for match in ES_DNI.finditer(text):
            number, letter = match.groups()
            if DNI_LETTERS[int(number) % 23] == letter:
                yield Finding(self.category, match.start(), match.end())
