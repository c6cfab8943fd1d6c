"""The architecture page's layer diagram lists the same layers as the import contracts."""

from __future__ import annotations

from pathlib import Path

from tests.support.layer_diagram import MARKER, block_on, render

PROJECT = Path(__file__).resolve().parents[2]
PAGE = PROJECT / "docs" / "architecture.md"


def test_the_architecture_page_shows_the_contracts_layers() -> None:
    block = block_on(PAGE)
    assert block is not None, f"{PAGE} carries no diagram after {MARKER!r}"
    assert block == render(), (
        f"{PAGE} shows other layers than pyproject.toml's import contracts; "
        "paste `python -m tests.support.layer_diagram` there"
    )


def test_the_diagram_renders_layers_top_down_and_the_other_rules(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        """
[[tool.importlinter.contracts]]
id = "a"
name = "top > bottom"
type = "layers"
layers = ["app", "x | y", "z : w"]

[[tool.importlinter.contracts]]
id = "b"
name = "x stays pure"
type = "forbidden"
source_modules = ["x"]
forbidden_modules = ["app"]
""",
        encoding="utf-8",
    )

    text = render(pyproject)

    assert text.endswith(
        "top > bottom:\n  app\n  x | y\n  z : w\n\nAlso:\n- x never imports app: x stays pure\n"
    )


def test_a_page_without_the_marker_has_no_diagram(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Architecture\n\n```text\nanything\n```\n", encoding="utf-8")
    assert block_on(page) is None
    page.write_text(f"{MARKER}\n\n```text\nlayers\n```\n", encoding="utf-8")
    assert block_on(page) == "layers\n"
