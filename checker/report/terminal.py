"""What the console can do: width, colour (never with NO_COLOR or off a terminal), short paths."""
from __future__ import annotations

import os
from typing import TextIO

_CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "magenta": "35", "cyan": "36"}


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def width_of(stream: TextIO) -> int | None:
    """Columns to wrap at on a terminal ($COLUMNS, else the terminal's own); None (do not wrap) for logs
    and pipes, whose lines are best kept whole."""
    if not is_terminal(stream):
        return None
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (OSError, ValueError):
        return 80


def colour_enabled(stream: TextIO) -> bool:
    """Colour on a terminal unless NO_COLOR is set (to anything) or the terminal is dumb."""
    return is_terminal(stream) and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


class Paint:
    """Wraps text in ANSI styles when enabled; otherwise returns it unchanged."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, *styles: str) -> str:
        codes = [_CODES[s] for s in styles if s in _CODES]
        if not self.enabled or not codes or not text:
            return text
        return f"\033[{';'.join(codes)}m{text}\033[0m"


def wrap(text: str, width: int | None, indent: str) -> list[str]:
    """`text` indented, on lines no wider than `width` (one line when there is no width)."""
    if width is None or width <= len(indent) + 20:
        return [indent + " ".join(text.split())]
    import textwrap  # only on a terminal

    return textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False) or [indent]
