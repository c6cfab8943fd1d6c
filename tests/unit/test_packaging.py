"""graphs/ and nodes/ are installed under the project's namespace, as asymroute.graphs and
asymroute.nodes (links in asymroute/), and nothing imports them by their folder names, which
PyPI's `graphs` and `nodes` distributions also claim."""

from __future__ import annotations

import ast
import importlib.util
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINKED = ("graphs", "nodes")
CODE = ("asymroute", *LINKED, "tests", "bench", "examples")


def test_graphs_and_nodes_are_packages_of_the_namespace() -> None:
    for folder in LINKED:
        link = ROOT / "asymroute" / folder
        assert link.is_symlink() and link.resolve() == ROOT / folder
        spec = importlib.util.find_spec(f"asymroute.{folder}")
        assert spec is not None and spec.origin is not None
        assert Path(spec.origin).resolve() == ROOT / folder / "__init__.py"


def test_only_the_namespace_is_installed() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert setuptools["packages"]["find"]["include"] == ["asymroute*"]


def top_level_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_nothing_imports_graphs_or_nodes_by_their_folder_names() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for folder in CODE
        for path in (ROOT / folder).rglob("*.py")
        if ".venv" not in path.parts and top_level_imports(path) & set(LINKED)
    ]
    assert offenders == []
