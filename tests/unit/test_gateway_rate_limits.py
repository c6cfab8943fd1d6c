"""Per-key rate limits: configuration, admission, the token correction, and the app's 429s."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from langchain_core.messages import HumanMessage
from limits.aio.storage import MemoryStorage
from starlette.testclient import TestClient

from asymroute.errors import ConfigurationError
from asymroute.gateway.errors import GatewayError
from asymroute.gateway.rate_limits import (
    KeyRateLimits,
    duration_text,
    open_storage,
    parse_key_limits,
)
from asymroute.gateway.settings import load_gateway_settings
from tests.support.fake_provider import FakeProvider
from tests.support.gateway_app import KEY, ask, client_for, gateway

PROMPT = [HumanMessage("x" * 400)]  # 100 tokens + 4 per message: 104 estimated


def limiter(config: dict[str, Any], keys: tuple[str, ...] = ("alice", "bob")) -> KeyRateLimits:
    return KeyRateLimits(parse_key_limits(config, keys), open_storage(None))


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({"ghost": {"requests": "1/minute"}}, "keys that do not exist: ghost"),
        ({"alice": {"requests": "sixty a minute"}}, r"\['alice'\]\['requests'\] is not a limit"),
        ({"alice": {"requets": "1/minute"}}, "'requests' and/or 'tokens'"),
        ({"alice": "1/minute"}, "must be an object"),
    ],
)
def test_bad_limits_are_configuration_errors(config: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ConfigurationError, match=fragment):
        parse_key_limits(config, ["alice"])


def test_limits_are_read_from_the_environment_and_checked_at_app_creation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ASYMROUTE_GATEWAY_KEYS", json.dumps({"alice": "sk-a"}))
    monkeypatch.setenv(
        "ASYMROUTE_GATEWAY_KEY_LIMITS",
        json.dumps({"alice": {"requests": "60/minute; 1000/day", "tokens": ["9/second"]}}),
    )
    limits = KeyRateLimits.from_settings(load_gateway_settings(_env_file=None)).limits
    assert [str(item) for item in limits["alice"].requests] == [
        "60 per 1 minute",
        "1000 per 1 day",
    ]
    assert [str(item) for item in limits["alice"].tokens] == ["9 per 1 second"]


def test_a_redis_url_must_be_a_redis_url() -> None:
    with pytest.raises(ConfigurationError, match="ASYMROUTE_REDIS_URL must be a redis://"):
        open_storage("http://localhost:6379")


def test_requests_per_window_then_429_with_retry_after() -> None:
    limits = limiter({"alice": {"requests": "2/minute"}})

    async def scenario() -> tuple[list[dict[str, str]], GatewayError]:
        headers = [(await limits.admit("alice", PROMPT, 10)).headers for _ in range(2)]
        with pytest.raises(GatewayError) as refused:
            await limits.admit("alice", PROMPT, 10)
        return headers, refused.value

    headers, refused = run(scenario())
    assert [h["x-ratelimit-remaining-requests"] for h in headers] == ["1", "0"]
    assert headers[0]["x-ratelimit-limit-requests"] == "2"
    assert headers[0]["x-ratelimit-reset-requests"] in {"59s", "1m0s"}
    assert "x-ratelimit-limit-tokens" not in headers[0]
    assert refused.status == 429 and refused.code == "rate_limit_exceeded"
    assert refused.type == "requests"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "'alice' reached its limit of 2 requests per 1 minute; retry in" in refused.message


def test_keys_are_counted_apart_and_star_applies_to_every_key() -> None:
    limits = limiter({"*": {"requests": "1/minute"}})

    async def scenario() -> None:
        await limits.admit("alice", PROMPT, 10)
        await limits.admit("bob", PROMPT, 10)  # its own window
        with pytest.raises(GatewayError):
            await limits.admit("alice", PROMPT, 10)

    run(scenario())


def test_a_key_without_limits_is_not_counted() -> None:
    limits = limiter({"alice": {"requests": "1/minute"}})

    async def scenario() -> dict[str, str]:
        for _ in range(3):
            admission = await limits.admit("bob", PROMPT, 10)
        return admission.headers

    assert run(scenario()) == {}


def test_tokens_reserve_the_estimate_and_are_corrected_to_the_real_usage() -> None:
    limits = limiter({"alice": {"tokens": "1000/minute"}})
    used = {"usage": [{"input_tokens": 30, "output_tokens": 20}]}

    async def scenario() -> tuple[str, str]:
        admission = await limits.admit("alice", PROMPT, 200)  # 104 + 200 reserved
        reserved = admission.headers["x-ratelimit-remaining-tokens"]
        await admission.run_settled(used, "answered")  # 50 used
        await admission.run_settled({}, "answered")  # settles once
        after = await limits.admit("alice", PROMPT, 0)
        return reserved, after.headers["x-ratelimit-remaining-tokens"]

    assert run(scenario()) == ("696", str(1000 - 50 - 104))


def test_a_run_cut_off_during_a_call_keeps_its_reservation() -> None:
    limits = limiter({"alice": {"tokens": "1000/minute"}})

    async def scenario() -> str:
        admission = await limits.admit("alice", PROMPT, 200)
        await admission.run_settled({"usage": []}, "cancelled_in_call")
        return (await limits.admit("alice", PROMPT, 0)).headers["x-ratelimit-remaining-tokens"]

    assert run(scenario()) == str(1000 - 304 - 104)


def test_a_refused_request_takes_nothing_from_any_limit() -> None:
    limits = limiter({"alice": {"requests": "5/minute", "tokens": "500/minute"}})

    async def scenario() -> dict[str, str]:
        with pytest.raises(GatewayError) as refused:
            await limits.admit("alice", PROMPT, 1000)  # more tokens than the window holds
        assert "lower max_tokens" in refused.value.message
        assert refused.value.type == "tokens"
        return (await limits.admit("alice", PROMPT, 0)).headers

    headers = run(scenario())
    assert headers["x-ratelimit-remaining-requests"] == "4"
    assert headers["x-ratelimit-remaining-tokens"] == str(500 - 104)


class UnreachableStorage(MemoryStorage):
    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        raise ConnectionError("Error 111 connecting to redis:6379. Connection refused.")


def test_an_unreachable_store_fails_closed_with_503() -> None:
    """(Against a real Redis that is down: tests/integration/test_gateway_redis_live.py.)"""
    limits = KeyRateLimits(
        parse_key_limits({"alice": {"requests": "5/minute"}}, ["alice"]), UnreachableStorage()
    )

    async def scenario() -> GatewayError:
        with pytest.raises(GatewayError) as failed:
            await limits.admit("alice", PROMPT, 0)
        return failed.value

    failed = run(scenario())
    assert failed.status == 503 and failed.code == "rate_limit_store_unavailable"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.02, "20ms"), (17, "17s"), (16.2, "17s"), (360, "6m0s"), (3723, "1h2m3s")],
)
def test_reset_durations_read_like_openais(seconds: float, text: str) -> None:
    assert duration_text(seconds) == text


@pytest.fixture
def limited(fake_provider: FakeProvider) -> Iterator[TestClient]:
    with gateway(
        gateway_keys={"team": KEY},
        gateway_key_limits={"team": {"requests": "2/minute", "tokens": "100000/minute"}},
    ) as client:
        yield client


def test_the_app_answers_with_ratelimit_headers_then_an_openai_rate_limit_error(
    limited: TestClient,
) -> None:
    client = client_for(limited)
    first = ask(client)
    assert first.headers["x-ratelimit-limit-requests"] == "2"
    assert first.headers["x-ratelimit-remaining-requests"] == "1"
    assert first.headers["x-ratelimit-limit-tokens"] == "100000"
    ask(client, stream=True).parse().close()  # streams are counted too
    with pytest.raises(openai.RateLimitError) as refused:
        ask(client)
    assert 1 <= int(refused.value.response.headers["retry-after"]) <= 60
    assert refused.value.code == "rate_limit_exceeded"


def test_a_request_refused_by_its_budget_gives_its_tokens_back(
    fake_provider: FakeProvider,
) -> None:
    with gateway(
        gateway_keys={"team": KEY},
        gateway_key_budgets_usd={"team": 0.0},
        gateway_key_limits={"team": {"tokens": "100000/minute"}},
    ) as http:
        limits = http.app.state.gateway.rate_limits  # type: ignore[attr-defined]
        with pytest.raises(openai.RateLimitError, match="budget"):
            ask(client_for(http), max_tokens=500)
        after = http.portal.call(limits.admit, "team", PROMPT, 0)
    assert after.headers["x-ratelimit-remaining-tokens"] == str(100000 - 104)


def test_readiness_says_when_the_rate_limit_store_does_not_answer(
    fake_provider: FakeProvider,
) -> None:
    class SilentStorage(MemoryStorage):
        async def check(self) -> bool:
            return False

    with gateway(gateway_key_limits={"anonymous": {"requests": "5/minute"}}) as http:
        assert http.get("/health/readiness").status_code == 200
        http.app.state.gateway.rate_limits.storage = SilentStorage()  # type: ignore[attr-defined]
        down = http.get("/health/readiness")
    assert down.status_code == 503
    assert down.json()["reason"] == "the rate-limit store cannot be reached"
