"""The checkpointer factory: SQLite file by default, Postgres when a URL is configured."""

from __future__ import annotations

import asyncio
import builtins
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from asymroute.checkpoints import (
    describe_store,
    mask_password,
    open_async_checkpointer,
    open_checkpointer,
)
from asymroute.context import RouterContext
from asymroute.errors import ConfigurationError
from asymroute.graphs.chat import build_chat
from asymroute.graphs.router import build_router
from asymroute.settings import Settings, load_settings
from tests.support.fake_provider import FakeProvider

CONTEXT = RouterContext(local_model="fake:good", frontier_model="fake:frontier")


def sqlite_settings(path: Path) -> Settings:
    return Settings(_env_file=None, checkpoint_path=path)  # type: ignore[call-arg]


def test_default_path_is_per_user(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert load_settings().checkpoint_path == tmp_path / "asymroute" / "checkpoints.sqlite"
    monkeypatch.setenv("ASYMROUTE_CHECKPOINT_PATH", str(tmp_path / "x.db"))
    assert load_settings().checkpoint_path == tmp_path / "x.db"


def test_sqlite_thread_survives_closing_the_store(
    tmp_path: Path, fake_provider: FakeProvider
) -> None:
    settings = sqlite_settings(tmp_path / "nested" / "cp.sqlite")
    config = {"configurable": {"thread_id": "t"}}
    with open_checkpointer(settings) as saver:
        assert isinstance(saver, SqliteSaver)
        build_chat(build_router(settings, CONTEXT), saver).invoke(
            {"messages": [("user", "hi")]}, config
        )
    assert (tmp_path / "nested" / "cp.sqlite").is_file()

    with open_checkpointer(settings) as saver:
        state = build_chat(build_router(settings, CONTEXT), saver).invoke(
            {"messages": [("user", "and why?")]}, config
        )
    assert [t["turn"] for t in state["turns"]] == [1, 2]
    assert len(state["messages"]) == 4


def test_async_sqlite_store_serves_ainvoke(tmp_path: Path, fake_provider: FakeProvider) -> None:
    settings = sqlite_settings(tmp_path / "cp.sqlite")
    config = {"configurable": {"thread_id": "a"}}

    async def talk() -> dict[str, Any]:
        async with open_async_checkpointer(settings) as saver:
            assert isinstance(saver, AsyncSqliteSaver)
            graph = build_chat(build_router(settings, CONTEXT), saver)
            await graph.ainvoke({"messages": [("user", "hi")]}, config)
            return await graph.ainvoke({"messages": [("user", "and why?")]}, config)

    assert len(asyncio.run(talk())["turns"]) == 2


def test_unwritable_sqlite_location_is_a_configuration_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with (
        pytest.raises(ConfigurationError, match="ASYMROUTE_CHECKPOINT_PATH"),
        open_checkpointer(sqlite_settings(blocker / "cp.sqlite")),
    ):
        pass


def test_postgres_url_without_the_package_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_import = builtins.__import__

    def no_postgres(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("langgraph.checkpoint.postgres"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_postgres)
    settings = Settings(_env_file=None, postgres_url="postgresql://u:pw@db/x")  # type: ignore[call-arg]
    with (
        pytest.raises(ConfigurationError, match=r"pip install 'asymroute\[postgres\]'"),
        open_checkpointer(settings),
    ):
        pass


def test_store_descriptions_never_show_a_password(tmp_path: Path) -> None:
    assert mask_password("postgresql://app:s3cret@db:5432/x") == "postgresql://app:***@db:5432/x"
    assert mask_password("postgresql://db/x") == "postgresql://db/x"
    settings = Settings(_env_file=None, postgres_url="postgresql://a:pw@h/x")  # type: ignore[call-arg]
    assert describe_store(settings) == "postgres postgresql://a:***@h/x"
    assert describe_store(sqlite_settings(tmp_path / "c.db")).startswith("sqlite ")
