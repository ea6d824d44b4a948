"""Values addressed by paths (keys and list positions), as the template loader reads a template."""
from __future__ import annotations

from typing import Any

MISSING = object()


class PatchError(Exception):
    """An edit that cannot be made safely; the message says why."""


def dotted(path: tuple) -> str:
    return ".".join(f"[{step}]" if isinstance(step, int) else str(step) for step in path).replace(".[", "[")


def plain(value: Any) -> Any:
    """A deep copy made of plain dicts and lists (the loader's LineDicts dropped)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def nest(steps: tuple, value: Any) -> Any:
    for step in reversed(steps):
        if isinstance(step, int) and step != 0:
            raise PatchError(f"cannot create item [{step}] of a new list")
        value = [value] if isinstance(step, int) else {step: value}
    return value


def at(data: Any, path: tuple) -> Any:
    for step in path:
        if isinstance(data, dict) and step in data:
            data = data[step]
        elif isinstance(data, list) and isinstance(step, int) and 0 <= step < len(data):
            data = data[step]
        else:
            return MISSING
    return data
