"""The JSON Lines record of an organisation scan, written as each target finishes, read back by --resume.

Line by line: a header (`kind: scan`, with the rule pack version), then for each stack its results (`kind:
result`, one per line) followed by the stack's line (`kind: stack`: scanned, or why not), and a line for each
Region whose stacks could not be listed (`kind: region`). A stack's results count only once its own line
follows them, so a crash in the middle of a stack loses that stack alone. Values are masked as in reports.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from checker.engine.results import Result
from checker.errors import InputError
from checker.org.targets import StackTarget
from checker.org.work import RegionOutcome, StackOutcome
from checker.report.merge import as_result
from checker.template.mask import Masker

FORMAT = 1


@dataclass
class Resumed:
    """The stacks an earlier run scanned, with their outcomes."""

    outcomes: list[StackOutcome] = field(default_factory=list)

    @property
    def keys(self) -> frozenset[tuple[str, str, str]]:
        return frozenset(o.target.key for o in self.outcomes)


class Stream:
    def __init__(self, path: str, header: dict[str, Any], resume: bool) -> None:
        self.path = Path(path)
        self.resumed = read_stream(self.path, header["rule_pack"]) if resume and self.path.exists() else Resumed()
        self._masker = Masker()
        # The file is written again with what counts, then appended to: a torn last line or the results of a
        # stack that was not finished never stand beside the rerun's.
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        self._handle: IO[str] = open(temporary, "w", encoding="utf-8")  # noqa: SIM115 - closed below
        with self._handle:
            for line in [{"kind": "scan", "format": FORMAT, **header}, *self._lines(self.resumed.outcomes)]:
                self._write(line)
        os.replace(temporary, self.path)
        self._handle = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed by close()

    def stack(self, outcome: StackOutcome) -> None:
        for line in self._lines([outcome]):
            self._write(line)
        self._handle.flush()

    def region(self, outcome: RegionOutcome) -> None:
        self._write({"kind": "region", "account": outcome.target.account, "region": outcome.target.region,
                     "failure": outcome.failure})
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()

    def _write(self, line: dict[str, Any]) -> None:
        self._handle.write(json.dumps(self._masker.mask(line), default=str) + "\n")

    @staticmethod
    def _lines(outcomes: list[StackOutcome]) -> Iterator[dict[str, Any]]:
        for outcome in outcomes:
            for result in outcome.results:
                yield {"kind": "result", **result.to_dict()}
            target = outcome.target
            yield {"kind": "stack", "account": target.account, "region": target.region, "stack": target.stack,
                   "environment": target.environment, "stack_id": target.stack_id, "status": target.status,
                   "failure": outcome.failure, "seconds": round(outcome.seconds, 3), "live": outcome.live}


def read_stream(path: Path, rule_pack: str) -> Resumed:
    """The stacks scanned in the stream at `path`: those whose own line follows their results, without a
    failure (a stack that could not be scanned is scanned again)."""
    resumed = Resumed()
    pending: dict[tuple[str, str, str], list[Result]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read the stream to resume: {exc}") from None
    for number, text in enumerate(lines, 1):
        try:
            line = json.loads(text)
        except json.JSONDecodeError:
            if number == len(lines):  # the last line, torn by a crash
                break
            raise InputError(str(path), "not a line of a checker org stream", number) from None
        kind = line.get("kind") if isinstance(line, dict) else None
        if number == 1:
            if kind != "scan" or line.get("format") != FORMAT:
                raise InputError(str(path), "not a checker org stream (no header line)", 1)
            if line.get("rule_pack") != rule_pack:
                raise InputError(str(path), f"was written with rule pack {line.get('rule_pack')}, this run checks "
                                 f"with {rule_pack}: its verdicts would not be this run's (start a new stream)")
        elif kind == "result":
            pending.setdefault((line["account"], line["region"], line["stack"]), []).append(as_result(line))
        elif kind == "stack":
            key = (line["account"], line["region"], line["stack"])
            results = pending.pop(key, [])
            if line.get("failure") is None:
                target = StackTarget(*key, line["environment"], line.get("stack_id"), line.get("status"))
                resumed.outcomes.append(StackOutcome(target, tuple(results), line.get("live"),
                                                     seconds=line.get("seconds") or 0.0))
    return resumed
