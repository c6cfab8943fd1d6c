"""Processes sharing one SQLite spend file see each other's writes, even while one of them
opens a store on the file it already has open (as a test polling the spend does).

The defect this pins down: opening a second store ran `create_private_file`, whose `close()`
of a descriptor on the database dropped every POSIX lock this process held on it, SQLite's
too. Another process closing the database then took itself for its last user and deleted the
-wal and -shm files under this one, which from then on read a stale snapshot: a second
gateway's charges only "appeared" when that gateway stopped (test_gateway_disconnect, 2 of 6
CI runs, when both of its gateways shared one file).
"""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from asymroute.gateway.spend.sqlite import SqliteSpendStore
from tests.integration.conftest import PROJECT_ROOT

GATEWAY = """
import sys, time
from pathlib import Path
from asymroute.gateway.spend.sqlite import SqliteSpendStore
store = SqliteSpendStore(Path(sys.argv[1]))
store.add("team", float(sys.argv[2]))
print(store.spent("team"), flush=True)
sys.stdin.readline()  # stays open until told
store.close()
"""


class Gateway:
    """A process that adds to the spend file, then holds its store open until stopped."""

    def __init__(self, path: Path, usd: float) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", GATEWAY, str(path), str(usd)],
            cwd=PROJECT_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.total = float(self.process.stdout.readline())

    def stop(self) -> None:
        self.process.communicate("\n", timeout=60)
        assert self.process.returncode == 0


@pytest.fixture
def lingering_connections() -> Iterator[None]:
    """Stores dropped without close() keep their connection until a garbage collection (an
    sqlite3 connection sits in a reference cycle): keep them all, as between collections."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


def test_a_process_polling_the_spend_file_sees_a_later_gateways_writes(
    tmp_path: Path, lingering_connections: None
) -> None:
    path = tmp_path / "spend.sqlite"
    first = Gateway(path, 1.0)
    for _ in range(3):  # polls while the first gateway runs, a new store each time
        assert SqliteSpendStore(path).spent("team") == 1.0
    first.stop()
    second = Gateway(path, 100.0)
    try:
        seen = SqliteSpendStore(path).spent("team")
    finally:
        second.stop()
    assert second.total == 101.0
    assert seen == 101.0  # was 1.0: the second gateway's write showed only after it stopped
