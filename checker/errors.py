"""The one exception type that crosses the library boundary for bad input."""
from __future__ import annotations


class InputError(Exception):
    """Bad input (template, rule file, config, parameter file): reported as one line, exit code 2."""

    def __init__(self, source: str, message: str, line: int | None = None) -> None:
        self.source = str(source)
        self.line = line
        self.message = message
        where = f"{self.source}:{line}" if line else self.source
        super().__init__(f"{where}: {message}")
