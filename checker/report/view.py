"""What the reports show, derived from the payload alone: counts, the control matrix, findings by rule.

Every format reads the payload through these functions, so a saved JSON report re-renders identically.
"""
from __future__ import annotations

import posixpath
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from checker.engine.results import (
    ERROR,
    FAIL,
    NOT_APPLICABLE,
    NOT_COLLECTED,
    NOT_FOUND,
    PASS,
    SEVERITY_ORDER,
    STATUSES,
    UNCHECKED,
    WAIVED,
)
from checker.engine.rules import SOURCES

# In a group of results the worst status wins (control matrix cells, verdicts, sorting).
WORST_FIRST = (FAIL, ERROR, NOT_FOUND, NOT_COLLECTED, WAIVED, PASS, NOT_APPLICABLE)
# Results written up in full: failures, and checks that could not be made.
ATTENTION = (FAIL, *UNCHECKED)
SEVERITIES = tuple(sorted(SEVERITY_ORDER, key=SEVERITY_ORDER.__getitem__, reverse=True))
STATUS_LABELS = {
    PASS: "Passed", FAIL: "Failed", ERROR: "Errors", NOT_FOUND: "Not found", NOT_COLLECTED: "Not collected",
    WAIVED: "Waived", NOT_APPLICABLE: "Not applicable",
}
# Columns shown even when no result has them, so reports of different runs line up.
_CORE_STATUSES = (PASS, FAIL, WAIVED, ERROR, NOT_APPLICABLE)
TEMPLATE_RESOURCE = "(template)"


def worst(statuses: Iterable[str]) -> str | None:
    present = set(statuses)
    return next((s for s in WORST_FIRST if s in present), None)


def status_rank(status: str) -> int:
    """0 for the worst status; unknown statuses sort last."""
    return WORST_FIRST.index(status) if status in WORST_FIRST else len(WORST_FIRST)


def location(result: dict) -> str:
    """`file:line`, `file`, or '' for results that have no place in a file (live resources)."""
    file, line = result.get("file"), result.get("line")
    if not file:
        return ""
    return f"{file}:{line}" if line else str(file)


def report_title(payload: dict) -> str:
    """The template scanned, or how many and the folder they share ("184 templates in corpus/")."""
    paths = [str(t["path"]).replace("\\", "/") for t in payload.get("templates", [])]
    if len(paths) <= 1:
        return paths[0] if paths else "No template"
    try:
        folder = posixpath.commonpath(paths)
    except ValueError:  # absolute and relative paths mixed
        folder = ""
    return f"{len(paths)} templates" + (f" in {folder.rstrip('/')}/" if folder not in ("", ".") else "")


def resource_label(result: dict) -> str:
    return result.get("resource") or TEMPLATE_RESOURCE


def status_columns(payload: dict) -> list[str]:
    present = {r["status"] for r in payload["results"]}
    return [s for s in STATUSES if s in _CORE_STATUSES or s in present]


def environment_names(payload: dict) -> list[str]:
    declared = [e["name"] for e in payload.get("environments", [])]
    return list(dict.fromkeys(declared + [r["environment"] for r in payload["results"]]))


def sources(payload: dict) -> list[str]:
    present = {r["source"] for r in payload["results"]}
    return [s for s in SOURCES if s in present] + sorted(present - set(SOURCES))


def controls(payload: dict) -> list[str]:
    present = {r["control"] for r in payload["results"]}
    present |= {rule.get("control") for rule in payload.get("rules", {}).values() if rule.get("control")}
    declared = [c["id"] for c in payload.get("controls", [])]
    return [c for c in declared if c in present] + sorted(present - set(declared))


def ordered_results(payload: dict) -> list[dict]:
    """Results in reading order: environment as declared, then control, rule, resource and place."""
    envs = {name: i for i, name in enumerate(environment_names(payload))}
    order = {name: i for i, name in enumerate(controls(payload))}
    return sorted(payload["results"], key=lambda r: (
        envs[r["environment"]], r["source"], order.get(r["control"], len(order)), r["rule_id"],
        resource_label(r), r.get("file") or "", r.get("line") or 0))


def attention(payload: dict) -> list[dict]:
    """Failures and unchecked results, most severe first."""
    return sorted((r for r in ordered_results(payload) if r["status"] in ATTENTION),
                  key=lambda r: (status_rank(r["status"]), -SEVERITY_ORDER.get(r["severity"], 0)))


def rule_metadata(payload: dict, rule_id: str, example: dict) -> dict[str, Any]:
    """The rule's metadata from the payload; what the result itself says when the rule is not listed."""
    known = payload.get("rules", {}).get(rule_id)
    if known:
        return known
    return {"id": rule_id, "title": rule_id, "control": example["control"], "severity": example["severity"],
            "rationale": "", "remediation": "", "references": [], "compliance": {}}


@dataclass(frozen=True)
class EnvironmentSummary:
    name: str
    details: dict[str, Any]  # region, account_id, stack_name as declared (empty when undeclared)
    by_severity: dict[str, Counter]
    total: Counter


def environment_summaries(payload: dict) -> list[EnvironmentSummary]:
    declared = {e["name"]: e for e in payload.get("environments", [])}
    summaries = []
    for name in environment_names(payload):
        by_severity: dict[str, Counter] = defaultdict(Counter, {severity: Counter() for severity in SEVERITIES})
        for result in payload["results"]:
            if result["environment"] == name:
                by_severity[result["severity"]][result["status"]] += 1
        summaries.append(EnvironmentSummary(name, declared.get(name, {}), by_severity,
                                            sum(by_severity.values(), Counter())))
    return summaries


@dataclass(frozen=True)
class Cell:
    status: str | None  # None: nothing of this control was checked there
    counts: Counter = field(default_factory=Counter)

    @property
    def detail(self) -> str:
        ordered = sorted(self.counts.items(), key=lambda item: status_rank(item[0]))
        return ", ".join(f"{n} {status.replace('_', ' ').lower()}" for status, n in ordered)


@dataclass(frozen=True)
class ControlMatrix:
    columns: list[tuple[str, str]]  # (environment, source)
    rows: list[tuple[str, list[Cell]]]


def control_matrix(payload: dict) -> ControlMatrix:
    counts: dict[tuple[str, str, str], Counter] = defaultdict(Counter)
    for r in payload["results"]:
        counts[(r["control"], r["environment"], r["source"])][r["status"]] += 1
    columns = [(env, source) for env in environment_names(payload) for source in sources(payload)
               if any(key[1:] == (env, source) for key in counts)]
    rows = []
    for control in controls(payload):
        cells = []
        for env, source in columns:
            tally = counts.get((control, env, source), Counter())
            cells.append(Cell(worst(tally), tally))
        rows.append((control, cells))
    return ControlMatrix(columns, rows)


@dataclass(frozen=True)
class Finding:
    rule: dict[str, Any]
    results: list[dict]


def findings(payload: dict) -> list[Finding]:
    """Rules with failures or unchecked results, each with those results; most severe rule first."""
    grouped: dict[str, list[dict]] = {}
    for result in attention(payload):
        grouped.setdefault(result["rule_id"], []).append(result)
    found = [Finding(rule_metadata(payload, rule_id, items[0]), items) for rule_id, items in grouped.items()]
    return sorted(found, key=lambda f: (min(status_rank(r["status"]) for r in f.results),
                                        -SEVERITY_ORDER.get(f.results[0]["severity"], 0), f.rule.get("id", "")))


def verdict(payload: dict) -> tuple[str, str]:
    """The headline: the worst status of the run and one sentence of counts."""
    total = Counter(r["status"] for r in payload["results"])
    failed_by_severity = Counter(r["severity"] for r in payload["results"] if r["status"] == FAIL)
    unchecked = sum(total[s] for s in UNCHECKED) + len(payload.get("input_errors", []))
    status = FAIL if total[FAIL] else ERROR if unchecked else PASS
    detail = ", ".join(f"{failed_by_severity[s]} {s}" for s in SEVERITIES if failed_by_severity[s])
    parts = [f"{total[FAIL]} failed" + (f" ({detail})" if detail else ""), f"{unchecked} could not be checked",
             f"{total[PASS]} passed"]
    if total[WAIVED]:
        parts.append(f"{total[WAIVED]} waived")
    environments = len(environment_names(payload))
    return status, f"{', '.join(parts)} in {environments} environment{'s' if environments != 1 else ''}"
