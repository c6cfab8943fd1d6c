"""A self-hosted frontier is named and priced as its server says, not as configured."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from asymroute.deployments import primary
from asymroute.planning import RouterSetup
from asymroute.pricing import ModelPrice
from asymroute.providers import served_models
from asymroute.providers.served_models import aserved_model, served_model, served_name
from asymroute.routing import price_flags
from asymroute.settings import Settings
from tests.support.fake_provider import FakeProvider
from tests.support.gateway_app import SIMPLE, ask, client_for, gateway

SELF_HOSTED = Settings(_env_file=None, OPENAI_BASE_URL="http://127.0.0.1:9/v1")  # type: ignore[call-arg]


def test_the_configured_name_stands_when_the_server_serves_it() -> None:
    assert served_name("gpt-4o-mini", ["gpt-4o-mini", "gpt-4o"]) == "gpt-4o-mini"


def test_a_single_served_model_is_the_one_that_answers() -> None:
    assert served_name("gpt-4o-mini", ["smollm2"]) == "smollm2"


def test_several_other_models_leave_the_choice_to_the_server() -> None:
    assert served_name("gpt-4o-mini", ["a", "b"]) == "gpt-4o-mini"
    assert served_name("gpt-4o-mini", []) == "gpt-4o-mini"


@pytest.fixture
def listing(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[httpx.Request]]:
    """The server's /v1/models, answered in process: one model, `smollm2`."""
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json={"object": "list", "data": [{"id": "smollm2"}]})

    transport = httpx.MockTransport(handler)
    client, async_client = httpx.Client, httpx.AsyncClient
    monkeypatch.setattr(served_models, "_served", {})
    monkeypatch.setattr(served_models, "_failed_at", {})
    monkeypatch.setattr(httpx, "Client", lambda **kw: client(transport=transport, **kw))
    monkeypatch.setattr(httpx, "AsyncClient", lambda **kw: async_client(transport=transport, **kw))
    yield requests


def test_the_server_is_asked_once_and_the_answer_kept(listing: list[httpx.Request]) -> None:
    assert served_model("gpt-4o-mini", SELF_HOSTED) == "smollm2"
    assert asyncio.run(aserved_model("gpt-4o-mini", SELF_HOSTED)) == "smollm2"
    assert [str(r.url) for r in listing] == ["http://127.0.0.1:9/v1/models"]


def test_api_openai_com_is_never_asked(listing: list[httpx.Request]) -> None:
    assert served_model("gpt-4o-mini", Settings(_env_file=None, OPENAI_API_KEY="k")) is None  # type: ignore[call-arg]
    assert listing == []


def test_a_failed_lookup_keeps_the_configured_name_and_waits_before_asking_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async_client = httpx.AsyncClient
    monkeypatch.setattr(served_models, "_served", {})
    monkeypatch.setattr(served_models, "_failed_at", {})
    monkeypatch.setattr(
        httpx, "AsyncClient", lambda **kw: async_client(transport=httpx.MockTransport(refuse), **kw)
    )
    assert asyncio.run(aserved_model("gpt-4o-mini", SELF_HOSTED)) is None
    attempts: list[Any] = []
    monkeypatch.setattr(httpx, "AsyncClient", lambda **kw: attempts.append(kw))
    assert asyncio.run(aserved_model("gpt-4o-mini", SELF_HOSTED)) is None
    assert attempts == []  # within RETRY_AFTER_S: not asked again


def test_a_plan_names_and_rebuilds_the_tier_as_served(fake_provider: FakeProvider) -> None:
    setup = RouterSetup.build(Settings(_env_file=None))  # type: ignore[call-arg]
    plan = setup.plan(None)
    models = setup.models(plan)
    frontier = primary(plan.deployments("frontier"))
    models.sync[("frontier", frontier.id)] = object()  # type: ignore[assignment]
    models.use_served(frontier, "smollm2")
    assert setup.spec(plan, "frontier").id == "openai:smollm2"
    assert plan.frontier.id == "openai:gpt-4o-mini"  # what was configured stays readable
    assert ("frontier", frontier.id) not in models.sync
    models.use_served(frontier, None)
    assert setup.spec(plan, "frontier").id == "openai:smollm2"


def serve_as(provider: FakeProvider, name: str) -> None:
    """The fake frontier's server says it serves `name` (as an OpenAI-compatible one would)."""

    async def aserved(model: str, settings: Settings) -> str:
        return name

    provider.served_model = lambda model, settings: name  # type: ignore[attr-defined]
    provider.aserved_model = aserved  # type: ignore[attr-defined]


def test_graph_labels_and_prices_the_served_model(make_router: Any, fake_provider: FakeProvider):
    serve_as(fake_provider, "json")
    state = make_router(threshold=0.0).invoke({"messages": [("user", SIMPLE)]})
    assert state["answer_model"] == "fake:json"
    assert state["usage"][-1]["model"] == "fake:json"
    assert (state["total_cost_usd"], state["flags"]) == (0.0, ["price_unknown"])

    price = ModelPrice(input_per_million=1.0, output_per_million=2.0)
    priced = Settings(_env_file=None, price_overrides={"fake:json": price})  # type: ignore[call-arg]
    state = make_router(settings=priced, threshold=0.0).invoke({"messages": [("user", SIMPLE)]})
    assert state["total_cost_usd"] == pytest.approx(0.002)  # 1000 in, 500 out
    assert state["flags"] == []


def test_price_unknown_counts_only_answered_frontier_calls() -> None:
    def record(tier: str, priced: bool, error: str | None = None) -> Any:
        return {"tier": tier, "priced": priced, "error": error}

    assert price_flags([record("frontier", False)]) == {"price_unknown"}
    assert price_flags([record("frontier", False, "down"), record("local", False)]) == set()
    assert price_flags([record("frontier", True)]) == set()


def test_gateway_says_the_served_model_and_that_its_price_is_unknown(
    fake_provider: FakeProvider,
) -> None:
    serve_as(fake_provider, "good")
    with gateway() as http:
        raw = ask(client_for(http), SIMPLE, model="router-0")
        stream = client_for(http).chat.completions.create(
            model="router-0", messages=[{"role": "user", "content": SIMPLE}], stream=True
        )
        chunks = list(stream)
    completion = raw.parse()
    assert completion.model == "fake:good"
    assert raw.headers["x-asymroute-model"] == "fake:good"
    assert raw.headers["x-asymroute-price-unknown"] == "true"
    assert completion.model_extra["asymroute"]["flags"] == ["price_unknown"]
    assert {chunk.model for chunk in chunks} == {"fake:good"}
