"""Price tables, model prices, and price overrides read from the environment."""

from __future__ import annotations

import pytest

from asymroute.errors import ConfigurationError
from asymroute.pricing import DefaultPriceTable, ModelPrice, get_price_table
from asymroute.settings import Settings, load_settings

GPT_4O = ModelPrice(input_per_million=2.5, output_per_million=10.0)
GPT_4O_MINI = ModelPrice(input_per_million=0.15, output_per_million=0.6)
FREE = ModelPrice(input_per_million=0.0, output_per_million=0.0)


@pytest.mark.parametrize(
    ("provider", "model"),
    [("ollama", "llama3.1:8b"), ("llamacpp", "smollm2"), ("ollama", "gpt-4o")],
)
def test_local_providers_cost_nothing(provider: str, model: str) -> None:
    assert DefaultPriceTable().price_for(provider, model) == FREE


@pytest.mark.parametrize(
    ("model", "price"),
    [
        ("gpt-4o", GPT_4O),
        ("gpt-4o-mini", GPT_4O_MINI),
        ("o3-mini", ModelPrice(input_per_million=1.1, output_per_million=4.4)),
    ],
)
def test_known_model_has_its_list_price(model: str, price: ModelPrice) -> None:
    assert DefaultPriceTable().price_for("openai", model) == price


@pytest.mark.parametrize(
    ("model", "price"),
    [
        ("gpt-4o-2024-08-06", GPT_4O),
        ("gpt-4o-mini-2024-07-18", GPT_4O_MINI),
        ("gpt-4-turbo-2024-04-09", ModelPrice(input_per_million=10, output_per_million=30)),
        ("gpt-4.1-mini-2025-04-14", ModelPrice(input_per_million=0.4, output_per_million=1.6)),
    ],
)
def test_dated_variant_falls_back_to_the_longest_listed_prefix(
    model: str, price: ModelPrice
) -> None:
    assert DefaultPriceTable().price_for("openai", model) == price


@pytest.mark.parametrize("model", ["my-finetune", "gpt-4oo", "gpt-4o_custom", ""])
def test_unknown_model_has_no_price(model: str) -> None:
    assert DefaultPriceTable().price_for("openai", model) is None


def test_override_by_provider_and_model_wins_over_model_and_list_price() -> None:
    by_id = ModelPrice(input_per_million=1, output_per_million=2)
    by_model = ModelPrice(input_per_million=3, output_per_million=4)
    table = DefaultPriceTable({"openai:gpt-4o": by_id, "gpt-4o": by_model})

    assert table.price_for("openai", "gpt-4o") == by_id
    assert table.price_for("azure", "gpt-4o") == by_model


def test_override_by_model_name_prices_an_unknown_model() -> None:
    price = ModelPrice(input_per_million=0.2, output_per_million=0.2)
    table = DefaultPriceTable({"my-finetune": price})

    assert table.price_for("openai", "my-finetune") == price


def test_override_can_price_a_local_model() -> None:
    price = ModelPrice(input_per_million=0.01, output_per_million=0.02)
    table = DefaultPriceTable({"ollama:llama3.1:8b": price})

    assert table.price_for("ollama", "llama3.1:8b") == price
    assert table.price_for("ollama", "qwen2.5:7b") == FREE


@pytest.mark.parametrize(
    ("input_tokens", "output_tokens", "cost"),
    [(1000, 500, 0.0075), (0, 0, 0.0), (1_000_000, 0, 2.5), (0, 1_000_000, 10.0)],
)
def test_model_price_cost_is_per_million_tokens(
    input_tokens: int, output_tokens: int, cost: float
) -> None:
    assert GPT_4O.cost(input_tokens, output_tokens) == cost


def test_model_price_rejects_negative_prices() -> None:
    with pytest.raises(ValueError):
        ModelPrice(input_per_million=-1, output_per_million=0)


def test_get_price_table_returns_the_default_table_with_overrides() -> None:
    price = ModelPrice(input_per_million=1, output_per_million=1)
    table = get_price_table("default", {"x": price})

    assert table.name == "default"
    assert table.price_for("openai", "x") == price


def test_get_price_table_rejects_unknown_names() -> None:
    with pytest.raises(ConfigurationError, match=r"unknown price table 'litellm'.*default"):
        get_price_table("litellm")


# --- settings ------------------------------------------------------------------------------


def test_settings_read_price_overrides_as_json_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "ASYMROUTE_PRICES", '{"gpt-4o": {"input_per_million": 1.5, "output_per_million": 6}}'
    )

    assert load_settings().price_overrides == {
        "gpt-4o": ModelPrice(input_per_million=1.5, output_per_million=6.0)
    }


def test_settings_take_price_overrides_as_json_text_or_a_dict() -> None:
    expected = {"m": ModelPrice(input_per_million=1, output_per_million=2)}

    as_text = Settings(ASYMROUTE_PRICES='{"m": {"input_per_million": 1, "output_per_million": 2}}')
    as_dict = Settings(price_overrides={"m": {"input_per_million": 1, "output_per_million": 2}})

    assert as_text.price_overrides == expected
    assert as_dict.price_overrides == expected


def test_load_settings_rejects_bad_price_json_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ASYMROUTE_PRICES", "{gpt-4o: 2.5}")

    with pytest.raises(ConfigurationError, match="ASYMROUTE_PRICES"):
        load_settings()


def test_empty_price_overrides_in_the_environment_mean_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ASYMROUTE_PRICES", "")

    assert load_settings().price_overrides == {}


def test_load_settings_rejects_bad_price_json_given_directly() -> None:
    with pytest.raises(ConfigurationError, match="ASYMROUTE_PRICES is not valid JSON"):
        load_settings(ASYMROUTE_PRICES="{gpt-4o: 2.5}")


def test_load_settings_rejects_a_negative_price_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "ASYMROUTE_PRICES", '{"gpt-4o": {"input_per_million": -1, "output_per_million": 6}}'
    )

    with pytest.raises(ConfigurationError, match="greater than or equal to 0"):
        load_settings()


def test_load_settings_names_the_bad_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASYMROUTE_FRONTIER_TIMEOUT_S", "0")

    with pytest.raises(ConfigurationError, match="ASYMROUTE_FRONTIER_TIMEOUT_S"):
        load_settings()
