"""The report payload: what every format renders, and what `--json` writes."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, cast

from checker.decision.baseline import BASELINED
from checker.decision.gate import Decision
from checker.engine.results import Result
from checker.engine.rules import Rule, controls_of
from checker.engine.spool import Records
from checker.report.provenance import git_revisions
from checker.scans import ScanReport
from checker.template.environment import Environment
from checker.template.mask import Masker
from checker.version import __version__

TOOL_NAME = "checker"


def rule_pack_version(rules: list[Rule]) -> str:
    """A digest of the rules' identity and logic, so a report names the exact pack it used."""
    digest = hashlib.sha256()
    for rule in sorted(rules, key=lambda r: r.id):
        digest.update(repr((rule.id, rule.severity, rule.target, rule.when and rule.when.text,
                            [a.expression.text for a in rule.assertions], rule.params)).encode())
    return digest.hexdigest()[:12]


def _file_digest(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


def build_payload(report: ScanReport, rules: list[Rule], environments: list[Environment],
                  decision: Decision | None = None, live: dict[str, Any] | None = None,
                  drift: list[dict] | None = None, fixes: dict[str, list] | None = None,
                  skipped_rules: Sequence[str] = (), sections: dict[str, Any] | None = None) -> dict[str, Any]:
    """`decision` (the gate's verdict, with the baseline it used) adds the `gate` and `baseline` keys, and
    marks each blocking-status result `new` or `known` to the baseline.

    After a live scan, `live` (API calls per operation, wall time, resources not found or not collected;
    default: the report's live scan) and `drift` (rule and property differences between template and
    deployment; default: the report's) are added too. `fixes`
    holds the verified template patches (checker.fix.report.fix_payload). `skipped_rules` are the pack's
    rules left out of the run (--skip-rule, --only-rule). `sections` are further top-level keys (an
    organisation scan's `org`).
    """
    summary = report.tally().summary()
    revisions = git_revisions(report.templates)
    payload: dict[str, Any] = {
        "tool": {"name": TOOL_NAME, "version": __version__},
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "rule_pack": {"version": rule_pack_version(rules), "rules": len(rules), "skipped_rules": list(skipped_rules)},
        "environments": [{"name": e.name, "region": e.region, "account_id": e.account_id,
                          "stack_name": e.stack_name} for e in environments],
        "templates": [{"path": path, "sha256": _file_digest(path), **revisions[path]} for path in report.templates],
        "summary": summary,
        "results": [],  # masked one by one below: a report never holds its results twice
        "rules": {r.id: r.metadata() for r in rules},
        "controls": [{"id": c.id, "title": c.title, "description": c.description} for c in controls_of(rules)],
        "input_errors": [str(e) for e in report.errors],
        "skipped": [str(e) for e in report.skipped],
        "unknown_resource_types": [asdict(u) for u in report.unknown_types],
        "notes": report.notes + [f"{patch['file']}: {note}" for patch in (fixes or {}).get("patches", [])
                                 if not patch.get("diff") for note in patch.get("notes", [])],
        "waivers": report.waivers.to_dict() if report.waivers else {"applied": [], "expired": [], "stale": []},
        "baseline": None,
        "gate": None,
        **(fixes or {"fixes": [], "patches": []}),
    }
    if decision is not None:
        apply_decision(payload, decision)
    if live is None and report.live is not None:
        live = report.live.summary()
    if live is not None:
        payload["live"] = live
        payload["drift"] = drift or report.drift or []
    payload.update(sections or {})
    payload["summary"] = {**summary, **input_counts(payload)}
    # The last masking step before any writer: values from AWS (error messages, drift) and from the config
    # that slipped past the engine's masking of NoEcho values still lose password-like keys and secret shapes.
    masker = Masker()
    masked = masker.mask(payload)
    if report.spool is not None:  # recorded (and masked) as the scan went: read back as the report is written
        kept = report.results
        masked["results"] = Records(report.spool, None if decision is None or decision.baseline is None else
                                    lambda: (baseline_state(decision, result) for result in kept))
    else:
        masked["results"] = [masker.mask(_record(result, decision)) for result in report.results]
    return masked


def report_line() -> Callable[[Result], str]:
    """What a result becomes in a report before any baseline state: its masked JSON record as one line (a
    spool's `line`). The results of one verdict (a rule judged once for resources and environments that read
    alike) differ only in their resource and line, so the rest of their record is masked and encoded once."""
    masker = Masker()
    encode = json.JSONEncoder(default=str).encode
    # everything of a record but its resource and line -> its evidence (held, so that its id stays its own)
    # and, once a second result has it, the record's text before the resource's value, between it and the
    # line's, and after the line's (a record made only once is encoded whole: a frame costs more)
    frames: dict[tuple[Any, ...], tuple[Any, tuple[str, str, str] | None]] = {}
    names: dict[str, str] = {}

    def fields(items: list[tuple[str, Any]]) -> str:
        return encode(dict(items))[1:-1]

    def frame(record: dict[str, Any]) -> tuple[str, str, str]:
        items = list(record.items())
        keys = [key for key, _ in items]
        resource, line = keys.index("resource"), keys.index("line")
        before, between, after = fields(items[:resource]), fields(items[resource + 1:line]), fields(items[line + 1:])
        return (f"{{{before}{', ' if before else ''}\"resource\": ", f", {between}{', ' if between else ''}\"line\": ",
                f"{', ' if after else ''}{after}}}")

    def line(result: Result) -> str:
        key = (result.rule_id, result.control, result.severity, result.status, result.environment, result.source,
               result.resource_type, result.file, result.message, id(result.evidence), result.decided_by,
               result.physical_id, result.account, result.region, result.stack)
        found = frames.get(key)
        if found is None or found[0] is not result.evidence:
            if len(frames) >= _FRAMES:
                frames.clear()
                names.clear()
            frames[key] = (result.evidence, None)
            return encode(masker.mask(result.to_dict()))
        parts = found[1]
        if parts is None:
            parts = frame(masker.mask(result.to_dict()))
            frames[key] = (result.evidence, parts)
        resource: Any = result.resource  # a logical id YAML reads as a number is one
        if not isinstance(resource, str):
            name = encode(resource)
        elif resource in names:
            name = names[resource]
        else:
            name = names[resource] = encode(masker.text(resource))
        start, middle, end = parts
        return f"{start}{name}{middle}{'null' if result.line is None else int(result.line)}{end}"

    return line


_FRAMES = 4096  # records' frames kept at once (each holds its evidence), and then the resources' names


def _record(result: Result, decision: Decision | None) -> dict[str, Any]:
    record = cast(dict[str, Any], result.to_dict())  # the JSON record, with its baseline state
    state = baseline_state(decision, result) if decision is not None else None
    if state is not None:
        record["baseline_state"] = state
    return record


def baseline_state(decision: Decision, result: Result | dict) -> str | None:
    """`known` or `new` to the decision's baseline, for a result of a status a baseline judges; else None."""
    status = result.status if isinstance(result, Result) else result["status"]
    if decision.baseline is None or status not in BASELINED:
        return None
    return "known" if decision.baseline.known(result) else "new"


def apply_decision(payload: dict[str, Any], decision: Decision) -> None:
    """Record the gate's verdict; with a baseline, mark each result it judges `new` or `known`."""
    payload["gate"] = decision.to_dict()
    payload["baseline"] = decision.baseline_dict()
    for result in payload["results"]:
        result.pop("baseline_state", None)
        state = baseline_state(decision, result)
        if state is not None:
            result["baseline_state"] = state


def input_counts(payload: dict[str, Any]) -> dict[str, int]:
    """The summary's counts of inputs, from the payload's own lists (so a merged payload recounts them)."""
    return {
        "templates": len(payload.get("templates", [])), "input_errors": len(payload.get("input_errors", [])),
        "skipped_files": len(payload.get("skipped", [])),
        "unknown_resource_types": len(payload.get("unknown_resource_types", [])),
    }
