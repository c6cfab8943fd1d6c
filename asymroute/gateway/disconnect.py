"""Cancel a request's work when its client hangs up before the answer has started.

Why: uvicorn (and the LangGraph server) keep running a handler whose client has gone, so an
abandoned request would still wait for, and pay for, its whole frontier answer. Until the
response starts, the gateway therefore races the graph against the client's `http.disconnect`
and cancels the run (and with it the model call and its upstream connection) when the client
leaves first. Once a streamed response has started, this race is over: Starlette notices a gone
client only when it next sends (ASGI 2.4), so a stream that stalls mid-answer keeps its
upstream call until the model's timeout (a known limitation, see the README).

What an abandoned call had already cost upstream is unknown (no usage comes back), so nothing
is recorded against the key's budget for it; the log says which request was dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import TypeVar

from starlette.requests import Request

T = TypeVar("T")


class ClientGone(Exception):
    """The client disconnected before its answer started; the run was cancelled."""


async def unless_client_leaves(request: Request, work: Awaitable[T]) -> T:
    """`work`'s result, or `ClientGone` (after cancelling `work`) if the client leaves first."""
    task = asyncio.ensure_future(work)
    hang_up = asyncio.ensure_future(_hang_up(request))
    try:
        await asyncio.wait({task, hang_up}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        task.cancel()
        raise
    finally:
        hang_up.cancel()
    if task.done():
        return task.result()
    task.cancel()
    # Let the run unwind (its HTTP calls close their connections) before the handler returns.
    with contextlib.suppress(asyncio.CancelledError):
        await task
    raise ClientGone


async def _hang_up(request: Request) -> None:
    """Returns when the client disconnects (the body has been read: nothing else can arrive)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass
