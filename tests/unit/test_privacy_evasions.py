"""A corpus of disguised sensitive values, through the router graph with the frontier chosen.

Each is kept on the local tier under `route-local` and reaches the frontier only redacted under
`redact-before-frontier`: no piece of the value (its digits or characters, disguise removed) is
in what the frontier is sent. The values are synthetic: test card, IBAN and phone numbers from
the issuers' and ITU's documentation, AWS's documented example keys.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from asymroute.privacy import sensitive_categories
from asymroute.requests import content_text
from tests.support.scripted_models import ScriptedProvider
from tests.unit.test_privacy_routing import graph

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
PKCS8_BODY = (
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n"
    "MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n"
)
# (name, text, the value that must not reach the frontier)
EVASIONS = [
    ("env secret", f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}", AWS_SECRET),
    ("credentials file", f"[default]\naws_secret_access_key = {AWS_SECRET}", AWS_SECRET),
    ("yaml secret", f"db:\n  client_secret: {AWS_SECRET}", AWS_SECRET),
    ("akia newline", "key AKIAIOSFODNN7\nEXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    ("akia spaces", "key AKIA IOSF ODNN 7EXA MPLE", "AKIAIOSFODNN7EXAMPLE"),
    ("akia zero width", "key AKIAIOSF\u200bODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    ("akia soft hyphen", "key AKIAIOSFODNN\u00ad7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    ("akia fullwidth", "key ＡＫＩＡＩＯＳＦＯＤＮＮ７ＥＸＡＭＰＬＥ", "AKIAIOSFODNN7EXAMPLE"),
    ("openai key wrapped", "sk-proj-Ab3dEf6hIj9kLm\n2nOp5qRs8tUv1wXy4z", "Ab3dEf6hIj9kLm2nOp5q"),
    ("card dots", "card 4111.1111.1111.1111", "4111111111111111"),
    ("card double spaces", "card 4111  1111  1111  1111", "4111111111111111"),
    ("card slashes", "card 4111/1111/1111/1111", "4111111111111111"),
    ("card fullwidth", "card ４１１１ １１１１ １１１１ １１１１", "4111111111111111"),
    ("card zero width", "card 4111\u200b1111\u200b1111\u200b1111", "4111111111111111"),
    ("amex groups", "amex 3782 822463 10005", "378282246310005"),
    ("email accent", "mail josé.garcía@example.com", "josé.garcía@example.com"),
    ("email idn", "mail anna@bücher.de", "anna@bücher.de"),
    ("email fullwidth at", "mail anna＠example.com", "example.com"),
    ("email zero width", "mail anna@exa\u200bmple.com", "anna@exa"),
    ("iban de", "IBAN DE89 3704 0044 0532 0130 00", "DE89370400440532013000"),
    ("iban gb", "IBAN GB29 NWBK 6016 1331 9268 19", "GB29NWBK60161331926819"),
    ("iban compact", "IBAN FR1420041010050500013M02606", "FR1420041010050500013M02606"),
    ("phone us national", "call 415 555 0132", "4155550132"),
    ("phone us dots", "call 415.555.0132", "4155550132"),
    ("phone 00 prefix", "call 0033 1 42 68 53 00", "33142685300"),
    ("phone uk national", "call 020 7946 0958", "02079460958"),
    ("phone de national", "call 030 12345678", "03012345678"),
    ("phone fr national", "call 01 42 68 53 00", "0142685300"),
    ("phone fullwidth", "call ＋４４ ２０ ７９４６ ０９５８", "442079460958"),
    ("ssn spaces", "SSN 123 45 6789", "123456789"),
    ("password line", "\npassword: hunter", "hunter"),
    ("password is", "my password is hunter2", "hunter2"),
    ("password json", '{"password": "correct horse battery"}', "correct horse battery"),
    ("pem body", f"here is my key\n{PKCS8_BODY}", PKCS8_BODY.split("\n")[0]),
    ("ec key body", "MHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49", "MHcCAQEE"),
    ("openssh body", "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
     "b3BlbnNzaC1rZXktdjEAAAAABG5vbmU"),
]  # fmt: skip


def bare(text: str) -> str:
    """The text with disguise and separators gone: what a leaked value would still show."""
    folded = unicodedata.normalize("NFKC", text).replace("\u200b", "").replace("\u00ad", "")
    return re.sub(r"[\s./\-()+]", "", folded)


def frontier_saw(provider: ScriptedProvider) -> str:
    messages = [m for call in provider.seen.get("frontier", []) for m in call]
    return " ".join(f"{content_text(m)} {m.name or ''}" for m in messages)


def ask(scripted: ScriptedProvider, privacy: str, message: dict[str, Any]) -> Any:
    router = graph(privacy=privacy)  # "Refactor" routes to the frontier on complexity
    return router.invoke({"messages": [message]})


def message_with(text: str) -> dict[str, Any]:
    return {"role": "user", "content": f"Refactor the billing code. {text}"}


@pytest.mark.parametrize(("name", "text", "value"), EVASIONS, ids=[e[0] for e in EVASIONS])
def test_each_evasion_stays_local_under_route_local(
    scripted: ScriptedProvider, name: str, text: str, value: str
) -> None:
    state = ask(scripted, "route-local", message_with(text))
    assert state["answered_by"] == "local" and scripted.calls("frontier") == 0, name


@pytest.mark.parametrize(("name", "text", "value"), EVASIONS, ids=[e[0] for e in EVASIONS])
def test_each_evasion_reaches_the_frontier_redacted(
    scripted: ScriptedProvider, name: str, text: str, value: str
) -> None:
    state = ask(scripted, "redact-before-frontier", message_with(text))
    assert scripted.calls("frontier") == 1 and state["answered_by"] == "frontier"
    sent = frontier_saw(scripted)
    assert "[REDACTED_" in sent
    assert bare(value) not in bare(sent), f"{name}: {value!r} reached the frontier"


def test_a_key_in_the_message_name_is_kept_local_or_dropped(scripted: ScriptedProvider) -> None:
    message = {**message_with("no secrets here"), "name": "AKIAIOSFODNN7EXAMPLE"}
    assert ask(scripted, "route-local", message)["answered_by"] == "local"
    assert scripted.calls("frontier") == 0

    ask(scripted, "redact-before-frontier", message)
    assert scripted.calls("frontier") == 1
    assert "AKIAIOSFODNN7EXAMPLE" not in frontier_saw(scripted)


def test_tool_call_arguments_are_scanned() -> None:
    from langchain_core.messages import AIMessage

    from asymroute.privacy.policy import conversation_categories, redact_messages

    call = {"name": "send", "args": {"to": ["ann@example.com"]}, "id": "c1", "type": "tool_call"}
    messages = [HumanMessage("send it"), AIMessage("", tool_calls=[call])]
    assert conversation_categories(messages) == ["email"]
    redacted, _ = redact_messages(messages)
    assert redacted[1].tool_calls[0]["args"] == {"to": ["[REDACTED_EMAIL_1]"]}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "text",
    [
        "the password: forgotten",
        "Password: forgotten, try again",
        "the secret is patience",
        "secret_number = random.randint(1, 100)",
        "password = os.environ['DB_PASSWORD']",
        "Released 2024-01-15, build 123456789",
        "pi is 3.14159265358979323",
        "IBAN DE89 3704 0044 0532 0130 01",  # fails mod-97
        "the quick brown fox jumps over the lazy dog AKIA style",
        "ISBN 978-3-16-148410-0",
        "call extension 4155",
        "MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJ",  # a certificate
    ],
)
def test_near_misses_are_left_alone(text: str) -> None:
    assert sensitive_categories(text) == []


def test_the_gateway_keeps_a_key_in_the_name_field_off_the_forced_frontier(
    fake_provider: Any,
) -> None:
    from tests.support.gateway_app import client_for, gateway

    def ask(name: str) -> Any:
        return client_for(http).chat.completions.with_raw_response.create(
            model="router-0",  # every request to the frontier, on complexity
            messages=[{"role": "user", "content": "Say hi.", "name": name}],
        )

    with gateway() as http:
        held = ask("AKIAIOSFODNN7EXAMPLE")
        assert held.headers["x-asymroute-tier"] == "local"
        assert held.parse().model_extra["asymroute"]["reasons"][0].startswith("privacy: api_key")
        assert ask("ann").headers["x-asymroute-tier"] == "frontier"  # an ordinary name goes
    names = [m.name for model, ms in fake_provider.seen if model == "frontier" for m in ms]
    assert names == ["ann"]
