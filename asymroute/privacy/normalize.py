"""Views of a text that detectors scan, each mapped back to the original's offsets.

Sensitive values are easy to disguise without changing what they are: fullwidth digits
(`４１１１…`), a fullwidth `＠`, a zero-width space inside a key, a key wrapped over two lines.
Detectors therefore scan:
- the normalised view: NFKC (fullwidth and compatibility forms become ASCII), with zero-width
  and other invisible format characters removed;
- the joined view: the normalised view with short whitespace runs between two letters or
  digits removed too, for values split by a space or a line break (`AKIA… \\n …`). Only
  detectors whose matches are unambiguous when joined (fixed prefixes, checksums) use it.
A finding's span in a view maps back to the span of original characters it came from, so
redaction replaces exactly what was sent, disguise included.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass

INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e")
"""Zero-width space, (non-)joiner, word joiner, BOM, soft hyphen, Mongolian vowel separator."""
JOINABLE_GAP = re.compile(
    r"(?<=[A-Za-z0-9])(?=[ \t\r\n])[ \t]{0,2}(?:\r?\n)?[ \t]{0,2}(?=[A-Za-z0-9])"
)
"""At most two spaces, one line break, and two more spaces, between two letters or digits."""


@dataclass(frozen=True)
class View:
    text: str
    origin: tuple[int, ...] | None = None
    """origin[i]: the index in the original text of the character `text[i]` came from;
    None when they are the same (ASCII text, the common case: no map is built)."""

    def index(self, position: int) -> int:
        return position if self.origin is None else self.origin[position]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of view characters [start, end)."""
        return self.index(start), self.index(end - 1) + 1


@dataclass(frozen=True)
class JoinedView(View):
    base: View = View("")
    cuts: tuple[tuple[int, int], ...] = ()
    """(position in this view, characters removed before it so far), one per removed gap."""

    def index(self, position: int) -> int:
        at = bisect.bisect_right(self.cuts, (position, len(self.base.text)))
        removed = self.cuts[at - 1][1] if at else 0
        return self.base.index(position + removed)


def _fold(char: str) -> str:
    if char in INVISIBLE or unicodedata.category(char) == "Cf":
        return ""
    return char if char.isascii() else unicodedata.normalize("NFKC", char)


def normalized(text: str) -> View:
    if text.isascii():
        return View(text)
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        folded = _fold(char)
        chars.append(folded)
        origin.extend([index] * len(folded))
    return View("".join(chars), tuple(origin))


def joined(view: View) -> View:
    """`view` with the whitespace inside wrapped or spaced-out tokens removed."""
    pieces: list[str] = []
    cuts: list[tuple[int, int]] = []
    cursor = removed = 0
    for gap in JOINABLE_GAP.finditer(view.text):
        pieces.append(view.text[cursor : gap.start()])
        removed += gap.end() - gap.start()
        cursor = gap.end()
        cuts.append((cursor - removed, removed))
    if not cuts:
        return view
    pieces.append(view.text[cursor:])
    return JoinedView("".join(pieces), base=view, cuts=tuple(cuts))
