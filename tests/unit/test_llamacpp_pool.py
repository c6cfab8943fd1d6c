"""The embedded model's pool: copies loaded on need, calls queued on its own threads, a caller
that leaves never holds the model (no weights are loaded: a scripted llama stands in)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from asymroute.providers import llamacpp_pool
from asymroute.providers.llamacpp_chat import ChatLlamaCppEmbedded
from asymroute.providers.llamacpp_pool import LlamaPool


class ScriptedLlama:
    """Answers like llama.cpp's create_chat_completion; `gate` holds a call until opened."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.gate = gate
        self.calls: list[list[dict[str, Any]]] = []

    def token_eos(self) -> int:
        return 0

    def create_chat_completion(self, messages: Any, **options: Any) -> dict[str, Any]:
        self.calls.append(messages)
        if self.gate is not None:
            assert self.gate.wait(timeout=30)
        return {
            "choices": [{"message": {"content": "5"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
        }


class Loaded:
    def __init__(self, llama: ScriptedLlama) -> None:
        self.llama = llama


def scripted_pool(
    monkeypatch: pytest.MonkeyPatch, instances: int, gate: threading.Event | None = None
) -> tuple[LlamaPool, list[ScriptedLlama]]:
    made: list[ScriptedLlama] = []

    def load(path: str, n_ctx: int, n_threads: int | None) -> Loaded:
        made.append(ScriptedLlama(gate))
        return Loaded(made[-1])

    monkeypatch.setattr(llamacpp_pool, "LoadedLlama", load)
    return LlamaPool("x.gguf", 512, 1, instances), made


def test_copies_are_loaded_only_when_all_are_busy_and_never_beyond_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pool, made = scripted_pool(monkeypatch, instances=2)
    first = pool.borrow(-1)
    pool.give_back(first)
    assert pool.borrow(-1) is first and len(made) == 1  # an idle copy is reused
    second = pool.borrow(-1)
    assert second is not first and len(made) == 2

    with pytest.raises(TimeoutError, match="ASYMROUTE_LLAMACPP_INSTANCES"):
        pool.borrow(0.05)  # both lent: a third caller waits, then gives up
    pool.give_back(second)
    assert pool.borrow(0.05) is second and len(made) == 2


def model_on(pool: LlamaPool, monkeypatch: pytest.MonkeyPatch) -> ChatLlamaCppEmbedded:
    monkeypatch.setattr(ChatLlamaCppEmbedded, "_pool", lambda self: pool)
    return ChatLlamaCppEmbedded(model_path="x.gguf", model_name="smollm2", timeout_s=30)


def test_a_queued_call_whose_caller_leaves_never_generates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate = threading.Event()
    pool, made = scripted_pool(monkeypatch, instances=1, gate=gate)
    model = model_on(pool, monkeypatch)

    async def scenario() -> str:
        running = asyncio.create_task(model.ainvoke("first"))
        queued = asyncio.create_task(model.ainvoke("second"))
        while not made or not made[0].calls:  # the first call holds the only copy
            await asyncio.sleep(0.01)
        queued.cancel()
        with pytest.raises(asyncio.CancelledError):
            await queued
        gate.set()
        return str((await running).content)

    assert asyncio.run(scenario()) == "5"
    assert [call[0]["content"] for call in made[0].calls] == ["first"]


def test_the_event_loop_stays_free_while_calls_queue(monkeypatch: pytest.MonkeyPatch) -> None:
    """Other coroutines run while three calls wait for the one copy."""
    gate = threading.Event()
    pool, made = scripted_pool(monkeypatch, instances=1, gate=gate)
    model = model_on(pool, monkeypatch)

    async def scenario() -> list[str]:
        order: list[str] = []

        async def call(label: str) -> None:
            await model.ainvoke(label)
            order.append(label)

        calls = [asyncio.create_task(call(f"local{i}")) for i in range(3)]
        await asyncio.sleep(0.05)
        order.append("other work")
        gate.set()
        await asyncio.gather(*calls)
        return order

    assert asyncio.run(scenario())[0] == "other work"
    assert len(made) == 1 and len(made[0].calls) == 3
