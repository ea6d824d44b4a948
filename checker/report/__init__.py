"""Reports. Every format is rendered from one payload (see payload.py) and written atomically."""
from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_atomic(path: str | Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same directory, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _json(payload: dict) -> str:
    return json.dumps(payload, indent=2, default=str) + "\n"


# Format name -> renderer of the payload. Each renderer is a pure function payload -> text.
FORMATS: dict[str, Callable[[dict], str]] = {"json": _json}


def write_reports(payload: dict, targets: dict[str, str | None]) -> list[str]:
    """Write each requested format; a failure in one does not stop the others. Returns the failures."""
    failures = []
    for name, path in targets.items():
        if not path:
            continue
        try:
            write_atomic(path, FORMATS[name](payload))
        except (OSError, ValueError) as exc:
            failures.append(f"{path}: could not write the {name} report: {exc}")
    return failures
