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
    """Create `path` with mode 0600 if it does not exist; an existing file keeps its mode."""
    descriptor = os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_MODE)
    os.close(descriptor)
