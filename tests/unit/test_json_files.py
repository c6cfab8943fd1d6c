"""Model files are written whole or not at all, and unusable ones are named with the problem."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from asymroute.errors import ConfigurationError
from asymroute.json_files import read_json_file, write_json_file


class ExampleFileError(ConfigurationError):
    pass


def test_round_trip(tmp_path: Path) -> None:
    target = tmp_path / "router.json"
    write_json_file(target, {"weights": [1.5, -2]}, what="router file", error=ExampleFileError)
    assert read_json_file(target, what="router file", error=ExampleFileError) == {
        "weights": [1.5, -2]
    }
    assert [p.name for p in tmp_path.iterdir()] == ["router.json"]


def test_the_file_gets_ordinary_permissions_not_the_temporary_files(tmp_path: Path) -> None:
    fresh, kept = tmp_path / "fresh.json", tmp_path / "kept.json"
    umask = os.umask(0o022)
    try:
        write_json_file(fresh, {}, what="router file", error=ExampleFileError)
    finally:
        os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o644
    kept.write_text("{}", encoding="utf-8")
    kept.chmod(0o640)
    write_json_file(kept, {"new": True}, what="router file", error=ExampleFileError)
    assert kept.stat().st_mode & 0o777 == 0o640


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "router.json"
    target.write_text('{"old": true}\n', encoding="utf-8")

    def disk_full(source: str, destination: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(ExampleFileError, match=r"cannot write router file .*No space left"):
        write_json_file(target, {"new": True}, what="router file", error=ExampleFileError)
    assert json.loads(target.read_text(encoding="utf-8")) == {"old": True}
    assert [p.name for p in tmp_path.iterdir()] == ["router.json"]


def test_a_missing_directory_is_named(tmp_path: Path) -> None:
    target = tmp_path / "no-such-dir" / "router.json"
    with pytest.raises(ExampleFileError, match=r"cannot write router file .*no-such-dir"):
        write_json_file(target, {}, what="router file", error=ExampleFileError)


def test_unreadable_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(ExampleFileError, match=r"scorer file .*missing\.json does not exist"):
        read_json_file(tmp_path / "missing.json", what="scorer file", error=ExampleFileError)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(ExampleFileError, match=r"scorer file .*broken\.json is not readable JSON"):
        read_json_file(broken, what="scorer file", error=ExampleFileError)
