"""Progress on a terminal for long runs: one rewritten line on stderr, never in logs or pipes."""
from __future__ import annotations

import sys
from typing import TextIO

from checker.project.paths import shown_path
from checker.report.terminal import is_terminal, width_of

_DEFAULT_WIDTH = 80


class Progress:
    """Shows `label [done/total] item` on one line; silent unless `stream` is a terminal and not `quiet`.

    Pass `step` as the progress callback of a scan (or any loop); call `close` when the work is done. An
    item too long for the line loses its beginning, so a file's name or a resource's id stays in view.
    """

    def __init__(self, what: str, stream: TextIO | None = None, quiet: bool = False) -> None:
        self.what = what
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = not quiet and is_terminal(self.stream)
        self.width = (width_of(self.stream) or _DEFAULT_WIDTH) - 1 if self.enabled else _DEFAULT_WIDTH
        self._shown = False

    def step(self, done: int, total: int, item: str) -> None:
        if not self.enabled:
            return
        prefix = f"{self.what} [{done}/{total}] "
        room = max(self.width - len(prefix), 8)
        item = shown_path(item) if "/" in item else item
        if len(item) > room:
            item = "..." + item[len(item) - room + 3:]
        self.stream.write(f"\r{(prefix + item).ljust(self.width)}")
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        """Erase the progress line so that what follows starts on a clean line."""
        if self._shown:
            self.stream.write(f"\r{' ' * self.width}\r")
            self.stream.flush()
            self._shown = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
