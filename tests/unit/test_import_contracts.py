"""The import contracts of pyproject.toml ([tool.importlinter]) hold: the layers, no cycles.

One test per contract, each run through `lint-imports` as CI runs it, which prints the broken
import chains. A contract another engineer is fixing right now is
xfail(strict=True): when the fix lands, its test passes, strict xfail fails, and the marker goes.
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
IN_FLIGHT: dict[str, tuple[str, set[tuple[str, str]]]] = {}
"""Contract id -> (why it is broken today, the imports that break it): another branch of issue 19
removes exactly these imports."""


def contracts() -> list[dict[str, object]]:
    return list(api.read_configuration(str(PYPROJECT))["contracts_options"])


def contract_ids() -> list[str]:
    return [str(contract["id"]) for contract in contracts()]


@pytest.mark.parametrize(
    "contract_id",
    [
        pytest.param(cid, marks=pytest.mark.xfail(strict=True, reason=IN_FLIGHT[cid][0]))
        if cid in IN_FLIGHT
        else cid
        for cid in contract_ids()
    ],
)
def test_import_contract_is_kept(contract_id: str) -> None:
    run = lint_imports(contract_id)
    assert run.returncode == 0, f"contract {contract_id!r} is broken:\n{run.stdout}{run.stderr}"


@pytest.mark.parametrize("contract_id", sorted(IN_FLIGHT))
def test_a_contract_being_fixed_is_broken_by_nothing_else(contract_id: str) -> None:
    """While its fix is in flight, no new import may break the contract unnoticed."""
    run = lint_imports(contract_id)
    broken = set(re.findall(r"([\w.]+) -> ([\w.]+)", run.stdout))
    assert run.returncode == 0 or broken, run.stdout  # broken, so its imports must be listed
    assert broken <= IN_FLIGHT[contract_id][1], run.stdout


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


def test_in_flight_exceptions_name_real_contracts() -> None:
    assert set(IN_FLIGHT) <= set(contract_ids())


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
