"""Gateway keys (hashed), budgets, the loopback-only rule, and `asymroute serve`'s bind check."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from asymroute.cli import EXIT_USAGE, main
from asymroute.errors import ConfigurationError
from asymroute.gateway.auth import ANONYMOUS, KeyRing, is_loopback
from asymroute.gateway.errors import GatewayError
from asymroute.gateway.keys import hash_key
from asymroute.gateway.settings import load_gateway_settings


def keyring(**settings: Any) -> KeyRing:
    return KeyRing.from_settings(load_gateway_settings(_env_file=None, **settings))


def test_plaintext_keys_are_hashed_on_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASYMROUTE_GATEWAY_KEYS", json.dumps({"team": "sk-plain"}))
    settings = load_gateway_settings(_env_file=None)
    assert settings.gateway_keys == {"team": hash_key("sk-plain")}
    assert "sk-plain" not in repr(settings)


def test_hashed_keys_are_kept_as_given() -> None:
    digest = hash_key("sk-plain")
    assert load_gateway_settings(
        _env_file=None, gateway_keys={"a": digest.upper()}
    ).gateway_keys == {"a": digest}


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps({"a": ""}), "non-empty"),
        (json.dumps({"a": "same", "b": "same"}), "share the same key"),
    ],
)
def test_bad_key_settings_are_configuration_errors(
    monkeypatch: pytest.MonkeyPatch, value: str, fragment: str
) -> None:
    monkeypatch.setenv("ASYMROUTE_GATEWAY_KEYS", value)
    with pytest.raises(ConfigurationError, match=fragment):
        load_gateway_settings(_env_file=None)


def test_budget_for_an_unknown_key_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="not in ASYMROUTE_GATEWAY_KEYS: ghost"):
        keyring(gateway_keys={"a": "k"}, gateway_key_budgets_usd={"ghost": 1.0})


def test_bearer_key_identifies_its_name() -> None:
    ring = keyring(gateway_keys={"a": "sk-a", "b": "sk-b"})
    assert ring.authenticate("Bearer sk-b", "203.0.113.9") == "b"
    assert ring.authenticate("bearer  sk-a ", "127.0.0.1") == "a"


@pytest.mark.parametrize("header", [None, "", "Bearer", "Basic sk-a", "Bearer sk-wrong"])
def test_missing_or_wrong_key_is_401(header: str | None) -> None:
    with pytest.raises(GatewayError) as caught:
        keyring(gateway_keys={"a": "sk-a"}).authenticate(header, "127.0.0.1")
    assert caught.value.status == 401
    assert caught.value.body()["error"]["code"] == "invalid_api_key"
    assert "sk-a" not in caught.value.message


def test_budget_holds_worst_cases_then_charges_real_costs() -> None:
    ring = keyring(gateway_keys={"a": "sk-a", "b": "sk-b"}, gateway_key_budgets_usd={"a": 0.5})

    async def spend_and_check() -> None:
        first = await ring.reserve("a", 0.3)
        with pytest.raises(GatewayError) as held:  # 0.3 held + 0.3 > 0.5: wait for the first
            await ring.reserve("a", 0.3)
        assert held.value.status == 429 and "held by requests in flight" in held.value.message
        await ring.settle(first, 0.1)  # the real cost frees the rest of its estimate
        await ring.settle(await ring.reserve("a", 0.3), 0.45)  # over its estimate: charged
        with pytest.raises(GatewayError) as caught:
            await ring.reserve("a", 0.0)
        assert caught.value.status == 429
        assert caught.value.type == "insufficient_quota"
        assert "is exhausted" in caught.value.message
        assert await ring.reserve("b", 100.0) is None  # no budget: no limit, nothing held
        await ring.settle(None, 100.0)

    asyncio.run(spend_and_check())
    assert ring.spend.spent("a") == pytest.approx(0.55)
    assert ring.spend.spent("b") == 0.0  # only budgeted keys are counted


def test_without_keys_only_loopback_is_served() -> None:
    ring = keyring()
    assert ring.authenticate(None, "127.0.0.1") == ANONYMOUS
    assert ring.authenticate(None, "::1") == ANONYMOUS
    with pytest.raises(GatewayError) as caught:
        ring.authenticate(None, "10.0.0.7")
    assert caught.value.status == 403
    assert keyring(gateway_allow_unauthenticated_remote=True).authenticate(None, "10.0.0.7")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.8.0.1", True), ("::1", True), ("[::1]", True),
     ("localhost", True), ("0.0.0.0", False), ("::", False), ("192.168.1.2", False),
     ("example.com", False), (None, False)],
)  # fmt: skip
def test_loopback_hosts(host: str | None, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_serve_refuses_a_public_bind_without_keys(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--host", "0.0.0.0", "--port", "1"]) == EXIT_USAGE
    _, err = capsys.readouterr()
    assert err.startswith("asymroute: error: refusing to serve on 0.0.0.0 with no API keys")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_serve_rejects_bad_workers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--workers", "0"]) == EXIT_USAGE
    assert "--workers must be at least 1" in capsys.readouterr().err


def test_serve_reports_a_bad_gateway_context(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ASYMROUTE_GATEWAY_CONTEXT", json.dumps({"thresold": 0.3}))
    assert main(["serve", "--port", "1"]) == EXIT_USAGE
    assert "ASYMROUTE_GATEWAY_CONTEXT has an unknown field" in capsys.readouterr().err
