"""A cap the caller set is not a defect: an answer stopped at it stands, on either tier."""

from __future__ import annotations

from typing import Any

import pytest

from asymroute.context import RouterContext
from asymroute.errors import ConfigurationError
from asymroute.gateway.completions import run_context
from asymroute.gateway.schemas import parse_chat_request
from asymroute.validators import CandidateAnswer, ValidationPolicy
from asymroute.validators.structural import StructuralValidator
from tests.support.fake_provider import FakeProvider
from tests.support.gateway_app import SIMPLE, ask, client_for, gateway


def capped(text: str = "Bonjour ! Je") -> CandidateAnswer:
    return CandidateAnswer(prompt="Say hello in French.", text=text, finish_reason="length")


def test_the_router_s_own_cap_makes_a_truncated_answer_fail() -> None:
    judgement = StructuralValidator(ValidationPolicy()).check(capped())
    assert not judgement.passed
    assert "truncated answer" in judgement.reasons[0]


def test_the_caller_s_cap_lets_a_truncated_answer_stand() -> None:
    judgement = StructuralValidator(ValidationPolicy(truncation_escalates=False)).check(capped())
    assert judgement.passed
    assert "caller's max_tokens" in judgement.reasons[0]


def test_the_caller_s_cap_does_not_excuse_an_empty_answer() -> None:
    policy = ValidationPolicy(truncation_escalates=False)
    assert not StructuralValidator(policy).check(capped(text="  ")).passed


def test_truncation_escalates_must_be_a_boolean() -> None:
    with pytest.raises(ConfigurationError, match="truncation_escalates must be true or false"):
        RouterContext(truncation_escalates="no")  # type: ignore[arg-type]


def test_the_gateway_marks_max_tokens_as_the_client_s_cap() -> None:
    def context_for(**body: Any) -> RouterContext:
        chat = parse_chat_request(
            {"model": "asymroute", "messages": [{"role": "user", "content": "hi"}], **body}
        )
        return run_context(chat, RouterContext())

    assert context_for(max_tokens=8).truncation_escalates is False
    assert context_for(max_completion_tokens=8).max_output_tokens == 8
    assert context_for().truncation_escalates is True


def test_gateway_keeps_a_local_answer_stopped_at_the_client_s_max_tokens(
    fake_provider: FakeProvider,
) -> None:
    with gateway(local="fake:truncated") as http:
        raw = ask(client_for(http), max_tokens=8)
    completion = raw.parse()
    assert raw.headers["x-asymroute-tier"] == "local"
    assert raw.headers["x-asymroute-escalated"] == "false"
    assert completion.choices[0].finish_reason == "length"
    assert completion.choices[0].message.content == fake_provider.text("truncated")


def test_gateway_escalates_a_local_answer_stopped_at_the_router_s_own_cap(
    fake_provider: FakeProvider,
) -> None:
    with gateway(local="fake:truncated") as http:
        raw = ask(client_for(http), SIMPLE)
    assert raw.headers["x-asymroute-tier"] == "frontier"
    assert raw.headers["x-asymroute-escalated"] == "true"


def test_ask_s_max_tokens_is_the_user_s_own_cap() -> None:
    from asymroute.cli import build_parser
    from asymroute.cli.ask import context_from_args

    capped = context_from_args(build_parser().parse_args(["ask", "hi", "--max-tokens", "8"]))
    assert (capped.max_output_tokens, capped.truncation_escalates) == (8, False)
    plain = context_from_args(build_parser().parse_args(["ask", "hi"]))
    assert plain.truncation_escalates is True


def test_serve_s_max_tokens_is_the_gateway_s_own_cap() -> None:
    from asymroute.cli import build_parser
    from asymroute.cli.serve import gateway_defaults

    args = build_parser().parse_args(["serve", "--max-tokens", "64"])
    defaults = gateway_defaults(args, RouterContext())
    assert (defaults.max_output_tokens, defaults.truncation_escalates) == (64, True)
