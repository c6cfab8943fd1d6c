"""Product code, tests and benches use LangGraph's public API only: its private modules change
in minor releases."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CODE = ("asymroute", "graphs", "nodes", "tests", "bench", "examples")
PRIVATE = re.compile(r"^\s*(from|import)\s+langgraph(\.\w+)*\._\w*", re.MULTILINE)


def private_imports() -> list[str]:
    found = []
    for package in CODE:
        for path in sorted((ROOT / package).rglob("*.py")):
            for match in PRIVATE.finditer(path.read_text(encoding="utf-8")):
                found.append(f"{path.relative_to(ROOT)}: {match.group(0).strip()}")
    return found


def test_no_module_imports_a_private_langgraph_module() -> None:
    assert private_imports() == []


def test_the_check_sees_a_private_import() -> None:
    assert PRIVATE.search("from langgraph._internal._runnable import RunnableCallable")
    assert PRIVATE.search("import langgraph.pregel._algo")
    assert not PRIVATE.search("from langgraph.runtime import get_runtime")
