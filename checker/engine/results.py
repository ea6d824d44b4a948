"""Results: one per rule, resource, environment and source."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

PASS, FAIL, NOT_APPLICABLE, ERROR = "PASS", "FAIL", "NOT_APPLICABLE", "ERROR"
# Live scans: a resource neither the stack nor the outputs could locate, or a type with no collector.
NOT_FOUND, NOT_COLLECTED = "NOT_FOUND", "NOT_COLLECTED"
WAIVED = "WAIVED"  # a failure excused by an unexpired waiver
STATUSES = (PASS, FAIL, ERROR, NOT_FOUND, NOT_COLLECTED, WAIVED, NOT_APPLICABLE)
# Statuses that say "this could not be checked": they block the gate unless errors are allowed.
UNCHECKED = (ERROR, NOT_FOUND, NOT_COLLECTED)
SEVERITY_ORDER = {"critical": 4, "high": 3, "medium": 2, "low": 1}


@dataclass(frozen=True)
class Result:
    rule_id: str
    control: str
    severity: str
    status: str
    environment: str
    source: str
    resource: str | None
    resource_type: str | None
    file: str | None
    line: int | None
    message: str
    evidence: Any
    physical_id: str | None = None  # live results: the deployed resource's physical id
    # Which assertions (numbered from 1; 0 for the rule's `when`) decide a FAIL or an ERROR.
    decided_by: tuple[int, ...] | None = ()
    # Organisation scans: where the checked stack is deployed.
    account: str | None = None
    region: str | None = None
    stack: str | None = None

    def to_dict(self) -> dict:
        """The result as JSON-ready data; `physical_id` appears on live results only, and `account`, `region`
        and `stack` on results of an organisation scan."""
        data = dict(vars(self))  # shallow: evidence is already JSON-ready data
        data["decided_by"] = list(self.decided_by or ())
        if self.source != "live":
            del data["physical_id"]
        if self.account is None:
            del data["account"], data["region"], data["stack"]
        return data


def summarize(results: list[Result]) -> dict:
    """Counts per environment: by status, and failures and errors by severity."""
    summary: dict[str, Any] = {"total": dict(Counter(r.status for r in results)), "environments": {}}
    for result in results:
        env = summary["environments"].setdefault(result.environment, {
            "status": Counter(), "failed_by_severity": Counter(), "errors_by_severity": Counter()})
        env["status"][result.status] += 1
        if result.status == FAIL:
            env["failed_by_severity"][result.severity] += 1
        elif result.status in UNCHECKED:
            env["errors_by_severity"][result.severity] += 1
    for env in summary["environments"].values():
        for key in env:
            env[key] = dict(env[key])
    return summary
