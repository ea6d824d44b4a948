"""Saved JSON reports: read them back, and merge several (environments, stacks, live runs) into one payload."""
from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from checker.decision.baseline import Baseline, finding_key
from checker.engine.results import SEVERITY_ORDER, STATUSES, Result, summarize
from checker.errors import InputError
from checker.report.payload import input_counts
from checker.template.load import read_json

_RESULT_KEYS = {"rule_id", "control", "severity", "status", "environment", "source", "message"}
# Keys a merge recomputes rather than combines.
_DERIVED = ("tool", "generated_at", "rule_pack", "summary", "merged_from")


def load_payload(path: str | Path) -> dict[str, Any]:
    """A JSON report written by `--json`; anything else is an input error naming the file."""
    source = str(path)
    data = read_json(path)
    results = data.get("results") if isinstance(data, dict) else None
    if not (isinstance(results, list) and isinstance(data.get("tool"), dict) and isinstance(data.get("rule_pack"), dict)
            and all(isinstance(r, dict) and _RESULT_KEYS <= r.keys() for r in results)):
        raise InputError(source, "not a checker JSON report (expected tool, rule_pack and results as --json writes)")
    for number, result in enumerate(results, 1):
        wrong = [key for key in sorted(_RESULT_KEYS) if not isinstance(result[key], str)]
        if wrong or result["severity"] not in SEVERITY_ORDER or result["status"] not in STATUSES:
            raise InputError(source, f"result #{number}: " + (f"{wrong[0]} must be text" if wrong else
                                                              f"severity {result['severity']!r} or status "
                                                              f"{result['status']!r} is not one checker writes"))
    return data


def as_result(entry: dict) -> Result:
    """A result as a saved report holds it, back as a Result."""
    values: dict[str, Any] = {f.name: entry.get(f.name) for f in fields(Result)}
    return Result(**values)


def _combine(values: list[Any]) -> Any:
    """Lists are concatenated without repeats, mappings combined key by key, counts added up; otherwise the
    first value that is not null wins."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return sum(values)
    if all(isinstance(v, list) for v in values):
        unique = {json.dumps(item, sort_keys=True, default=str): item for v in values for item in v}
        return list(unique.values())
    if all(isinstance(v, dict) for v in values):
        keys = dict.fromkeys(k for v in values for k in v)
        return {k: _combine([v[k] for v in values if k in v]) for k in keys}
    return values[0]


def merge(payloads: list[dict[str, Any]], names: list[str]) -> dict[str, Any]:
    """One payload covering every result of `payloads` (read from the files `names`); one is returned as is."""
    if len(payloads) == 1:
        return payloads[0]
    keys = dict.fromkeys(k for p in payloads for k in p if k not in _DERIVED)
    merged: dict[str, Any] = {
        "tool": payloads[0]["tool"],
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "merged_from": [{"path": name, "generated_at": p.get("generated_at")}
                        for name, p in zip(names, payloads, strict=True)],
        "summary": {},
    }
    merged.update({key: _combine([p[key] for p in payloads if key in p]) for key in keys})
    versions = dict.fromkeys(str(p["rule_pack"].get("version")) for p in payloads)
    merged["rule_pack"] = {"version": " + ".join(versions), "rules": len(merged.get("rules", {})),
                           "skipped_rules": _combine([p["rule_pack"].get("skipped_rules") for p in payloads]) or []}
    merged["gate"] = {"refusals": _combine([(p.get("gate") or {}).get("refusals") for p in payloads]) or [],
                      "fail_on": _strictest([(p.get("gate") or {}).get("fail_on") for p in payloads]),
                      "allow_errors": all((p.get("gate") or {}).get("allow_errors") for p in payloads)
                      if all(p.get("gate") for p in payloads) else None}
    merged["summary"] = {**summarize([as_result(r) for r in merged["results"]]), **input_counts(merged)}
    return merged


def _strictest(thresholds: list[Any]) -> str | None:
    """The lowest --fail-on among the saved runs: what failed any of them fails the merge."""
    known = [t for t in thresholds if t in SEVERITY_ORDER]
    return min(known, key=SEVERITY_ORDER.__getitem__) if known else None


def saved_decision(payload: dict[str, Any]) -> tuple[str | None, bool | None, Baseline | None]:
    """How the saved run(s) decided: --fail-on, --allow-errors, and the baseline findings they accepted."""
    gate = payload.get("gate") or {}
    known = frozenset(finding_key(r) for r in payload["results"] if r.get("baseline_state") == "known")
    path = (payload.get("baseline") or {}).get("path")
    saved = Baseline(str(path or "the saved report's baseline"), known) if known or path else None
    allow = gate.get("allow_errors")
    return gate.get("fail_on"), allow if isinstance(allow, bool) else None, saved
