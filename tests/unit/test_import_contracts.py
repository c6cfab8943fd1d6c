"""The import contracts of pyproject.toml ([tool.importlinter]) hold: the layers, no cycles.

One test per contract, each run through `lint-imports` as CI runs it, which prints the broken
import chains.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from importlinter import api

PROJECT = Path(__file__).resolve().parents[2]
PYPROJECT = PROJECT / "pyproject.toml"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def contracts() -> list[dict[str, object]]:
    return list(api.read_configuration(str(PYPROJECT))["contracts_options"])


def contract_ids() -> list[str]:
    return [str(contract["id"]) for contract in contracts()]


@pytest.mark.parametrize("contract_id", contract_ids())
def test_import_contract_is_kept(contract_id: str) -> None:
    run = lint_imports(contract_id)
    assert run.returncode == 0, f"contract {contract_id!r} is broken:\n{run.stdout}{run.stderr}"


def lint_imports(contract_id: str) -> subprocess.CompletedProcess[str]:
    """The command CI runs, for one contract; no cache, so the graph is built from the source
    (function-level imports count too), in well under a second."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", "--contract", contract_id],
        cwd=PROJECT,
        env={**os.environ, "COLUMNS": "400"},  # one import per line, unwrapped
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_contracts_cover_every_top_level_module_of_the_product() -> None:
    """A new module of asymroute/ must be placed in the layers, not left unchecked."""
    (layers,) = [c["layers"] for c in contracts() if c["id"] == "layers"]
    assert isinstance(layers, list)
    layered = {name.strip().strip("()") for layer in layers for name in re.split(r"[|:]", layer)}
    package = PYPROJECT.parent / "asymroute"
    names = {
        path.stem if path.is_file() else path.name
        for path in package.iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").is_file()
    }
    missing = sorted(n for n in names if f"asymroute.{n}" not in layered)
    assert not missing, f"put these modules in a layer of [tool.importlinter]: {missing}"
