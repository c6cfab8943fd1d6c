"""The load benchmark runs end to end (small numbers): its README figures stay reproducible.

It also drives `asymroute serve` with both tiers on the instant stub, the local one over
Ollama's API, through the aiohttp transports `serve` picks: every request must succeed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_gateway_load_bench_runs_without_errors() -> None:
    command = [
        sys.executable, str(ROOT / "bench" / "gateway_load.py"),
        "--requests", "60", "--concurrency", "20", "--sequential", "10", "--local", "ollama",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "errors: 0" in done.stdout
    assert "tiers answered: {" in done.stdout and "'local': " in done.stdout
    assert "gateway's own overhead" in done.stdout
