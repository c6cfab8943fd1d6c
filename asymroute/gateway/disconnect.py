"""Cancel a request's work when its client hangs up.

Why: uvicorn (and the LangGraph server) keep running a handler whose client has gone, so an
abandoned request would still wait for, and pay for, its whole frontier answer. The gateway
therefore races the graph against the client's `http.disconnect` and cancels the run (and with
it the model call and its upstream connection) when the client leaves first:
- before the response starts (`unless_client_leaves`): plain requests, and a stream's first
  event;
- while a stream runs (`events_until_client_leaves`): Starlette notices a gone client only when
  it next sends (ASGI 2.4), which a stalled upstream may never let happen.

A plain request cancelled before its answer has no usage to record, so nothing is charged for
it; a stream cut off mid-answer charges what it streamed (`gateway.streaming`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any, TypeVar

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


async def events_until_client_leaves(
    request: Request,
    events: AsyncGenerator[bytes, None],
    in_background: Callable[[Coroutine[Any, Any, None]], None],
) -> AsyncIterator[bytes]:
    """`events` until they end, or until the client hangs up; either way `events` is closed
    afterwards (which cancels a run still going), by `in_background`: this generator may be
    ending inside a cancelled scope (Starlette's own disconnect watch), where nothing can await.
    """
    hang_up = asyncio.ensure_future(_hang_up(request))
    step: asyncio.Future[bytes] | None = None
    try:
        while True:
            step = asyncio.ensure_future(anext(events))
            await asyncio.wait({step, hang_up}, return_when=asyncio.FIRST_COMPLETED)
            if hang_up.done():  # even if an event is ready: nobody will read it
                return
            try:
                event = step.result()
            except StopAsyncIteration:
                return
            step = None
            yield event
    finally:
        hang_up.cancel()
        in_background(_close(events, step))


async def _close(events: AsyncGenerator[bytes, None], step: asyncio.Future[bytes] | None) -> None:
    if step is not None:
        step.cancel()  # a no-op once it is done
        with contextlib.suppress(asyncio.CancelledError, Exception):  # nobody awaits its outcome
            await step
    await events.aclose()


async def _hang_up(request: Request) -> None:
    """Returns when the client disconnects (the body has been read: nothing else can arrive)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass
