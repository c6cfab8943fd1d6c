"""Checkpoint and spend files hold conversations and spend: other local users cannot read them."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from asymroute.checkpoints import open_async_checkpointer, open_checkpointer
from asymroute.context import RouterContext
from asymroute.gateway.spend.sqlite import SqliteSpendStore
from asymroute.graphs.chat import build_chat
from asymroute.graphs.router import build_router
from asymroute.settings import Settings
from tests.support.fake_provider import FakeProvider

CONTEXT = RouterContext(local_model="fake:good", frontier_model="fake:frontier")


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    previous = os.umask(0o022)  # the common default, under which SQLite creates 0644 files
    yield
    os.umask(previous)


def modes(directory: Path) -> dict[str, int]:
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in directory.iterdir()}


def test_the_checkpoint_file_and_its_wal_are_created_0600(
    tmp_path: Path, fake_provider: FakeProvider
) -> None:
    settings = Settings(_env_file=None, checkpoint_path=tmp_path / "cp.sqlite")  # type: ignore[call-arg]
    with open_checkpointer(settings) as saver:
        config = {"configurable": {"thread_id": "t"}}
        build_chat(build_router(settings, CONTEXT), saver).invoke(
            {"messages": [("user", "hi")]}, config
        )
        found = modes(tmp_path)
    assert "cp.sqlite" in found
    assert found == dict.fromkeys(found, 0o600)


def test_the_async_checkpoint_file_is_created_0600(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, checkpoint_path=tmp_path / "a.sqlite")  # type: ignore[call-arg]

    async def open_it() -> None:
        async with open_async_checkpointer(settings) as saver:
            await saver.setup()  # type: ignore[attr-defined]

    asyncio.run(open_it())
    assert modes(tmp_path)["a.sqlite"] == 0o600


def test_the_spend_file_is_created_0600(tmp_path: Path) -> None:
    store = SqliteSpendStore(tmp_path / "spend.sqlite")
    store.add("team", 0.5)
    found = modes(tmp_path)
    store.close()
    assert "spend.sqlite" in found
    assert found == dict.fromkeys(found, 0o600)


def test_an_existing_file_keeps_the_mode_its_owner_chose(tmp_path: Path) -> None:
    path = tmp_path / "cp.sqlite"
    path.touch(mode=0o640)
    settings = Settings(_env_file=None, checkpoint_path=path)  # type: ignore[call-arg]
    with open_checkpointer(settings):
        pass
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
