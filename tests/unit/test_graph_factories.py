"""Graphs are built by factories, once per process: importing builds nothing, `asymroute chat`
builds one router, and the LangGraph server's factories share one router between its graphs.

The import checks run in a fresh interpreter: in this one, other tests imported the modules
long ago, and what an import does happens only the first time.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

import asymroute.graphs.served
from asymroute.context import RouterContext
from asymroute.graphs.served import ServedGraphs
from asymroute.settings import Settings

ROOT = Path(__file__).resolve().parents[2]

REFUSE_BUILDING = """
import importlib, pkgutil, sys
import pydantic_settings
import asymroute.settings
from langgraph.graph.state import StateGraph

def refuse(*args, **kwargs):
    raise AssertionError("importing a module built a graph or loaded settings")

StateGraph.compile = refuse
pydantic_settings.BaseSettings.__init__ = refuse
asymroute.settings.load_settings = refuse
"""

IMPORT_EVERY_GRAPH_MODULE = """
import asymroute.graphs, asymroute.cli
names = [f"asymroute.graphs.{m.name}" for m in pkgutil.iter_modules(asymroute.graphs.__path__)]
names += [f"asymroute.cli.{name}" for name in asymroute.cli.COMMANDS]
names += ["asymroute.gateway.app"]
for name in names:
    importlib.import_module(name)
print(json.dumps(names))
"""

COUNT_BUILDS_IN_CHAT = """
import io, json, sys
from collections import Counter
from langgraph.graph.state import StateGraph
from asymroute.planning import RouterSetup

compiled, setups = Counter(), []
compile, build = StateGraph.compile, RouterSetup.build.__func__

def counted_compile(self, *args, **kwargs):
    compiled[kwargs.get("name")] += 1
    return compile(self, *args, **kwargs)

def counted_build(cls, *args, **kwargs):
    setups.append(1)
    return build(cls, *args, **kwargs)

StateGraph.compile = counted_compile
RouterSetup.build = classmethod(counted_build)
sys.stdin = io.StringIO("")  # no turns: the session only builds its graphs
from asymroute.cli import main
code = main(["chat", "--classifier", "heuristic"])
print(json.dumps({"code": code, "compiled": compiled, "setups": len(setups)}))
"""


def run_python(code: str, tmp_path: Path) -> Any:
    env = {"PATH": "", "ASYMROUTE_CHECKPOINT_PATH": str(tmp_path / "cp.sqlite")}
    env |= {"LANGSMITH_TRACING": "false", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_importing_the_graphs_and_their_callers_builds_nothing(tmp_path: Path) -> None:
    imported = run_python("import json\n" + REFUSE_BUILDING + IMPORT_EVERY_GRAPH_MODULE, tmp_path)

    assert {
        "asymroute.graphs.router",
        "asymroute.graphs.chat",
        "asymroute.graphs.workflow",
        "asymroute.graphs.served",
    } <= set(imported)
    assert "asymroute.cli.chat" in imported


def test_the_import_check_sees_a_module_that_builds_a_graph(tmp_path: Path) -> None:
    builds = REFUSE_BUILDING + "from asymroute.graphs.router import build_router\nbuild_router()\n"
    done = subprocess.run([sys.executable, "-c", builds], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode != 0 and "built a graph or loaded settings" in done.stderr


def test_a_chat_session_builds_one_router_and_one_chat_graph(tmp_path: Path) -> None:
    counts = run_python(COUNT_BUILDS_IN_CHAT, tmp_path)

    assert counts == {"code": 0, "compiled": {"router": 1, "chat": 1}, "setups": 1}


def test_the_chat_and_workflow_graphs_call_the_router_they_are_given(
    monkeypatch: pytest.MonkeyPatch, fake_provider: Any
) -> None:
    defaults = RouterContext(local_model="fake:good", frontier_model="fake:frontier")
    served = ServedGraphs.build(Settings(_env_file=None), defaults)  # type: ignore[call-arg]
    calls: list[Any] = []
    invoke = served.router.invoke
    monkeypatch.setattr(served.router, "invoke", lambda *a, **k: calls.append(a) or invoke(*a, **k))

    thread = {"configurable": {"thread_id": "t"}}
    served.chat(InMemorySaver()).invoke({"messages": [("user", "What is 2+3?")]}, thread)
    assert len(calls) == 1
    served.workflow().invoke({"task": "Add up.", "steps": ["What is 2+3?"]})
    assert len(calls) > 1


def test_the_server_factories_build_once_and_share_one_router(
    monkeypatch: pytest.MonkeyPatch, fake_provider: Any
) -> None:
    builds: list[ServedGraphs] = []
    real_build = ServedGraphs.build.__func__  # type: ignore[attr-defined]

    def counted(cls: type[ServedGraphs], *args: Any, **kwargs: Any) -> ServedGraphs:
        built = real_build(cls, Settings(_env_file=None))  # type: ignore[call-arg]
        builds.append(built)
        return built

    monkeypatch.setattr(ServedGraphs, "build", classmethod(counted))
    monkeypatch.setattr(
        asymroute.graphs.served, "_server_graphs", asymroute.graphs.served._BuiltOnFirstUse()
    )

    async def serve_twice() -> list[Any]:
        factories = (
            asymroute.graphs.served.router,
            asymroute.graphs.served.chat,
            asymroute.graphs.served.workflow,
        )
        first = await asyncio.gather(*(factory() for factory in factories))
        return [*first, *[await factory() for factory in factories]]

    router, chat, workflow, *again = asyncio.run(serve_twice())

    assert len(builds) == 1 and router is builds[0].router
    assert again == [router, chat, workflow]
    assert (router.name, chat.name, workflow.name) == ("router", "chat", "workflow")


def test_langgraph_json_names_the_server_factories() -> None:
    served = json.loads((ROOT / "langgraph.json").read_text())["graphs"]

    assert served == {
        name: f"asymroute.graphs.served:{name}" for name in ("router", "workflow", "chat")
    }
    for name in served:
        factory = getattr(asymroute.graphs.served, name)
        assert asyncio.iscoroutinefunction(factory)
        assert factory.__code__.co_argcount == 0  # the server calls it with no arguments
