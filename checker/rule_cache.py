"""A per-user cache of the compiled rule pack, so a scan does not re-parse unchanged rule files.

The key covers every rule file's path, size and modification time and the engine's own version and
sources; anything unreadable or stale is simply rebuilt. Set CHECKER_NO_CACHE=1 to bypass it.
"""
from __future__ import annotations

import os
import pickle
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from checker import __version__

_ENGINE_SOURCES = ("rules.py", "expressions.py", "load.py")


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "checker"


def _key(files: list[Path]) -> str:
    package = Path(__file__).resolve().parent
    parts = [__version__]
    for path in files + [package / name for name in _ENGINE_SOURCES]:
        stat = path.stat()
        parts.append(f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}")
    return "\n".join(parts)


def cached(files: list[Path], build: Callable[[], Any]) -> Any:
    """`build()`, or its stored value when none of `files` (nor the engine) changed since."""
    if os.environ.get("CHECKER_NO_CACHE"):
        return build()
    key = _key(files)
    path = cache_dir() / f"rules-{zlib.crc32(key.encode()):08x}.pickle"
    try:
        with path.open("rb") as handle:
            stored_key, value = pickle.load(handle)
        if stored_key == key:
            return value
    except (OSError, pickle.PickleError, EOFError, ValueError, AttributeError, ImportError, TypeError):
        pass
    value = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        import tempfile  # only when the cache is (re)written: a warm start does without it

        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".rules-")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump((key, value), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
        _prune(path.parent)
    except OSError:
        pass  # a read-only home only costs speed
    return value


def _prune(directory: Path, keep: int = 8) -> None:
    """Keep only the most recently written packs (one per rule set in use, typically)."""
    packs = sorted(directory.glob("rules-*.pickle"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for stale in packs[keep:]:
        stale.unlink(missing_ok=True)
