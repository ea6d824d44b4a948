"""Results kept out of memory while a scan runs.

A scan hands each template's final results to a spool. The spool counts them, writes the report record of
each to a temporary file as one line of JSON, and gives back only the results that need attention (those
neither PASS nor NOT_APPLICABLE) for the gate, the console and the fixes to hold. So the memory a scan keeps
grows with its findings and its largest template, not with every result of every template; the report
reads the records back in their order when it is written.
"""
from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

from checker.engine.results import NOT_APPLICABLE, PASS, Result, Tally

PASSED = (PASS, NOT_APPLICABLE)  # what is counted and recorded, and not kept
_KEPT, _NOT_KEPT = "K", "-"  # the first character of each line: whether the scan kept the result


class ResultSpool:
    """`line(result)` makes a result's report record (masked) as one line of JSON; with none, results are
    only counted, for a scan that writes no report."""

    def __init__(self, line: Callable[[Result], str] | None = None) -> None:
        self._line = line
        self._file = tempfile.TemporaryFile("w+", encoding="utf-8") if line is not None else None
        self._encode = json.JSONEncoder(default=str).encode
        self.tally = Tally()

    def add(self, results: list[Result]) -> list[Result]:
        """Count and record `results`, in their order; returns those to keep (not PASS or NOT_APPLICABLE)."""
        self.tally.add(results)
        kept = [result for result in results if result.status not in PASSED]
        if self._file is not None and self._line is not None:
            line = self._line
            self._file.writelines(f"{_NOT_KEPT if result.status in PASSED else _KEPT}{line(result)}\n"
                                  for result in results)
        return kept

    def lines(self, states: Iterator[str | None] | None = None) -> Iterator[str]:
        """Each recorded result as one line of JSON (without its newline), in order. `states` gives the
        baseline state of each kept result in turn (None: none), added to its record as `baseline_state`."""
        if self._file is None:
            raise ValueError("this spool only counts: it records no results")
        self._file.flush()
        self._file.seek(0)
        for line in self._file:
            text = line[1:-1]
            if line[0] == _KEPT and states is not None:
                state = next(states)
                if state is not None:
                    record = json.loads(text)
                    record["baseline_state"] = state
                    text = self._encode(record)
            yield text

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


class Records:
    """A spool's records as a report's `results`: sized, and iterable again, one pass at a time."""

    def __init__(self, spool: ResultSpool, states: Callable[[], Iterator[str | None]] | None = None) -> None:
        self.spool = spool
        self.states = states

    def __len__(self) -> int:
        return sum(self.spool.tally.total.values())

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (json.loads(line) for line in self.lines())

    def lines(self) -> Iterator[str]:
        return self.spool.lines(self.states() if self.states is not None else None)
