"""`langchain:INTEGRATION:MODEL`: parsing, bad input, options in each integration's terms."""

from __future__ import annotations

import importlib.util
import sys
from typing import Any

import pytest
from pydantic import SecretStr

from asymroute.context import RouterContext
from asymroute.errors import ConfigurationError
from asymroute.guards import unmet_needs
from asymroute.planning import RouterSetup
from asymroute.pricing import ModelPrice, get_price_table
from asymroute.providers import get_provider, parse_model, sampling_parameters
from asymroute.providers.base import ModelOptions
from asymroute.providers.langchain_integrations import openai_finish_reason, openai_tool_choice
from asymroute.providers.langchain_models import registry
from asymroute.providers.sampling import Sampling
from asymroute.settings import Settings

CLAUDE = "langchain:anthropic:claude-sonnet-4-5"
GEMINI = "langchain:google_genai:gemini-2.5-flash"
SETTINGS = Settings(_env_file=None)  # type: ignore[call-arg]
SCHEMA = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}


def options(**overrides: Any) -> ModelOptions:
    values: dict[str, Any] = {
        "max_output_tokens": 64, "temperature": 0.2, "timeout_s": 30.0,
        "connect_timeout_s": 5.0, "max_retries": 0,
    }  # fmt: skip
    return ModelOptions(**{**values, **overrides})


def build(model_string: str, **overrides: Any) -> Any:
    spec = parse_model(model_string)
    return get_provider(spec).create(spec.model, SETTINGS, options(**overrides))


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ANTHROPIC_API_URL", "ANTHROPIC_BASE_URL", "GOOGLE_GEMINI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-env")
    monkeypatch.setenv("GOOGLE_API_KEY", "google-env")


def test_the_integration_comes_first_and_the_model_may_hold_colons() -> None:
    assert parse_model(CLAUDE).model == "anthropic:claude-sonnet-4-5"
    assert parse_model("langchain:openai:ft:gpt-4o:org:id").model == "openai:ft:gpt-4o:org:id"
    assert parse_model("langchain:Google-GenAI:gemini-2.5-flash").provider == "langchain"


def test_langchain_registry_still_has_the_shape_this_provider_reads() -> None:
    table = registry()
    assert {"anthropic", "google_genai", "mistralai", "bedrock_converse"} <= set(table)
    assert all(
        isinstance(module, str) and isinstance(name, str) for module, name, _ in table.values()
    )


def test_an_unknown_integration_lists_the_installed_ones() -> None:
    with pytest.raises(ConfigurationError) as raised:
        parse_model("langchain:antropic:claude-sonnet-4-5", role="frontier_model")
    message = str(raised.value)
    assert "frontier_model 'langchain:antropic:claude-sonnet-4-5'" in message
    assert "unknown LangChain integration 'antropic'" in message
    assert "installed integrations: anthropic, " in message and "google_genai" in message
    assert "langchain:INTEGRATION:MODEL" in message


def test_a_model_string_without_an_integration_says_the_form() -> None:
    with pytest.raises(ConfigurationError, match=r"no integration; the form is langchain:"):
        parse_model("langchain:claude-sonnet-4-5")


def test_an_unknown_provider_points_at_the_langchain_form() -> None:
    with pytest.raises(ConfigurationError) as raised:
        parse_model("anthropic:claude-sonnet-4-5")
    assert "did you mean langchain:anthropic:claude-sonnet-4-5?" in str(raised.value)
    assert "LangChain integrations installed: anthropic" in str(raised.value)
    with pytest.raises(
        ConfigurationError, match=r"pip install langchain-aws, then langchain:bedrock"
    ):
        parse_model("bedrock:anthropic.claude-v2")


def test_a_missing_integration_package_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec

    def without_anthropic(name: str, *args: Any) -> Any:
        return None if name in ("langchain_anthropic", "langchain_mistralai") else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without_anthropic)
    with pytest.raises(ConfigurationError) as raised:
        parse_model(CLAUDE)
    assert "pip install 'asymroute[anthropic]'" in str(raised.value)
    assert "installed integrations: " in str(raised.value)
    assert "anthropic," not in str(raised.value).split("installed integrations: ")[1]
    with pytest.raises(ConfigurationError, match=r"pip install langchain-mistralai"):
        parse_model("langchain:mistralai:mistral-large-latest")


def test_without_langchain_itself_the_extra_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "langchain.chat_models", None)
    with pytest.raises(ConfigurationError, match=r"pip install 'asymroute\[langchain\]'"):
        parse_model(CLAUDE)


def test_a_missing_key_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    with pytest.raises(ConfigurationError, match=r"needs a key: set ANTHROPIC_API_KEY"):
        build(CLAUDE)
    monkeypatch.delenv("GOOGLE_API_KEY")
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match=r"GOOGLE_API_KEY or GEMINI_API_KEY"):
        build(GEMINI)


def test_a_missing_key_fails_when_the_router_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOOGLE_API_KEY")
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    with pytest.raises(ConfigurationError) as raised:
        RouterSetup.build(SETTINGS, RouterContext(frontier_model=GEMINI, classifier="heuristic"))
    assert str(raised.value).startswith("default routing context is invalid: ")
    assert "set GOOGLE_API_KEY or GEMINI_API_KEY" in str(raised.value)
    monkeypatch.setenv("GEMINI_API_KEY", "g")
    RouterSetup.build(SETTINGS, RouterContext(frontier_model=GEMINI, classifier="heuristic"))


def test_claude_gets_the_options_in_its_own_terms() -> None:
    model = build(CLAUDE, stop=("END",))

    assert (model.model, model.max_tokens, model.temperature) == ("claude-sonnet-4-5", 64, 0.2)
    assert (model.default_request_timeout, model.max_retries) == (30.0, 0)
    assert model.stop_sequences == ["END"]
    assert model.anthropic_api_key.get_secret_value() == "sk-ant-env"
    assert model.top_p is None and model.output_config is None
    assert type(model).__name__ == "ChatAnthropic"


def test_a_deployment_endpoint_and_key_override_the_environment() -> None:
    model = build(CLAUDE, base_url="http://10.0.0.5:8000", api_key=SecretStr("sk-deploy"))
    assert model.anthropic_api_url == "http://10.0.0.5:8000"
    assert model.anthropic_api_key.get_secret_value() == "sk-deploy"
    assert "sk-deploy" in model._masked_secrets

    gemini = build(GEMINI, base_url="http://10.0.0.6:8000", api_key=SecretStr("g-deploy"))
    assert gemini.base_url == "http://10.0.0.6:8000"
    assert gemini.google_api_key.get_secret_value() == "g-deploy"


def test_json_schema_mode_in_each_integrations_terms() -> None:
    json_schema = {"type": "json_schema", "json_schema": {"name": "a", "schema": SCHEMA}}
    claude = build(CLAUDE, response_format=json_schema)
    assert claude.output_config == {"format": {"type": "json_schema", "schema": SCHEMA}}
    assert build(CLAUDE, response_format={"type": "json_object"}).output_config is None

    gemini = build(GEMINI, response_format=json_schema)
    assert (gemini.response_mime_type, gemini.response_schema) == ("application/json", SCHEMA)
    any_json = build(GEMINI, response_format={"type": "json_object"})
    assert (any_json.response_mime_type, any_json.response_schema) == ("application/json", None)


def test_gemini_gets_sampling_parameters_and_counts_attempts() -> None:
    sampling = Sampling(seed=7, top_p=0.9, presence_penalty=0.5, frequency_penalty=-0.5)
    model = build(GEMINI, sampling=sampling, stop=("END",))

    assert (model.seed, model.top_p, model.presence_penalty, model.frequency_penalty) == (
        7, 0.9, 0.5, -0.5,
    )  # fmt: skip
    assert (model.max_output_tokens, model.timeout, model.stop) == (64, 30.0, ["END"])
    assert model.max_retries == 1  # one attempt: google-genai reads 0 as its default of 5
    assert type(model).__name__ == "ChatGoogleGenerativeAI"


def test_what_each_model_honours_is_per_integration() -> None:
    claude, gemini = parse_model(CLAUDE), parse_model(GEMINI)
    assert sampling_parameters(claude) == frozenset()
    assert sampling_parameters(gemini) == {"seed", "top_p", "presence_penalty", "frequency_penalty"}
    assert sampling_parameters(parse_model("langchain:openai:gpt-4o")) == frozenset()
    asked = Sampling(top_p=0.5)
    assert unmet_needs(claude, "frontier", asked, {}) == ["top_p"]
    assert unmet_needs(gemini, "frontier", asked, {}) == []
    image = {"messages[0].content[1]": "image"}
    assert unmet_needs(claude, "frontier", Sampling(), image) == []
    assert unmet_needs(parse_model("langchain:openai:gpt-4o"), "frontier", Sampling(), image)


def test_the_cooldown_key_names_integration_endpoint_and_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    claude = parse_model(CLAUDE)
    endpoint = get_provider(claude).endpoint  # type: ignore[attr-defined]
    assert endpoint(claude.model, SETTINGS) == (
        "langchain anthropic https://api.anthropic.com claude-sonnet-4-5"
    )
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
    assert (
        endpoint(claude.model, SETTINGS)
        == "langchain anthropic http://127.0.0.1:9 claude-sonnet-4-5"
    )


@pytest.mark.parametrize(
    ("choice", "none", "expected"),
    [
        ("auto", "none", "auto"),
        ("required", "none", "any"),
        ("none", {"type": "none"}, {"type": "none"}),
        ("none", "none", "none"),
        ({"type": "function", "function": {"name": "get_weather"}}, "none", "get_weather"),
        (None, "none", None),
    ],
)
def test_openai_tool_choices_in_langchain_terms(choice: Any, none: Any, expected: Any) -> None:
    assert openai_tool_choice(choice, none) == expected


def test_claude_binds_openai_tool_choices() -> None:
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    model = build(CLAUDE)
    assert model.bind_tools([tool], tool_choice="required").kwargs["tool_choice"] == {"type": "any"}
    assert model.bind_tools([tool], tool_choice="none").kwargs["tool_choice"] == {"type": "none"}
    named = {"type": "function", "function": {"name": "f"}}
    assert model.bind_tools([tool], tool_choice=named).kwargs["tool_choice"] == {
        "type": "tool", "name": "f",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("reported", "expected"),
    [
        ({"stop_reason": "end_turn"}, "stop"),
        ({"stop_reason": "max_tokens"}, "length"),
        ({"stop_reason": "tool_use"}, "tool_calls"),
        ({"finish_reason": "MAX_TOKENS"}, "length"),
        ({"finish_reason": "SAFETY"}, "content_filter"),
        ({"finish_reason": "length"}, "length"),
        ({}, None),
    ],
)
def test_finish_reasons_in_openai_terms(reported: dict[str, str], expected: str | None) -> None:
    assert openai_finish_reason(reported) == expected


def test_langchain_models_are_priced_as_their_model() -> None:
    table = get_price_table(
        "default",
        {
            "langchain:anthropic:claude-own": ModelPrice(input_per_million=1, output_per_million=2),
            "gemini-own": ModelPrice(input_per_million=3, output_per_million=4),
        },
    )
    sonnet = table.price_for("langchain", "anthropic:claude-sonnet-4-5-20250929")
    assert sonnet == ModelPrice(input_per_million=3.0, output_per_million=15.0)
    assert table.price_for("langchain", "anthropic:claude-own") == ModelPrice(
        input_per_million=1, output_per_million=2
    )
    assert table.price_for("langchain", "google_genai:gemini-own") == ModelPrice(
        input_per_million=3, output_per_million=4
    )
    assert table.price_for("langchain", "ollama:llama3.1:8b") == ModelPrice(
        input_per_million=0, output_per_million=0
    )
    assert table.price_for("langchain", "mistralai:mistral-large-latest") is None
