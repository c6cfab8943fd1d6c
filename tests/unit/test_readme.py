"""The README's graph picture and test command stay in step with the code and CI."""

from __future__ import annotations

from pathlib import Path

from asymroute.settings import Settings
from graphs.router import build_router

README = Path(__file__).resolve().parents[2] / "README.md"
CI_SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "run"


def test_readme_mermaid_matches_the_compiled_graph() -> None:
    drawn = build_router(Settings(_env_file=None)).get_graph().draw_mermaid()  # type: ignore[call-arg]
    body = drawn[drawn.index("graph TD;") :].strip()
    assert f"```mermaid\n{body}\n```" in README.read_text()


def test_ci_runs_the_readme_test_command() -> None:
    text = README.read_text()
    marker = text.index("<!-- test-command -->")
    command = text[marker:].splitlines()[2]
    assert command.endswith("&& pytest") and "pip install -e" in command
    assert command in CI_SCRIPT.read_text().splitlines()
