"""The conversational development sets in `bench/data` (never trained on), as labelled turns.

`conversations_dev.jsonl` labels each item's last turn (`frontier` is one bool);
`conversations_mtstyle_dev.jsonl` labels every turn (`frontier` is a list, one per turn).
"""

from __future__ import annotations

import json
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"
CONVERSATIONS_DEV = DATA / "conversations_dev.jsonl"
MTSTYLE_DEV = DATA / "conversations_mtstyle_dev.jsonl"
SETS = (CONVERSATIONS_DEV, MTSTYLE_DEV)


def labelled_turns(path: Path) -> list[tuple[list[str], bool]]:
    """(the user turns up to the scored one, whether it needs the frontier), per labelled turn."""
    out: list[tuple[list[str], bool]] = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        labels = item["frontier"]
        if isinstance(labels, bool):
            out.append((item["turns"], labels))
        else:
            out.extend((item["turns"][: k + 1], bool(label)) for k, label in enumerate(labels))
    return out
