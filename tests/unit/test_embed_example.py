"""The documented embedding example works: the router is one node of someone else's graph."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path
from typing import Any

from tests.support.fake_provider import FakeProvider

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "embed_router.py"


def load_example() -> Any:
    spec = importlib.util.spec_from_file_location("embed_router", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_router_embedded_as_a_node_answers_inside_the_parent(
    make_router: Any, fake_provider: FakeProvider, capsys: Any
) -> None:
    app = load_example().build_app(make_router())
    result = app.invoke({"messages": [("user", "What is 2+3?")]})

    assert [m.type for m in result["messages"]] == ["human", "ai"]
    assert result["messages"][-1].content == FakeProvider.text("good")
    assert "[audit] 2 messages" in capsys.readouterr().out

    again = asyncio.run(app.ainvoke({"messages": [("user", "What is 2+3?")]}))
    assert again["messages"][-1].content == FakeProvider.text("good")
