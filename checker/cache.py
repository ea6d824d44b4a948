"""A per-user cache of expensive, deterministic transformations, stored as JSON under a content hash.

The key is a SHA-256 over everything the result depends on (the input bytes, the versions of the code
that computes it), so an entry is either exactly right or never found; a stored entry is data, never
code. Unreadable or damaged entries are recomputed. CHECKER_NO_CACHE=1 bypasses the cache.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

_KEEP = 256  # entries kept; the oldest are removed beyond that


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "checker"


def cached_json(kind: str, parts: Sequence[bytes | str], compute: Callable[[], Any]) -> Any:
    """`compute()`, or its stored result for the same `parts`."""
    if os.environ.get("CHECKER_NO_CACHE"):
        return compute()
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    path = cache_dir() / f"{kind}-{digest.hexdigest()}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    value = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        temporary.write_text(json.dumps(value), encoding="utf-8")
        os.replace(temporary, path)
        _prune(path.parent, kind)
    except OSError:
        pass  # a read-only home only costs time
    return value


def _prune(directory: Path, kind: str) -> None:
    entries = sorted(directory.glob(f"{kind}-*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for stale in entries[_KEEP:]:
        stale.unlink(missing_ok=True)
