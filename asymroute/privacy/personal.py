"""Personal data: email addresses, phone numbers, card numbers, IBANs, national identity numbers.

Detectors scan the normalised text (`normalize.py`): fullwidth digits and `＠` are ASCII there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import phonenumbers
from stdnum import iban

from asymroute.privacy.base import Finding

_EMAIL_LOCAL_ASCII = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-"
)
# Letters of any script: internationalised addresses (josé@…, …@bücher.de) are addresses too.
EMAIL_DOMAIN = re.compile(r"[^\W_](?:[^\W_]|-){0,62}(?:\.(?:[^\W_]|-){1,63}){0,8}")
PHONE_CANDIDATE = re.compile(r"(?<![\w+])(?:\+|00[1-9]|\(?\d)[\d ().\-/]{6,24}\d(?!\w)")
"""Runs that could be a phone number; `phonenumbers` decides which are valid numbers."""
DATE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}")
NATIONAL_REGIONS = ("US", "GB", "DE", "FR")
"""Regions whose national format (no +country code: `415 555 0132`, `020 7946 0958`) is read;
a number with its country code (`+33 …`, `0033 …`) is read for every region."""
CARD = re.compile(r"(?<![\d./-])\d(?:[ ./-]{0,2}\d){12,22}(?![\d-])")
CARD_SEPARATORS = re.compile(r"[ ./-]{1,2}")
IBAN_CANDIDATE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{1,4}){3,9}\b")
US_SSN = re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\d-])")
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
            while start > 0 and at - start < 64 and _email_local(text[start - 1]):
                start -= 1
            domain = EMAIL_DOMAIN.match(text, at + 1)
            if start < at and domain and "." in domain.group():
                tld = domain.group().rsplit(".", 1)[1]
                if 2 <= len(tld) <= 24 and tld.isalpha():
                    yield Finding(self.category, start, domain.end())
            at = text.find("@", at + 1)


def _email_local(char: str) -> bool:
    return char in _EMAIL_LOCAL_ASCII or (not char.isascii() and char.isalnum())


class PhoneDetector:
    """Valid phone numbers (Google's libphonenumber rules, via `phonenumbers`): international
    ones for every region, national ones for `NATIONAL_REGIONS`."""

    name = "phone"
    category = "phone"

    def find(self, text: str) -> Iterator[Finding]:
        for match in PHONE_CANDIDATE.finditer(text):
            candidate = match.group()
            digits = sum(char.isdigit() for char in candidate)
            if 8 <= digits <= 17 and self._valid(candidate):
                yield Finding(self.category, match.start(), match.end())

    @staticmethod
    def _valid(candidate: str) -> bool:
        if candidate.startswith("00"):  # the international prefix of most of the world
            candidate = "+" + candidate[2:]
        if candidate.startswith("+"):
            regions: tuple[str | None, ...] = (None,)
        elif DATE.fullmatch(candidate) or not _national_shape(candidate):
            return False
        else:
            regions = NATIONAL_REGIONS
        for region in regions:
            try:
                number = phonenumbers.parse(candidate, region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(number):
                return True
        return False


def _national_shape(candidate: str) -> bool:
    """A number without country code is only read as a phone number when it looks like one:
    a trunk-prefixed number (`020 7946 0958`, 9-11 digits), or a North-American one (10
    digits) written in groups (`415 555 0132`, `(415) 555-0132`). A bare run of digits, a
    count or an id, is not."""
    digits = re.sub(r"\D", "", candidate)
    if digits.startswith("0"):
        return 9 <= len(digits) <= 11 and not digits.startswith("00")
    return len(digits) == 10 and bool(re.search(r"[ ().\-/]", candidate))


class CardNumberDetector:
    """13-19 digits from a card network's range, Luhn-valid: in one run, or in groups of four
    (Amex 4-6-5) split by spaces, dashes, dots or slashes."""

    name = "card_number"
    category = "card_number"

    def find(self, text: str) -> Iterator[Finding]:
        for match in CARD.finditer(text):
            groups = CARD_SEPARATORS.split(match.group())
            digits = "".join(groups)
            if (
                13 <= len(digits) <= 19
                and digits[0] in "23456"
                and _card_grouping(groups)
                and luhn_valid(digits)
            ):
                yield Finding(self.category, match.start(), match.end())


def _card_grouping(groups: list[str]) -> bool:
    sizes = [len(group) for group in groups]
    return len(sizes) == 1 or sizes in ([4, 6, 5], [4, 6, 4]) or set(sizes[:-1]) == {4}


class IbanDetector:
    """International bank account numbers whose country, length and mod-97 check are valid."""

    name = "iban"
    category = "iban"

    def find(self, text: str) -> Iterator[Finding]:
        for match in IBAN_CANDIDATE.finditer(text):
            # The candidate may run into a following word in capitals: drop groups until valid.
            value = match.group()
            while len(value.replace(" ", "")) >= 15:
                if iban.is_valid(value):
                    yield Finding(self.category, match.start(), match.start() + len(value))
                    break
                value = value.rsplit(" ", 1)[0] if " " in value else value[:-1]


class NationalIdDetector:
    """US SSN (dashed or spaced), UK National Insurance number, Spanish DNI (checksum letter)."""

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
