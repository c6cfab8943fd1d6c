"""Budget reservations: a request holds its worst-case cost before it runs, and settles after.

The rules, the same in every store (`sql.py` implements them for SQLite and Postgres):

- `reserve`: in one transaction that locks the key's row, admit the request only when
  spent + reserved + estimate <= budget, and write a reservation row. Concurrent requests
  (threads, workers, gateway processes, hosts) are serialised on that row, so a budget is a
  cap: at most as many requests run as their estimates fit in it.
- `settle`: delete the reservation and add the request's real cost, in one transaction. If
  the reservation was already charged at its estimate (recovered, below), add only the
  difference, so the total is the real cost either way.
- Recovery of reservations nobody will settle (the gateway was killed): a reservation is
  charged at its estimate (the frontier may have billed the whole answer) when its holder
  process is gone (same host, pid no longer running: checked when a gateway opens the store),
  or when it is older than `RESERVATION_LEASE_S` (any host: checked on each reservation of
  that key). Until then it still counts against the budget.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from dataclasses import dataclass, field

RESERVATION_LEASE_S = 900.0
"""Longer than any request may run (retries and timeouts included)."""
ROUNDING_USD = 1e-12
"""Ten reservations of $0.00075 sum to a hair over $0.0075 in floating point: still fit."""


def this_holder() -> str:
    """Who holds a reservation: host and process id, so a restart can tell a dead holder."""
    return f"{socket.gethostname()}:{os.getpid()}"


def holder_is_gone(holder: str) -> bool:
    """True only when `holder` ran on this host and its process no longer exists."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another host's: only its lease can expire it
    if int(pid) == os.getpid():
        return True  # this process has just opened the store: the holder was an earlier one
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, under another user
    return False


@dataclass(frozen=True)
class Reservation:
    key_name: str
    estimate_usd: float
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    holder: str = field(default_factory=this_holder)
    created_at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class Admission:
    """The outcome of `reserve`: whether the request may run, and the figures behind it."""

    admitted: bool
    spent_usd: float
    reserved_usd: float
    """What requests already in flight hold (not counting this one)."""


def fits(spent: float, reserved: float, estimate: float, budget: float) -> bool:
    """A request may start while the budget is not spent and its worst case fits in what is left."""
    return spent < budget and spent + reserved + estimate <= budget + ROUNDING_USD
