"""Start `langgraph dev` on a free loopback port for a test module, and always stop it."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from bench.support.processes import free_port, running_server

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def langgraph_dev_server(env: Mapping[str, str], log_directory: Path) -> Iterator[str]:
    """Serve this project's langgraph.json; yields the base URL once `/ok` answers."""
    # The CLI sits beside this interpreter, on PATH or not (an unactivated virtualenv).
    executable = shutil.which("langgraph", path=str(Path(sys.executable).parent)) or shutil.which(
        "langgraph"
    )
    assert executable, "langgraph-cli is part of the dev extras: pip install -e '.[dev]'"
    port = free_port()
    command = [
        executable, "dev", "--no-browser", "--no-reload",
        "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    server_env = {"LANGGRAPH_CLI_NO_ANALYTICS": "1", "LANGSMITH_TRACING": "false", **env}
    with running_server(
        command,
        f"{url}/ok",
        log_directory / "server.log",
        env=server_env,
        cwd=PROJECT_ROOT,
        timeout_s=180,
    ):
        yield url
