"""The model list: parsing (YAML and TOML), the errors that name file, entry and field, keys by
environment variable, and how a plan's tiers come from it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from asymroute.context import RouterContext
from asymroute.deployments import all_of
from asymroute.errors import ConfigurationError
from asymroute.model_list import load_model_list
from asymroute.planning import RouterSetup
from asymroute.settings import Settings

YAML = """
deployments:
  - id: vllm-a
    provider: openai
    model: llama-70b
    base_url: http://10.0.0.5:8000/v1
    max_concurrency: 4
    weight: 2
    price: unknown
  - id: vllm-b
    provider: openai
    model: llama-70b
    base_url: http://10.0.0.6:8000/v1
  - id: openai
    provider: openai
    model: gpt-4o-mini
    api_key_env: TEST_DEPLOY_KEY
    price: {input_per_million: 0.15, output_per_million: 0.6}
    context_window: 128000
    capabilities: {tools: true, json_mode: true, vision: true}
tiers:
  frontier: [[vllm-a, vllm-b], openai]
"""

TOML = """
[[deployments]]
id = "local-ollama"
provider = "ollama"
model = "llama3.1:8b"
base_url = "http://gpu-box:11434"

[tiers]
local = ["local-ollama"]
"""


def write(tmp_path: Path, text: str, name: str = "models.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture(autouse=True)
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_DEPLOY_KEY", "sk-test-deploy-123")


def test_yaml_list_resolves_deployments_and_ordered_groups(tmp_path: Path) -> None:
    listed = load_model_list(write(tmp_path, YAML))
    frontier = listed.tiers["frontier"]
    assert [[d.id for d in group] for group in frontier] == [["vllm-a", "vllm-b"], ["openai"]]
    vllm_a, _, openai = all_of(frontier)
    assert (vllm_a.base_url, vllm_a.max_concurrency, vllm_a.weight) == (
        "http://10.0.0.5:8000/v1", 4, 2.0,
    )  # fmt: skip
    assert vllm_a.price == "unknown"
    assert openai.api_key is not None
    assert openai.api_key.get_secret_value() == "sk-test-deploy-123"
    assert "sk-test" not in repr(openai)  # the key never shows
    assert openai.capabilities.vision is True and openai.context_window == 128000


def test_toml_list_is_read_by_extension(tmp_path: Path) -> None:
    listed = load_model_list(write(tmp_path, TOML, "models.toml"))
    (only,) = all_of(listed.tiers["local"])
    assert (only.spec.id, only.base_url) == ("ollama:llama3.1:8b", "http://gpu-box:11434")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (YAML.replace("max_concurrency: 4", "max_concurrency: 0"),
         r"models.yaml: deployments\[0\] \(id 'vllm-a'\)\.max_concurrency: .*greater than"),
        (YAML.replace("weight: 2", "wieght: 2"),
         r"deployments\[0\] \(id 'vllm-a'\)\.wieght: Extra inputs are not permitted"),
        (YAML.replace("price: unknown", "price: cheap"),
         r"deployments\[0\] \(id 'vllm-a'\)\.price: should be unknown, or \{input_per_million"),
        (YAML.replace("[[vllm-a, vllm-b], openai]", "[vllm-a, vllm-c]"),
         r"tiers.frontier names 'vllm-c', which is not a deployment id"),
        (YAML.replace("id: vllm-b", "id: vllm-a"), r"deployment id 'vllm-a' is used twice"),
        (YAML.replace("api_key_env: TEST_DEPLOY_KEY", "api_key_env: sk-abc-123"),
         r"deployments\[2\] \(id 'openai'\)\.api_key_env: String should match pattern"),
        ("deployments: []", r"deployments: List should have at least 1 item"),
        ("- just a list", r"models.yaml: the file: Input should be a valid dictionary"),
    ],
)  # fmt: skip
def test_an_invalid_list_names_file_entry_and_field(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        load_model_list(write(tmp_path, text))


def test_an_unset_key_variable_fails_when_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TEST_DEPLOY_KEY")
    path = write(tmp_path, YAML)
    with pytest.raises(ConfigurationError, match="deployment 'openai': its key variable "
                       "TEST_DEPLOY_KEY is not set"):  # fmt: skip
        load_model_list(path)
    settings = Settings(_env_file=None, model_list_path=path)  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError, match="TEST_DEPLOY_KEY is not set"):
        RouterSetup.build(settings)  # at build time, not at the first request


def test_an_unknown_provider_lists_the_installed_ones(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigurationError, match=r"deployment 'vllm-a': model 'anthropic:llama-70b' names "
        r"unknown provider 'anthropic'; valid providers: .*llamacpp .*ollama .*openai",
    ):  # fmt: skip
        load_model_list(write(tmp_path, YAML.replace("provider: openai", "provider: anthropic")))


def test_an_in_process_deployment_takes_no_endpoint(tmp_path: Path) -> None:
    text = "deployments:\n  - {id: e, provider: llamacpp, model: smollm2, base_url: http://x}\n"
    with pytest.raises(ConfigurationError, match="deployment 'e': provider 'llamacpp' runs the "
                       "model in this process; it takes no base_url"):  # fmt: skip
        load_model_list(write(tmp_path, text))


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("models.json", "{}", "unknown format '.json'; name it .yaml, .yml or .toml"),
        ("models.yaml", "deployments: [", "is not valid yaml"),
        ("models.toml", "deployments = [", "is not valid toml"),
    ],
)
def test_unreadable_files_say_why(tmp_path: Path, name: str, text: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        load_model_list(write(tmp_path, text, name))
    with pytest.raises(ConfigurationError, match="cannot be read"):
        load_model_list(tmp_path / "missing.yaml")


def plan_tiers(tmp_path: Path, **context: Any) -> dict[str, list[str]]:
    settings = Settings(_env_file=None, model_list_path=write(tmp_path, YAML))  # type: ignore[call-arg]
    setup = RouterSetup.build(settings, RouterContext(**context))
    plan = setup.plan(None)
    return {tier: [d.id for d in all_of(plan.deployments(tier))] for tier in ("local", "frontier")}


def test_the_list_replaces_the_default_tier_and_a_named_model_wins(tmp_path: Path) -> None:
    assert plan_tiers(tmp_path) == {
        "local": ["llamacpp:smollm2"],  # the list has no local tier: the default stands
        "frontier": ["vllm-a", "vllm-b", "openai"],
    }
    named = plan_tiers(tmp_path, frontier_model="openai:gpt-4.1")
    assert named["frontier"] == ["openai:gpt-4.1"]  # zero-config form: one deployment
    assert plan_tiers(tmp_path, frontier_model="vllm-b")["frontier"] == ["vllm-b"]


def test_a_listed_endpoint_makes_the_frontier_available_without_openai_settings(
    tmp_path: Path,
) -> None:
    settings = Settings(_env_file=None, model_list_path=write(tmp_path, YAML))  # type: ignore[call-arg]
    plan = RouterSetup.build(settings).plan(None)
    assert plan.frontier_available and plan.frontier.id == "openai:llama-70b"
    assert not RouterSetup.build(Settings(_env_file=None)).plan(None).frontier_available  # type: ignore[call-arg]


def test_the_example_list_validates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-example")
    example = Path(__file__).resolve().parents[2] / "examples" / "model_list.yaml"
    listed = load_model_list(example)
    assert [[d.id for d in group] for group in listed.tiers["frontier"]] == [
        ["vllm-a", "vllm-b"], ["openai"],
    ]  # fmt: skip
    assert [d.id for d in all_of(listed.tiers["local"])] == ["ollama-gpu", "embedded"]


def test_a_langchain_deployment_with_its_own_key_needs_no_integration_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("langchain_anthropic")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    own = (
        "deployments:\n"
        "  - {id: claude, provider: langchain, model: 'anthropic:claude-haiku-4-5',"
        " base_url: 'http://127.0.0.1:9', api_key_env: TEST_DEPLOY_KEY}\n"
        "tiers: {frontier: [claude]}\n"
    )
    settings = Settings(_env_file=None, model_list_path=write(tmp_path, own))  # type: ignore[call-arg]
    assert RouterSetup.build(settings).plan(None).frontier.id == (
        "langchain:anthropic:claude-haiku-4-5"
    )
    shared = own.replace(", api_key_env: TEST_DEPLOY_KEY", "")
    settings = Settings(_env_file=None, model_list_path=write(tmp_path, shared))  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError, match="ANTHROPIC_API_KEY"):
        RouterSetup.build(settings)  # the integration's own variable, at build time
