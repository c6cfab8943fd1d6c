"""Streaming through the gateway app, and arbitrary JSON bodies, in process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from asymroute.context import RouterContext
from tests.support.fake_provider import FRONTIER_ANSWER, GOOD_ANSWER, FakeProvider
from tests.support.gateway_app import COMPLEX, SIMPLE, client_for, gateway, sse_events


@pytest.fixture
def http(fake_provider: FakeProvider) -> Iterator[TestClient]:
    with gateway() as client:
        yield client


def test_stream_never_shows_a_rejected_local_answer(fake_provider: FakeProvider) -> None:
    with gateway(local="fake:refusal") as http:
        stream = client_for(http).chat.completions.create(
            model="asymroute",
            messages=[{"role": "user", "content": SIMPLE}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == FRONTIER_ANSWER
    assert all(c.model == "fake:frontier" for c in chunks)
    assert "sorry" not in json.dumps([c.model_dump() for c in chunks])
    # The usage chunk comes last (the fake model streams no token counts; live tests check them).
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    final = next(c for c in chunks if c.choices and c.choices[0].finish_reason)
    assert final.model_extra["asymroute"]["escalated"] is True


def test_stream_releases_a_validated_local_answer(http: TestClient) -> None:
    response = http.post(
        "/v1/chat/completions",
        json={
            "model": "asymroute",
            "stream": True,
            "messages": [{"role": "user", "content": SIMPLE}],
        },
    )
    assert response.headers["x-asymroute-tier"] == "local"
    assert response.headers["x-asymroute-escalated"] == "false"
    events = sse_events(response.text)
    assert events[-1] == "[DONE]"
    deltas = [e["choices"][0]["delta"] for e in events[:-1] if e["choices"]]
    assert deltas[0]["role"] == "assistant"
    assert len(deltas) > 2  # the held tokens are replayed, not one blob
    assert "".join(d.get("content", "") for d in deltas) == GOOD_ANSWER
    assert events[-2]["choices"][0]["finish_reason"] == "stop"
    assert events[-2]["asymroute"]["tier"] == "local"


def test_stream_from_the_frontier(http: TestClient) -> None:
    stream = client_for(http).chat.completions.create(
        model="asymroute", messages=[{"role": "user", "content": COMPLEX}], stream=True
    )
    chunks = list(stream)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == FRONTIER_ANSWER
    assert {c.model for c in chunks} == {"fake:frontier"}


def test_stream_errors_before_any_token_are_http_errors(fake_provider: FakeProvider) -> None:
    with gateway(local="fake:down") as http:
        # Frontier is fake:frontier, so a down local tier escalates; make both fail:
        http.app.state.gateway.defaults = RouterContext(  # type: ignore[attr-defined]
            local_model="fake:down", frontier_model="fake:down"
        )
        response = http.post(
            "/v1/chat/completions",
            json={
                "model": "asymroute",
                "stream": True,
                "messages": [{"role": "user", "content": SIMPLE}],
            },
        )
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "no_answer"


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = st.sampled_from(
    ["model", "messages", "stream", "temperature", "max_tokens", "stop", "n", "tools",
     "response_format", "stream_options", "seed", "top_p"]
)  # fmt: skip


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    fields=st.dictionaries(FIELDS, JSON_VALUES, max_size=5),
    messages=st.one_of(
        JSON_VALUES,
        st.lists(st.fixed_dictionaries({"role": st.text(max_size=10), "content": JSON_VALUES})),
    ),
)
def test_any_json_body_gets_an_answer_or_an_openai_error(
    http: TestClient, fields: dict[str, Any], messages: Any
) -> None:
    response = http.post(
        "/v1/chat/completions", json={"model": "asymroute", "messages": messages, **fields}
    )
    assert response.status_code in (200, 400, 404), response.text
    if response.status_code != 200:
        assert set(response.json()["error"]) == {"message", "type", "param", "code"}
