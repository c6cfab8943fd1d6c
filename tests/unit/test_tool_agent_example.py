"""The documented tool-agent example works: the router is the agent's model node, tools in the
run's context, every step routed."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import ToolMessage

from asymroute.context import RouterContext
from asymroute.providers import PROVIDERS
from asymroute.settings import Settings
from tests.support.tool_models import ToolScriptProvider

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tool_agent.py"


def load_example() -> Any:
    spec = importlib.util.spec_from_file_location("tool_agent", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_agent_step_is_routed_and_the_tool_runs(
    monkeypatch: pytest.MonkeyPatch, fake_provider: Any
) -> None:
    from asymroute.graphs.router import build_router

    provider = ToolScriptProvider()
    monkeypatch.setitem(PROVIDERS, "tools", provider)
    example = load_example()
    context = RouterContext(
        local_model="tools:agent",
        frontier_model="fake:frontier",
        classifier="heuristic",
        tools=example.TOOLS,
    )
    agent = example.build_agent(build_router(settings=Settings(), defaults=context))

    lines = example.run(agent, "What is the weather in Paris?", context)

    assert lines == ["[local] get_weather({'city': 'Paris'})", "[local] It is sunny."]
    # Both steps were offered the LangChain tools, converted to OpenAI function tools.
    offered = [[t["function"]["name"] for t in tools] for _, _, tools in provider.seen]
    assert offered == [["get_weather", "to_fahrenheit"]] * 2
    final = agent.invoke({"messages": [("user", "What is the weather in Paris?")]}, context=context)
    results = [m.content for m in final["messages"] if isinstance(m, ToolMessage)]
    assert results == ["18C and sunny in Paris"]
