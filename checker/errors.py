"""The one exception type that crosses the library boundary for bad input."""
from __future__ import annotations

from collections.abc import Iterable


class InputError(Exception):
    """Bad input (template, rule file, config, parameter file): reported as one line, exit code 2."""

    def __init__(self, source: str, message: str, line: int | None = None) -> None:
        self.source = str(source)
        self.line = line
        self.message = message
        where = f"{self.source}:{line}" if line else self.source
        super().__init__(f"{where}: {message}")


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """' (did you mean X?)' naming the closest candidates, or '' when none is close."""
    import difflib  # only when a mistake is reported

    close = difflib.get_close_matches(word, list(candidates), n=3, cutoff=0.6)
    return f" (did you mean {' or '.join(close)}?)" if close else ""
