"""Helpers for the gateway's in-process tests: the app around scripted fake models."""

from __future__ import annotations

import json
from typing import Any

import openai
from starlette.testclient import TestClient

from asymroute.context import RouterContext
from asymroute.gateway.app import create_app
from asymroute.gateway.settings import GatewaySettings
from asymroute.pricing import ModelPrice

SIMPLE = "What is 2+3?"
COMPLEX = "Analyze and debug this parser, then refactor it to be thread-safe."
KEY = "sk-test-key"
FRONTIER_PRICE = ModelPrice(input_per_million=5.0, output_per_million=15.0)


def gateway(
    local: str = "fake:good", frontier: str = "fake:frontier", **settings: Any
) -> TestClient:
    """The app on fake models (the `fake_provider` fixture must be active), from loopback."""
    app = create_app(
        GatewaySettings(
            _env_file=None,  # type: ignore[call-arg]
            price_overrides={"fake:frontier": FRONTIER_PRICE, "fake:json": FRONTIER_PRICE},
            **settings,
        ),
        RouterContext(local_model=local, frontier_model=frontier, classifier="heuristic"),
    )
    return TestClient(app, client=("127.0.0.1", 50000))


def client_for(http: TestClient, key: str = KEY) -> openai.OpenAI:
    return openai.OpenAI(
        base_url="http://testserver/v1", api_key=key, http_client=http, max_retries=0
    )


def ask(client: openai.OpenAI, prompt: str = SIMPLE, **kwargs: Any) -> Any:
    return client.chat.completions.with_raw_response.create(
        model=kwargs.pop("model", "asymroute"),
        messages=[{"role": "user", "content": prompt}],
        **kwargs,
    )


def sse_events(text: str) -> list[Any]:
    payloads = [line[6:] for line in text.splitlines() if line.startswith("data: ")]
    return [p if p == "[DONE]" else json.loads(p) for p in payloads]
