"""A progress bar on stderr for long offline runs (evaluation, training, calibration).

    with Progress(total=len(prompts), label="scoring") as bar:
        for prompt in prompts:
            ...
            bar.advance()

It redraws at most every `interval_s` seconds, only when stderr is a terminal (or `enabled=True`
is forced), and always leaves the line clean, so piped output and `--json` stay parseable.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

BAR_WIDTH = 30


class Progress:
    def __init__(
        self,
        total: int,
        label: str = "",
        *,
        stream: TextIO | None = None,
        enabled: bool | None = None,
        interval_s: float = 0.1,
    ) -> None:
        self.total = max(int(total), 0)
        self.label = label
        self.done = 0
        self._stream = stream if stream is not None else sys.stderr
        self._enabled = self._stream.isatty() if enabled is None else enabled
        self._interval_s = interval_s
        self._started = time.monotonic()
        self._drawn_at = 0.0
        self._drew = False

    def advance(self, steps: int = 1) -> None:
        self.done = min(self.done + steps, self.total) if self.total else self.done + steps
        now = time.monotonic()
        if self._enabled and (now - self._drawn_at >= self._interval_s or self.done == self.total):
            self._drawn_at = now
            self._draw(now)

    def render(self, now: float | None = None) -> str:
        """The bar's text: `label [#####-----]  50% 500/1000 1.2s`."""
        elapsed = (now if now is not None else time.monotonic()) - self._started
        share = self.done / self.total if self.total else 1.0
        filled = round(share * BAR_WIDTH)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        prefix = f"{self.label} " if self.label else ""
        return f"{prefix}[{bar}] {share:4.0%} {self.done}/{self.total} {elapsed:.1f}s"

    def _draw(self, now: float) -> None:
        self._stream.write("\r" + self.render(now))
        self._stream.flush()
        self._drew = True

    def close(self) -> None:
        if self._drew:
            self._stream.write("\n")
            self._stream.flush()
            self._drew = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
