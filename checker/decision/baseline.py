"""Baselines: the failures a previous run already had. Only failures outside the baseline block.

A finding's identity is (rule id, environment, source, resource, template file name): the file name
rather than its path, so a baseline written in one checkout or CI workspace holds in another.
A baseline is either a JSON report of an earlier run (its failing and unchecked results) or a file
written by ``checker baseline``.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePath
from typing import Any

from checker.engine.results import FAIL, UNCHECKED, Result
from checker.errors import InputError
from checker.template.load import read_json
from checker.version import __version__

Key = tuple[str, str, str, "str | None", "str | None"]
BASELINED = (FAIL, *UNCHECKED)  # statuses that block, and so are what a baseline accepts
_FIELDS = ("rule_id", "environment", "source", "resource", "file")


def finding_key(finding: Result | dict) -> Key:
    values = finding.to_dict() if isinstance(finding, Result) else finding
    file = values.get("file")
    name = PurePath(str(file).replace("\\", "/")).name if file else None
    return (str(values["rule_id"]), str(values["environment"]), str(values["source"]), values.get("resource"), name)


@dataclass(frozen=True)
class Baseline:
    path: str
    keys: frozenset[Key]

    def known(self, result: Result | dict) -> bool:
        """Whether the finding (a result, or one as a report's JSON holds it) is in the baseline."""
        return finding_key(result) in self.keys


def load_baseline(path: str) -> Baseline:
    """Read a baseline file or a saved JSON report. Anything else is an InputError."""
    data = read_json(path)
    if isinstance(data, dict) and isinstance(data.get("findings"), list):
        entries = data["findings"]
    elif isinstance(data, dict) and isinstance(data.get("results"), list):
        entries = [r for r in data["results"] if isinstance(r, dict) and r.get("status") in BASELINED]
    else:
        raise InputError(path, "not a baseline: expected a checker JSON report or a file written by "
                         "'checker baseline'")
    keys = set()
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or any(f not in entry for f in ("rule_id", "environment", "source")):
            raise InputError(path, f"finding {index + 1} needs rule_id, environment and source")
        keys.add(finding_key(entry))
    return Baseline(path, frozenset(keys))


def baseline_document(results: Iterable[Result]) -> dict[str, Any]:
    """The content `checker baseline` writes: every blocking-status finding, by identity."""
    findings = []
    for result in results:
        if result.status in BASELINED:
            key = dict(zip(_FIELDS, finding_key(result), strict=True))
            findings.append({**key, "status": result.status, "severity": result.severity})
    findings.sort(key=lambda f: tuple(str(f[k]) for k in _FIELDS))
    return {
        "tool": {"name": "checker", "version": __version__},
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "findings": findings,
    }
