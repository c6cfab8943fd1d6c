"""Claude and Gemini as the frontier, through `langchain:INTEGRATION:MODEL`, on loopback stubs
of Anthropic's Messages API and Google's Gemini API (tests/support/provider_stubs.py).

The router in process (answer, usage, cost, truncation, the request each API received, failures
as the retry policy reads them), `asymroute serve` on its default configuration driven by the
official `openai` SDK (a streamed answer, a tool-call round trip), and `langgraph dev` with its
blocking-call detector on. The stubs speak each API as its installed SDK does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from pydantic import SecretStr

from asymroute.context import RouterContext
from asymroute.effects import finish_reason
from asymroute.graphs.router import build_router
from asymroute.providers import get_provider, parse_model
from asymroute.providers.base import ModelOptions
from asymroute.resilience import classify_failure
from asymroute.settings import Settings
from bench.support.processes import free_port, running_server
from tests.support.langgraph_dev import langgraph_dev_server

STUBS = Path(__file__).resolve().parents[1] / "support" / "provider_stubs.py"
KEY = "sk-provider-stub"
ANSWER = "The answer is 5."
CLAUDE = "langchain:anthropic:claude-sonnet-4-5"
GEMINI = "langchain:google_genai:gemini-2.5-flash"
# List prices (USD per million tokens, input / output) of the default price table.
PRICES = {CLAUDE: (3.00, 15.00), GEMINI: (0.30, 2.50)}
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


@pytest.fixture(scope="module")
def provider_stub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, str(STUBS), "--port", str(port), "--key", KEY]
    log = tmp_path_factory.mktemp("provider-stubs") / "stubs.log"
    with running_server(command, f"{url}/health", log):
        yield url


def integration_env(stub: str) -> dict[str, str]:
    """The integrations' own variables: no asymroute setting names their endpoint or key."""
    return {
        "ANTHROPIC_BASE_URL": stub,
        "ANTHROPIC_API_KEY": KEY,
        "GOOGLE_GEMINI_BASE_URL": stub,
        "GOOGLE_API_KEY": KEY,
    }


@pytest.fixture
def on_stubs(provider_stub: str, monkeypatch: pytest.MonkeyPatch) -> str:
    for name in ("ANTHROPIC_API_URL", "GEMINI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in integration_env(provider_stub).items():
        monkeypatch.setenv(name, value)
    return provider_stub


def recorded(stub: str) -> list[dict]:
    return list(httpx.get(f"{stub}/recorded").json())


def ask_frontier(frontier: str, **context: object) -> dict:
    """One question routed to the frontier (threshold 0); the local tier is never called."""
    defaults = RouterContext(
        frontier_model=frontier,
        classifier="heuristic",
        threshold=0.0,
        **context,  # type: ignore[arg-type]
    )
    router = build_router(Settings(_env_file=None), defaults=defaults)  # type: ignore[call-arg]
    return router.invoke({"messages": [("user", "What is 2+3?")]})


@pytest.mark.parametrize("frontier", [CLAUDE, GEMINI])
def test_the_frontier_answers_and_is_priced(on_stubs: str, frontier: str) -> None:
    result = ask_frontier(frontier, max_output_tokens=40, temperature=0.3)

    assert result["answered_by"] == "frontier" and result["answer_model"] == frontier
    assert result["messages"][-1].content == ANSWER
    [usage] = result["usage"]
    assert (usage["input_tokens"], usage["output_tokens"], usage["error"]) == (20, 4, None)
    price_in, price_out = PRICES[frontier]
    assert usage["cost_usd"] == pytest.approx((20 * price_in + 4 * price_out) / 1e6)
    assert "price_unknown" not in result.get("flags", [])
    body = recorded(on_stubs)[-1]["body"]
    if frontier == CLAUDE:
        assert (body["max_tokens"], body["temperature"]) == (40, 0.3)
        assert body["messages"] == [{"role": "user", "content": "What is 2+3?"}]
    else:
        assert body["generationConfig"]["maxOutputTokens"] == 40
        assert body["generationConfig"]["temperature"] == 0.3
        assert body["contents"] == [{"role": "user", "parts": [{"text": "What is 2+3?"}]}]


@pytest.mark.parametrize("frontier", [CLAUDE, GEMINI])
def test_an_answer_cut_at_max_tokens_says_length(on_stubs: str, frontier: str) -> None:
    result = ask_frontier(frontier, max_output_tokens=2)

    assert result["messages"][-1].content == "The answer"
    assert finish_reason(result["messages"][-1]) == "length"


def test_a_model_without_a_list_price_is_costed_at_zero_and_flagged(on_stubs: str) -> None:
    result = ask_frontier("langchain:anthropic:claude-stub-1")

    assert result["answered_by"] == "frontier"
    assert result["usage"][0]["cost_usd"] == 0.0
    assert "price_unknown" in result["flags"]


@pytest.mark.parametrize("frontier", [CLAUDE, GEMINI])
def test_a_deployments_own_endpoint_and_key_need_no_environment(
    provider_stub: str, frontier: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ModelOptions.base_url` / `api_key` (a model list's deployment) replace the variables."""
    for name in (*integration_env(provider_stub), "ANTHROPIC_API_URL", "GEMINI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    spec = parse_model(frontier)
    options = ModelOptions(
        max_output_tokens=16, temperature=0.0, timeout_s=10.0, connect_timeout_s=5.0,
        base_url=provider_stub, api_key=SecretStr(KEY),
    )  # fmt: skip
    chat_model = get_provider(spec).create(spec.model, Settings(_env_file=None), options)  # type: ignore[call-arg]

    assert chat_model.invoke("What is 2+3?").content == ANSWER


@pytest.mark.parametrize(
    ("model", "status"),
    [
        ("langchain:anthropic:fail-429", 429),
        ("langchain:anthropic:fail-529", 529),  # Anthropic's "overloaded"
        ("langchain:google_genai:fail-429", 429),
        ("langchain:google_genai:fail-503", 503),
    ],
)
def test_upstream_failures_are_read_by_the_retry_policy(
    on_stubs: str, model: str, status: int
) -> None:
    """The integrations' own exception types still carry the status and Retry-After that
    asymroute.resilience decides retries and cooldowns on."""
    spec = parse_model(model)
    options = ModelOptions(
        max_output_tokens=16, temperature=0.0, timeout_s=10.0, connect_timeout_s=5.0
    )
    chat_model = get_provider(spec).create(spec.model, Settings(_env_file=None), options)  # type: ignore[call-arg]
    with pytest.raises(Exception) as raised:
        chat_model.invoke("What is 2+3?")

    failure = classify_failure(raised.value)
    assert (failure.transient, failure.status, failure.retry_after_s) == (True, status, 7.0)


def test_a_rejected_key_is_not_retried(on_stubs: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-wrong")
    spec = parse_model(CLAUDE)
    options = ModelOptions(
        max_output_tokens=16, temperature=0.0, timeout_s=10.0, connect_timeout_s=5.0
    )
    chat_model = get_provider(spec).create(spec.model, Settings(_env_file=None), options)  # type: ignore[call-arg]
    with pytest.raises(Exception) as raised:
        chat_model.invoke("What is 2+3?")

    assert classify_failure(raised.value).status == 401
    assert not classify_failure(raised.value).transient
    assert "sk-wrong" not in str(raised.value)


def test_the_gateway_refuses_to_start_without_the_key(tmp_path: Path) -> None:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("ANTHROPIC_API_KEY", "ANTHROPIC_API_URL")
    }
    env["ASYMROUTE_GATEWAY_CONTEXT"] = json.dumps({"frontier_model": CLAUDE})
    env["ASYMROUTE_GATEWAY_SPEND_PATH"] = str(tmp_path / "spend.sqlite")
    command = [sys.executable, "-m", "asymroute.cli", "serve", "--port", str(free_port())]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    assert done.returncode != 0
    assert "needs a key: set ANTHROPIC_API_KEY" in done.stderr


@pytest.fixture(scope="module", params=[CLAUDE, GEMINI])
def gateway(
    request: pytest.FixtureRequest, provider_stub: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """`asymroute serve` on its defaults (embedded local tier), the frontier on a stub."""
    frontier = str(request.param)
    tmp = tmp_path_factory.mktemp("gateway")
    env = {
        **integration_env(provider_stub),
        "ASYMROUTE_GATEWAY_CONTEXT": json.dumps({"frontier_model": frontier}),
        "ASYMROUTE_GATEWAY_SPEND_PATH": str(tmp / "spend.sqlite"),
        "LANGSMITH_TRACING": "false",
    }
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "asymroute.cli", "serve", "--port", str(port)]
    with running_server(command, f"{url}/health/liveness", tmp / "gw.log", env=env):
        yield url, frontier


def client(url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)


def test_gateway_streams_the_frontier_answer(gateway: tuple[str, str]) -> None:
    url, frontier = gateway
    stream = client(url).chat.completions.create(
        model="router-0",  # always the frontier
        messages=[{"role": "user", "content": "What is 2+3?"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == ANSWER
    assert {c.model for c in chunks} == {frontier}
    finishes = [
        c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason
    ]
    assert finishes == ["stop"]
    usage = chunks[-1].usage
    assert usage is not None and (usage.prompt_tokens, usage.completion_tokens) == (20, 4)


def test_gateway_tool_call_round_trip(gateway: tuple[str, str], provider_stub: str) -> None:
    url, frontier = gateway
    messages: list[dict] = [{"role": "user", "content": "What is the weather in Paris?"}]
    first = client(url).chat.completions.with_raw_response.create(
        model="router-0", messages=messages, tools=[WEATHER_TOOL], tool_choice="required"
    )
    sent = recorded(provider_stub)[-1]["body"]
    reply = first.parse().choices[0]
    [call] = reply.message.tool_calls or []
    messages += [
        reply.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": '{"celsius": 18}'},
    ]
    second = client(url).chat.completions.create(
        model="router-0", messages=messages, tools=[WEATHER_TOOL]
    )

    assert first.headers["x-asymroute-model"] == frontier
    assert reply.finish_reason == "tool_calls"
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    assert second.choices[0].finish_reason == "stop"
    assert "18" in (second.choices[0].message.content or "")
    assert float(first.headers["x-asymroute-cost-usd"]) > 0
    # OpenAI's "required", in each API's terms.
    if frontier == CLAUDE:
        assert sent["tool_choice"] == {"type": "any"}
        assert sent["tools"][0]["input_schema"]["required"] == ["city"]
    else:
        assert sent["toolConfig"]["functionCallingConfig"]["mode"] == "ANY"


def test_gateway_streams_a_tool_call(gateway: tuple[str, str]) -> None:
    url, frontier = gateway
    stream = client(url).chat.completions.create(
        model="router-0",
        messages=[{"role": "user", "content": "What is the weather in Paris?"}],
        tools=[WEATHER_TOOL],
        stream=True,
    )
    chunks = [c for c in stream if c.choices]

    assert {c.model for c in chunks} == {frontier}
    calls = [call for c in chunks for call in c.choices[0].delta.tool_calls or []]
    assert calls[0].function and calls[0].function.name == "get_weather"
    arguments = "".join((call.function and call.function.arguments) or "" for call in calls)
    assert json.loads(arguments) == {"city": "Paris"}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_langgraph_dev_runs_both_frontiers_without_blocking_calls(
    provider_stub: str, tmp_path: Path
) -> None:
    with langgraph_dev_server(integration_env(provider_stub), tmp_path) as url:
        states = [
            httpx.post(
                f"{url}/runs/wait",
                json={
                    "assistant_id": "router",
                    "input": {"messages": [{"role": "user", "content": "What is 2+3?"}]},
                    "context": {"frontier_model": frontier, "threshold": 0.0},
                },
                timeout=300,
            ).json()
            for frontier in (CLAUDE, GEMINI)
        ]
    log = (tmp_path / "server.log").read_text(errors="replace")

    for state, frontier in zip(states, (CLAUDE, GEMINI), strict=True):
        assert "__error__" not in state, state
        assert (state["answered_by"], state["answer_model"]) == ("frontier", frontier)
        assert state["messages"][-1]["content"] == ANSWER
    assert "Blocking call" not in log and "BlockingError" not in log
