"""Progress on a terminal for long runs: one rewritten line on stderr, never in logs or pipes."""
from __future__ import annotations

import sys
from typing import TextIO

_WIDTH = 78


class Progress:
    """Shows `[done/total] label` on one line; silent unless `stream` is a terminal and not `quiet`.

    Pass `step` as the progress callback of a scan (or any loop); call `close` when the work is done.
    """

    def __init__(self, what: str, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.what = what
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = not quiet and _is_terminal(self.stream)
        self._shown = False

    def step(self, done: int, total: int, label: str) -> None:
        if not self.enabled:
            return
        line = f"{self.what} [{done}/{total}] {label}"
        if len(line) > _WIDTH:
            line = line[:_WIDTH - 3] + "..."
        self.stream.write(f"\r{line.ljust(_WIDTH)}")
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        """Erase the progress line so that what follows starts on a clean line."""
        if self._shown:
            self.stream.write(f"\r{' ' * _WIDTH}\r")
            self.stream.flush()
            self._shown = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
