"""A throwaway Redis server on a free loopback port, always stopped.

Uses Debian's `redis-server` (`apt-get install redis-server`; .ci/run installs it), with no
persistence: it lives only as long as the test or benchmark that started it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from bench.support.processes import free_port, stop


def redis_server_binary() -> str | None:
    return shutil.which("redis-server")


@contextmanager
def running_redis(timeout_s: float = 30.0) -> Iterator[str]:
    """Yields the server's redis:// URL (database 0)."""
    binary = redis_server_binary()
    if binary is None:
        raise RuntimeError("Redis is not installed: apt-get install -y redis-server")
    port = free_port()
    root = Path(tempfile.mkdtemp(prefix="asymroute-redis-"))
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", str(root)]  # fmt: skip
    with (root / "server.log").open("wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait_for(url, process, timeout_s, root / "server.log")
        yield url
    finally:
        stop(process)
        shutil.rmtree(root, ignore_errors=True)


def _wait_for(url: str, process: subprocess.Popen[bytes], timeout_s: float, log: Path) -> None:
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"redis-server exited:\n{log.read_text()[-2000:]}")
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer within {timeout_s} s")
    finally:
        client.close()
