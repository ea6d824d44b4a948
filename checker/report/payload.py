"""The report payload: what every format renders, and what `--json` writes."""
from __future__ import annotations

import hashlib
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any

from checker import __version__
from checker.config import Environment
from checker.results import summarize
from checker.rules import Rule
from checker.scan import ScanReport

TOOL_NAME = "checker"


def rule_pack_version(rules: list[Rule]) -> str:
    """A digest of the rules' identity and logic, so a report names the exact pack it used."""
    digest = hashlib.sha256()
    for rule in sorted(rules, key=lambda r: r.id):
        digest.update(repr((rule.id, rule.severity, rule.target, rule.when and rule.when.text,
                            [a.expression.text for a in rule.assertions], rule.params)).encode())
    return digest.hexdigest()[:12]


def build_payload(report: ScanReport, rules: list[Rule], environments: list[Environment]) -> dict[str, Any]:
    summary = summarize(report.results)
    summary.update({
        "templates": len(report.templates), "input_errors": len(report.errors),
        "skipped_files": len(report.skipped), "unknown_resource_types": len(report.unknown_types),
    })
    return {
        "tool": {"name": TOOL_NAME, "version": __version__},
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "rule_pack": {"version": rule_pack_version(rules), "rules": len(rules)},
        "environments": [{"name": e.name, "region": e.region, "account_id": e.account_id} for e in environments],
        "templates": report.templates,
        "summary": summary,
        "results": [r.to_dict() for r in report.results],
        "rules": {r.id: r.metadata() for r in rules},
        "input_errors": [str(e) for e in report.errors],
        "skipped": [str(e) for e in report.skipped],
        "unknown_resource_types": [asdict(u) for u in report.unknown_types],
        "notes": report.notes,
    }
