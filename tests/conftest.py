"""Shared by every test: a clean environment, so the host's settings never leak in."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

ISOLATED_PREFIXES = ("OPENAI_", "OLLAMA_", "ASYMROUTE_", "LANGSMITH_", "LANGCHAIN_")


@pytest.fixture(autouse=True)
def isolated_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    for name in list(os.environ):
        if name.upper().startswith(ISOLATED_PREFIXES):
            monkeypatch.delenv(name)
    # Settings also read .env from the working directory.
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    # Default checkpoint and gateway spend files go here, never to the user's own state.
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))
    yield
