"""Postgres checkpoints for real: two processes continue one conversation, like two instances.

The module starts its own PostgreSQL server (Debian package binaries) on a free loopback port
and always stops it; .ci/run only makes sure the package is installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from asymroute.checkpoints import open_checkpointer
from asymroute.context import RouterContext
from asymroute.errors import ConfigurationError
from asymroute.graphs.chat import build_chat
from asymroute.graphs.router import build_router
from asymroute.settings import Settings
from bench.support.postgres import running_postgres
from bench.support.processes import free_port
from tests.integration.conftest import FRONTIER_ALIAS, FRONTIER_PRICE, OLLAMA_MODEL

COMPLEX = "Analyze and debug this parser, then refactor it to be thread-safe."
CHAT_ARGS = [
    "--json", "--local-model", f"ollama:{OLLAMA_MODEL}", "--frontier-model",
    f"openai:{FRONTIER_ALIAS}", "--max-tokens", "32", "--classifier", "heuristic",
]  # fmt: skip


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with running_postgres() as url:
        yield url


def chat_process(lines: str, thread: str, env: dict[str, str], cwd: Path) -> list[dict]:
    """One `asymroute chat` process: a separate instance with its own connection."""
    done = subprocess.run(
        [sys.executable, "-m", "asymroute.cli", "chat", "--thread", thread, *CHAT_ARGS],
        input=lines, capture_output=True, text=True, env=env, cwd=cwd, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def test_conversation_continues_in_another_process_with_history_and_spend(
    postgres_url: str, openai_server: str, ollama_server: str, tmp_path: Path
) -> None:
    price = {f"openai:{FRONTIER_ALIAS}": FRONTIER_PRICE.model_dump()}
    env = {
        **os.environ,
        "ASYMROUTE_POSTGRES_URL": postgres_url,
        "OPENAI_BASE_URL": openai_server,
        "OLLAMA_BASE_URL": ollama_server,
        "ASYMROUTE_PRICES": json.dumps(price),
        # Proof that SQLite is not used: this path cannot be created.
        "ASYMROUTE_CHECKPOINT_PATH": "/proc/asymroute-must-not-use-sqlite/cp.sqlite",
    }
    [first] = chat_process(f"{COMPLEX}\n", "pg-thread", env, tmp_path)
    [second] = chat_process("and why?\n", "pg-thread", env, tmp_path)

    assert first["turn"] == 1 and first["tier"] == "frontier" and first["cost_usd"] > 0
    # The second instance saw the first turn: the follow-up inherits its frontier routing.
    assert second["turn"] == 2 and second["routed"] == "frontier"
    assert any("follow-up to a turn scored" in reason for reason in second["reasons"])
    assert second["totals"]["calls"] == {"local": 0, "frontier": 2}
    assert second["totals"]["cost_usd"] == pytest.approx(first["cost_usd"] + second["cost_usd"])

    # A third reader, in this process, sees the same thread in the database.
    settings = Settings(_env_file=None, postgres_url=postgres_url)  # type: ignore[call-arg]
    with open_checkpointer(settings) as saver:
        graph = build_chat(build_router(settings, RouterContext()), saver)
        state = graph.get_state({"configurable": {"thread_id": "pg-thread"}}).values
    assert [m.type for m in state["messages"]] == ["human", "ai", "human", "ai"]
    assert state["messages"][2].content == "and why?"
    assert state["totals"] == second["totals"]


def test_unreachable_database_is_a_clear_error_without_the_password() -> None:
    url = f"postgresql://app:s3cret@127.0.0.1:{free_port()}/x?connect_timeout=3"
    settings = Settings(_env_file=None, postgres_url=url)  # type: ignore[call-arg]
    with (
        pytest.raises(ConfigurationError, match="ASYMROUTE_POSTGRES_URL") as caught,
        open_checkpointer(settings),
    ):
        pass
    assert "s3cret" not in str(caught.value) and "app:***@" in str(caught.value)
