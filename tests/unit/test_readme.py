"""The README and the docs site stay in step with the code and CI.

`mkdocs build --strict` (in CI) checks links between docs pages; these tests check what it
cannot see: the README and `bench/README.md` sit outside the site, the graph pictures must
equal the compiled graphs, and the README must stay a front door.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from asymroute.context import RouterContext
from asymroute.gateway.settings import GatewaySettings
from asymroute.graphs.chat import build_chat
from asymroute.graphs.router import build_router
from asymroute.graphs.workflow import build_workflow
from asymroute.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
CI_SCRIPT = ROOT / ".ci" / "run"
DOCS = ROOT / "docs"
README_MAX_LINES = 250

GRAPHS: dict[str, Callable[[Settings], Any]] = {
    "router": build_router,
    "workflow": lambda settings: build_workflow(build_router(settings)),
    "chat": lambda settings: build_chat(build_router(settings)),
}
DRAWN_ON: dict[str, tuple[Path, ...]] = {
    "router": (README, DOCS / "concepts.md"),
    "workflow": (DOCS / "workflows.md",),
    "chat": (DOCS / "workflows.md",),
}
"""Each graph and the pages that draw it."""

MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)


def drawing(name: str) -> str:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    drawn = GRAPHS[name](settings).get_graph().draw_mermaid()
    body = drawn[drawn.index("graph TD;") :].strip()
    return f"```mermaid\n{body}\n```"


def documentation_files() -> list[Path]:
    return [README, ROOT / "bench" / "README.md", *sorted(DOCS.rglob("*.md"))]


def relative_links(page: Path) -> list[str]:
    """Link targets in a page's prose (code blocks left out), other than web addresses."""
    prose = FENCE.sub("", page.read_text())
    targets = [match.group(1) for match in MARKDOWN_LINK.finditer(prose)]
    return [target for target in targets if not urlsplit(target).scheme]


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_every_page_that_draws_a_graph_draws_the_compiled_one(name: str) -> None:
    expected = drawing(name)
    for page in DRAWN_ON[name]:
        assert expected in page.read_text(), f"{page.relative_to(ROOT)}: {name} diagram is stale"


def test_every_mermaid_diagram_is_one_of_the_graphs() -> None:
    drawings = {drawing(name) for name in GRAPHS}
    for page in documentation_files():
        for block in re.findall(r"```mermaid\n.*?\n```", page.read_text(), re.DOTALL):
            assert block in drawings, f"{page.relative_to(ROOT)} draws a graph that is not built"


def test_ci_runs_the_readme_test_command() -> None:
    text = README.read_text()
    marker = text.index("<!-- test-command -->")
    command = text[marker:].splitlines()[2]
    assert command.endswith("&& pytest") and "pip install -e" in command
    assert command in CI_SCRIPT.read_text().splitlines()


def test_ci_builds_the_docs_strictly() -> None:
    lines = CI_SCRIPT.read_text().splitlines()
    assert any("mkdocs build --strict" in line and not line.startswith("#") for line in lines)


def table_column(text: str, column: int) -> set[str]:
    """The cells of one column in every Markdown table row of a text."""
    rows = [line.split("|") for line in text.splitlines() if line.startswith("|")]
    return {row[column].strip() for row in rows if len(row) > column + 1}


def test_the_configuration_reference_names_every_setting_and_context_field() -> None:
    reference = (DOCS / "configuration.md").read_text()
    settings = {f"`{name}`" for name in GatewaySettings.model_fields}  # the router's too
    context = {f"`{field.name}`" for field in dataclasses.fields(RouterContext)}
    assert settings - table_column(reference, 2) == set()  # | variable | field | ...
    assert context - table_column(reference, 1) == set()  # | field | default | ...


def test_readme_is_a_front_door() -> None:
    lines = README.read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines"


def test_every_relative_link_resolves() -> None:
    broken = []
    for page in documentation_files():
        for target in relative_links(page):
            path = unquote(urlsplit(target).path)
            if path and not (page.parent / path).exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert broken == []


def anchors(page: Path) -> set[str]:
    """The heading ids of a page, as MkDocs (and, for these headings, GitHub) make them."""
    from markdown.extensions.toc import slugify

    prose = FENCE.sub("", page.read_text())
    headings = re.findall(r"^#{1,6} (.+)$", prose, re.MULTILINE)
    return {slugify(heading, "-") for heading in headings}


def test_every_anchor_in_a_link_exists() -> None:
    broken = []
    for page in documentation_files():
        for target in relative_links(page):
            parts = urlsplit(target)
            linked = page.parent / unquote(parts.path) if parts.path else page
            if parts.fragment and linked.suffix == ".md" and parts.fragment not in anchors(linked):
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert broken == []


def test_readme_links_to_every_docs_page() -> None:
    linked = {
        (README.parent / unquote(urlsplit(target).path)).resolve()
        for target in relative_links(README)
    }
    missing = [page.name for page in sorted(DOCS.glob("*.md")) if page.resolve() not in linked]
    assert missing == []


def test_the_link_checker_sees_a_broken_link(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](page.md) [gone](missing.md#x) [web](https://example.com)\n"
        "```\n[in code](not-a-link.md)\n```\n"
    )
    assert relative_links(page) == ["page.md", "missing.md#x"]


def test_anchors_are_the_headings_ids(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n## Graph `chat` (one turn)\n\n```\n# not a heading\n```\n")
    assert anchors(page) == {"title", "graph-chat-one-turn"}
