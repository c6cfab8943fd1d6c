"""The gateway's settings live with the gateway, under the environment names they always had."""

from __future__ import annotations

import subprocess
import sys

import pytest

from asymroute.errors import ConfigurationError
from asymroute.gateway.keys import hash_key
from asymroute.gateway.settings import as_gateway_settings, load_gateway_settings
from asymroute.settings import Settings


def test_gateway_settings_are_read_from_their_environment_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ASYMROUTE_GATEWAY_MAX_MESSAGES", "7")
    monkeypatch.setenv("ASYMROUTE_GATEWAY_KEYS", '{"team": "sk-team"}')
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    settings = load_gateway_settings(_env_file=None)
    assert settings.gateway_max_messages == 7
    assert settings.gateway_keys == {"team": hash_key("sk-team")}
    assert settings.openai_base_url == "http://127.0.0.1:9/v1"  # the router's settings too


def test_the_router_settings_hold_none_of_the_gateways() -> None:
    assert [name for name in Settings.model_fields if name.startswith("gateway_")] == []


def test_plain_settings_get_the_gateways_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ASYMROUTE_GATEWAY_MAX_MESSAGES", "7")
    plain = Settings(_env_file=None, openai_base_url="http://127.0.0.1:9/v1")  # type: ignore[call-arg]
    settings = as_gateway_settings(plain)
    assert (settings.gateway_max_messages, settings.openai_base_url) == (
        7,
        "http://127.0.0.1:9/v1",
    )
    assert as_gateway_settings(settings) is settings


def test_the_router_settings_import_nothing_from_the_gateway() -> None:
    """Not even lazily, when they are read (they hashed gateway keys, with gateway code)."""
    code = (
        "import sys, asymroute.settings; asymroute.settings.load_settings(_env_file=None); "
        "print(sorted(m for m in sys.modules if m.startswith('asymroute.gateway')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", ["gateway_keys", "ASYMROUTE_GATEWAY_KEYS"])
def test_a_gateway_setting_given_to_the_router_settings_says_where_it_belongs(name: str) -> None:
    with pytest.raises(ConfigurationError, match=f"{name}: the gateway's settings are fields of"):
        Settings(_env_file=None, **{name: '{"team": "sk-team"}'})  # type: ignore[call-arg]
