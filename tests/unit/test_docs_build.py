"""The docs site builds strictly with no network: no web fonts, social cards or inventories.

The unit-test fixtures refuse every socket connection (and fail the test if one was tried,
even when the caller swallowed the error), so a plugin that fetches anything fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_docs_site_builds_strictly_offline(tmp_path: Path) -> None:
    config_module = pytest.importorskip("mkdocs.config")
    build_module = pytest.importorskip("mkdocs.commands.build")

    site = tmp_path / "site"
    config = config_module.load_config(str(ROOT / "mkdocs.yml"), site_dir=str(site), strict=True)
    build_module.build(config)

    assert (site / "index.html").is_file()
    assert "build_router" in (site / "api" / "index.html").read_text()
    assert "fonts.googleapis.com" not in (site / "index.html").read_text()
