"""Durable checkpoints: SQLite embedded by default, Postgres when a connection string is set.

Python apps and the CLI compile the chat and workflow graphs with one of these savers, so a
thread (a conversation, a workflow run) survives the process. Graphs exported for
`langgraph dev` are compiled without one: the server brings its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager, contextmanager
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from asymroute.errors import ConfigurationError
from asymroute.private_files import create_private_file
from asymroute.settings import Settings

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver


def describe_store(settings: Settings) -> str:
    """Where checkpoints go, with any password masked (for messages and logs)."""
    if settings.postgres_url is not None:
        return f"postgres {mask_password(settings.postgres_url.get_secret_value())}"
    return f"sqlite {settings.checkpoint_path}"


def mask_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _sqlite_path(settings: Settings) -> str:
    path = settings.checkpoint_path.expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        create_private_file(path)
    except OSError as exc:
        raise ConfigurationError(
            f"cannot create the checkpoint directory {path.parent} ({exc}); "
            "set ASYMROUTE_CHECKPOINT_PATH to a writable file path"
        ) from exc
    return str(path)


def _postgres_error(settings: Settings, exc: Exception) -> ConfigurationError:
    return ConfigurationError(
        f"cannot use the checkpoint database at {describe_store(settings)} ({exc}); "
        "check ASYMROUTE_POSTGRES_URL and that the server is reachable"
    )


def _require_postgres() -> None:
    try:
        import langgraph.checkpoint.postgres  # noqa: F401
    except ImportError as exc:
        raise ConfigurationError(
            "ASYMROUTE_POSTGRES_URL is set but langgraph-checkpoint-postgres is not installed; "
            "pip install 'asymroute[postgres]'"
        ) from exc


@contextmanager
def open_checkpointer(settings: Settings) -> Iterator[BaseCheckpointSaver]:
    """A ready checkpointer for `graph.invoke`/`stream`; closed when the block ends."""
    if settings.postgres_url is None:
        from langgraph.checkpoint.sqlite import SqliteSaver

        with SqliteSaver.from_conn_string(_sqlite_path(settings)) as saver:
            yield saver
        return
    _require_postgres()
    import psycopg
    from langgraph.checkpoint.postgres import PostgresSaver

    with ExitStack() as stack:
        try:
            url = settings.postgres_url.get_secret_value()
            postgres = stack.enter_context(PostgresSaver.from_conn_string(url))
            postgres.setup()
        except psycopg.Error as exc:
            raise _postgres_error(settings, exc) from exc
        yield postgres


@asynccontextmanager
async def open_async_checkpointer(settings: Settings) -> AsyncIterator[BaseCheckpointSaver]:
    """The same stores for `graph.ainvoke`/`astream` (the sync savers refuse async calls)."""
    if settings.postgres_url is None:
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        async with AsyncSqliteSaver.from_conn_string(_sqlite_path(settings)) as saver:
            yield saver
        return
    _require_postgres()
    import psycopg
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

    async with AsyncExitStack() as stack:
        try:
            url = settings.postgres_url.get_secret_value()
            postgres = await stack.enter_async_context(AsyncPostgresSaver.from_conn_string(url))
            await postgres.setup()
        except psycopg.Error as exc:
            raise _postgres_error(settings, exc) from exc
        yield postgres
