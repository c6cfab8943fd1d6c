"""The race between a request's work and its client hanging up (asymroute.gateway.disconnect)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.requests import Request

from asymroute.gateway.disconnect import ClientGone, unless_client_leaves


def request_whose_client(leaves_after_s: float | None) -> Request:
    """A request whose body is read; its client disconnects after that long (None: never)."""

    async def receive() -> dict[str, Any]:
        if leaves_after_s is None:
            await asyncio.Event().wait()
        await asyncio.sleep(leaves_after_s or 0.0)
        return {"type": "http.disconnect"}

    return Request({"type": "http", "method": "POST", "headers": []}, receive)


def test_the_work_finishing_first_returns_its_result() -> None:
    async def work() -> str:
        await asyncio.sleep(0.01)
        return "answer"

    async def run() -> str:
        return await unless_client_leaves(request_whose_client(None), work())

    assert asyncio.run(run()) == "answer"


def test_the_works_own_error_reaches_the_caller() -> None:
    async def work() -> str:
        raise ValueError("bad request")

    async def run() -> str:
        return await unless_client_leaves(request_whose_client(None), work())

    with pytest.raises(ValueError, match="bad request"):
        asyncio.run(run())


def test_a_client_leaving_first_cancels_the_work() -> None:
    cancelled = asyncio.Event()

    async def work() -> str:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "never"

    async def run() -> None:
        with pytest.raises(ClientGone):
            await unless_client_leaves(request_whose_client(0.01), work())
        assert cancelled.is_set()  # unwound before the handler goes on

    asyncio.run(run())
