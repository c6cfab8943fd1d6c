"""The architecture page's layer diagram, rendered from the import contracts in pyproject.toml.

    python -m tests.support.layer_diagram      # prints the diagram's text block

The page carries it after the line `MARKER`, in a ```text block;
tests/unit/test_layer_diagram.py fails when the block and the contracts differ.
"""

from __future__ import annotations

import re
import textwrap
import tomllib
from pathlib import Path
from typing import Any

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
MARKER = "<!-- layers: python -m tests.support.layer_diagram -->"
WIDTH = 96


def contracts(pyproject: Path = PYPROJECT) -> list[dict[str, Any]]:
    with pyproject.open("rb") as handle:
        return list(tomllib.load(handle)["tool"]["importlinter"]["contracts"])


def render(pyproject: Path = PYPROJECT) -> str:
    """Each layers contract top to bottom, then the other rules."""
    lines = [
        "Each layer may import the layers below it, never one above.",
        "a | b: independent (neither imports the other); a : b: may import each other.",
    ]
    rules = []
    for contract in contracts(pyproject):
        if contract["type"] == "layers":
            lines += ["", f"{contract['name']}:"]
            for layer in contract["layers"]:
                lines += _layer_lines(layer)
        elif contract["type"] == "forbidden":
            forbidden = ", ".join(contract["forbidden_modules"])
            sources = ", ".join(contract["source_modules"])
            rules.append(f"{sources} never imports {forbidden}: {contract['name']}")
        else:
            rules.append(contract["name"])
    lines += ["", "Also:", *(f"- {rule}" for rule in rules)]
    return "\n".join(lines) + "\n"


def _layer_lines(layer: str) -> list[str]:
    delimiter = "|" if "|" in layer else ":"
    names = [name.strip() for name in re.split(r"[|:]", layer)]
    text = f" {delimiter} ".join(names)
    return textwrap.wrap(text, WIDTH, initial_indent="  ", subsequent_indent="      ")


def block_on(page: Path) -> str | None:
    """The text block after the marker on `page`; None when the page has no marker."""
    text = page.read_text(encoding="utf-8")
    if MARKER not in text:
        return None
    found = re.search(r"```text\n(.*?)```", text.split(MARKER, 1)[1], re.DOTALL)
    return found.group(1) if found else ""


if __name__ == "__main__":
    print(render(), end="")
