"""Files that hold conversations or spend: created readable and writable by their owner only.

SQLite creates a database with the process umask (usually 0644: every local user can read the
checkpointed conversations). Creating the empty file first with mode 0600 fixes that; SQLite
gives its -wal and -shm files the mode of the database, so they follow.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_MODE = 0o600


def create_private_file(path: Path) -> None:
    """Create `path` with mode 0600 if it does not exist; an existing file keeps its mode.

    An existing file is not opened at all: closing any descriptor of a file drops every POSIX
    lock this process holds on it, SQLite's included. A process that opened a second store on a
    database it already had open (as a test polling the spend file does) lost its connection's
    lock; another process closing the database then believed itself the last user and deleted
    the -wal and -shm files under it, and this process read a stale snapshot from then on (seen
    as a second gateway's charges "appearing" only when it stopped).
    """
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_MODE)
    except FileExistsError:
        return
    os.close(descriptor)
