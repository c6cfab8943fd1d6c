"""Reading and writing the trained-model files (router, answer scorer): one JSON document each.

Writes go to a temporary file beside the target and replace it in one step, so a failed or
interrupted `asymroute train -o FILE` never leaves a half-written model where a gateway would
load it.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from asymroute.errors import ConfigurationError


def write_json_file(
    path: str | Path, data: Any, *, what: str, error: type[ConfigurationError]
) -> None:
    """Write `data` to `path` atomically; `error(...)` names `what` and the file on failure."""
    out = Path(path)
    text = json.dumps(data, indent=1) + "\n"
    temporary: str | None = None
    try:
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{out.name}.", suffix=".tmp", dir=out.parent
        )
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        # mkstemp makes the file private (0600); give it the mode a plain write would have.
        os.chmod(temporary, _mode_for(out))
        os.replace(temporary, out)
        temporary = None
    except OSError as exc:
        raise error(f"cannot write {what} {out}: {exc.strerror or exc}") from None
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)


def _mode_for(out: Path) -> int:
    """The replaced file's own permissions, else the default for new files (0666 - umask)."""
    try:
        return out.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def read_json_file(path: str | Path, *, what: str, error: type[ConfigurationError]) -> Any:
    """The JSON document at `path`; `error(...)` names `what` and the file when it is unusable."""
    file = Path(path)
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{what} {file} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"{what} {file} is not readable JSON ({exc})") from None


def read_router_file(
    path: str | Path,
    file_format: str,
    *,
    kind: str,
    train_hint: str,
    error: type[ConfigurationError],
) -> dict[str, Any]:
    """A router file's JSON object, checked to be of `file_format` (else `error` says which kind
    of router it is not, and how to train one)."""
    data = read_json_file(path, what="router file", error=error)
    if not isinstance(data, dict) or data.get("format") != file_format:
        raise error(
            f"router file {Path(path)} is not {kind} (expected format {file_format!r}); "
            f"train one with `{train_hint}`"
        )
    return data


def inner_cv_phrase(meta: dict[str, Any], recipe: str) -> str:
    """How a router file's recipe was chosen, for its one-line summary."""
    cv = (meta.get("inner_cv_apgr") or {}).get(recipe)
    return f"inner-CV APGR {cv:.3f}" if cv is not None else "fixed recipe (no CV)"
