"""`asymroute serve` tunes the collector in its own processes, and only there."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from typing import Any

import pytest

from asymroute.cli import main
from asymroute.gateway import app as gateway_app
from asymroute.gateway.gc_tuning import SERVING_THRESHOLDS, tune_for_serving
from tests.support.fake_provider import FakeProvider
from tests.support.gateway_app import gateway


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_tuning_freezes_what_is_alive_and_raises_the_thresholds(restored_gc: None) -> None:
    gc.unfreeze()
    tune_for_serving()
    assert gc.get_freeze_count() > 10_000  # this test process's imports, at least
    assert gc.get_threshold() == SERVING_THRESHOLDS
    assert SERVING_THRESHOLDS[0] > 700  # larger than CPython's default young generation


@pytest.mark.parametrize("tune", [True, False])
def test_the_app_tunes_at_startup_only_when_its_settings_say_so(
    tune: bool, fake_provider: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[bool] = []
    monkeypatch.setattr(gateway_app, "tune_for_serving", lambda: calls.append(True))
    with gateway(gateway_tune_gc=tune) as http:  # entering runs the app's lifespan
        assert http.get("/v1/models").status_code == 200
    assert calls == ([True] if tune else [])


@pytest.mark.parametrize(("flags", "expected"), [([], True), (["--no-gc-tuning"], False)])
def test_serve_turns_tuning_on_unless_told_not_to(
    flags: list[str], expected: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    built: list[Any] = []
    monkeypatch.setattr(
        gateway_app, "create_app", lambda settings, defaults: built.append(settings) or object()
    )
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: None)
    assert main(["serve", "--port", "1", *flags]) == 0
    assert [s.gateway_tune_gc for s in built] == [expected]


@pytest.mark.parametrize(("flags", "expected"), [([], "true"), (["--no-gc-tuning"], "false")])
def test_serve_workers_get_the_choice_through_the_environment(
    flags: list[str], expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    # Recorded first, so monkeypatch removes what `serve` sets for its workers afterwards;
    # the opposite value first, so the assertion sees serve's own write.
    for name, value in (
        ("TUNE_GC", "false" if expected == "true" else "true"),
        ("CONTEXT", "{}"),
        ("ALLOW_UNAUTHENTICATED_REMOTE", "false"),
    ):
        monkeypatch.setenv(f"ASYMROUTE_GATEWAY_{name}", value)
    monkeypatch.setenv("ASYMROUTE_ASYNC_HTTP_CLIENT", "httpx")
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: None)
    assert main(["serve", "--port", "1", "--workers", "2", *flags]) == 0
    assert os.environ["ASYMROUTE_GATEWAY_TUNE_GC"] == expected
    assert os.environ["ASYMROUTE_ASYNC_HTTP_CLIENT"] == "httpx"  # the environment's
