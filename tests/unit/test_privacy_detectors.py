"""Sensitive-data detectors: what each finds, what it must leave alone, and in linear time."""

from __future__ import annotations

import time

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from asymroute.errors import ConfigurationError
from asymroute.privacy import DETECTORS, find_sensitive, get_detector, sensitive_categories
from asymroute.privacy.personal import luhn_valid
from asymroute.privacy.policy import redact_messages, restore_answer
from asymroute.privacy.scrub import scrub_secrets

FOUND = [
    ("my key is sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z", "api_key"),
    ("OPENAI_API_KEY=sk-abcdefghijklmnopqrstuvwxyz0123", "api_key"),
    ("aws AKIAIOSFODNN7EXAMPLE here", "api_key"),
    ("token ghp_abcdefghijklmnopqrstuvwxyz0123456789", "api_key"),
    ("xoxb-123456789012-abcdefghijkl", "api_key"),
    ("AIzaSyA1234567890abcdefghijklmnopqrstuv", "api_key"),
    ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N", "api_key"),
    (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
        "private_key",
    ),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA", "private_key"),
    ('db_password = "hunter2!"', "password"),
    ("DB_PASSWORD=s3cr3tpass", "password"),
    ("password: 'correct horse'", "password"),
    ("password: Tr0ub4dor&3", "password"),
    ("write to jane.doe+test@example.co.uk today", "email"),
    ("call +44 20 7946 0958", "phone"),
    ("call +1-415-555-0132 now", "phone"),
    ("(415) 555-0132", "phone"),
    ("415-555-0132", "phone"),
    ("card 4111 1111 1111 1111 exp 12/29", "card_number"),
    ("card 5500-0000-0000-0004", "card_number"),
    ("amex 378282246310005", "card_number"),
    ("SSN 123-45-6789", "national_id"),
    ("NINO AB 12 34 56 C", "national_id"),
    ("DNI 12345678Z", "national_id"),
]

NOT_FOUND = [
    "What is 2+3?",
    "Refactor this parser to use a state machine.",
    "the password: forgotten",  # prose, not an assignment
    "reset your password and try again",
    "sk-short",
    "4111 1111 1111 1112",  # fails the Luhn check
    "1234567812345678",  # Luhn-invalid, and not a card range
    "0000 0000 0000 0000",
    "SSN 000-12-3456",
    "SSN 666-12-3456",
    "version 2024-01-15, build 123456789",
    "numbers 12345678 and 3.14159265358979",
    "x = a @ b  # matrix product",
    "email me at jane at example dot com",
    "DNI 12345678A",  # wrong check letter
    "phone 555-0132",  # too short to be sure
]


@pytest.mark.parametrize(("text", "category"), FOUND)
def test_confident_matches_are_found(text: str, category: str) -> None:
    assert category in sensitive_categories(text)


@pytest.mark.parametrize("text", NOT_FOUND)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert sensitive_categories(text) == []


def test_luhn() -> None:
    assert luhn_valid("4111111111111111") and luhn_valid("79927398713")
    assert not luhn_valid("4111111111111112")


def test_detectors_are_registered_by_name() -> None:
    assert set(DETECTORS) == {
        "api_key",
        "private_key",
        "password",
        "email",
        "phone",
        "card_number",
        "iban",
        "national_id",
    }
    assert get_detector("email").category == "email"
    with pytest.raises(ConfigurationError, match="unknown privacy detector 'passport'"):
        get_detector("passport")


def test_overlapping_matches_merge() -> None:
    text = "OPENAI_API_KEY=sk-abcdefghijklmnopqrstuvwxyz0123 ok"
    findings = find_sensitive(text)
    assert len(findings) == 1
    assert text[findings[0].start : findings[0].end] == "sk-abcdefghijklmnopqrstuvwxyz0123"


def test_redaction_replaces_values_consistently_and_restores_them_in_the_answer() -> None:
    original = HumanMessage("Mail a@example.com and b@example.org, then a@example.com again")
    (redacted,), redaction = redact_messages([original])

    assert redacted.content == (
        "Mail [REDACTED_EMAIL_1] and [REDACTED_EMAIL_2], then [REDACTED_EMAIL_1] again"
    )
    assert original.content.startswith("Mail a@example.com")  # the original is untouched
    assert redaction.categories == ["email"]
    answer = restore_answer(AIMessage("Sent to [REDACTED_EMAIL_2]."), redaction)
    assert answer.content == "Sent to b@example.org."


def test_a_frontier_tool_call_gets_the_real_values_back_in_its_arguments() -> None:
    (_,), redaction = redact_messages([HumanMessage("Email a@example.com the report")])
    call = {"name": "send", "args": {"to": ["[REDACTED_EMAIL_1]"], "n": 2}, "id": "c1"}
    answer = restore_answer(AIMessage("", tool_calls=[call]), redaction)
    assert answer.tool_calls[0]["args"] == {"to": ["a@example.com"], "n": 2}


def test_redaction_reaches_text_blocks_and_leaves_other_blocks() -> None:
    image = {"type": "image_url", "image_url": {"url": "data:..."}}
    message = HumanMessage([{"type": "text", "text": "SSN 123-45-6789"}, image])
    (redacted,), _ = redact_messages([message])
    assert redacted.content == [{"type": "text", "text": "SSN [REDACTED_NATIONAL_ID_1]"}, image]


def test_scrub_masks_known_secrets_and_key_shaped_strings() -> None:
    text = "401: bad key: Bearer my-own-secret-value; also sk-abcdefghijklmnopqrstuvwx"
    scrubbed = scrub_secrets(text, known_secrets=["my-own-secret-value"])
    assert "my-own-secret-value" not in scrubbed
    assert "sk-abcdefghijklmnopqrstuvwx" not in scrubbed
    assert scrubbed.startswith("401: bad key: Bearer [REDACTED]")


ADVERSARIAL = [
    "a" * 200_000,
    "1" * 200_000,
    "@" * 200_000,
    "a@" * 100_000,
    "sk-" * 66_000,
    "1-" * 100_000,
    "+1 " * 66_000,
    "1 " * 100_000,
    "password=" * 22_000,
    "-----BEGIN PRIVATE KEY-----" * 7_000,
    "a.b@" * 50_000,
    "１" * 200_000,  # fullwidth: folded before scanning
    "a\u200b" * 100_000,
    "AKIA " * 40_000,  # joined into one long run
    "a\n" * 100_000,
    "MIIEvQIBADAN\n" * 15_000,
    "0033 " * 40_000,
    "(415) " * 33_000,
    "DE89 " * 40_000,
    "4111." * 40_000,
    "password is " * 16_000,
]


@pytest.mark.parametrize("text", ADVERSARIAL, ids=lambda t: repr(t[:8]))
def test_scanning_a_long_adversarial_prompt_finishes(text: str) -> None:
    # A correctness guard against catastrophic backtracking (seconds, not minutes), generous
    # enough for a loaded CI machine; speed itself is measured in bench/, not here.
    started = time.perf_counter()
    sensitive_categories(text)
    find_sensitive(text)
    assert time.perf_counter() - started < 20
