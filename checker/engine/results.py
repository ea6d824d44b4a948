"""Results: one per rule, resource, environment and source."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict

PASS, FAIL, NOT_APPLICABLE, ERROR = "PASS", "FAIL", "NOT_APPLICABLE", "ERROR"
# Live scans: a resource neither the stack nor the outputs could locate, or a type with no collector.
NOT_FOUND, NOT_COLLECTED = "NOT_FOUND", "NOT_COLLECTED"
WAIVED = "WAIVED"  # a failure excused by an unexpired waiver
STATUSES = (PASS, FAIL, ERROR, NOT_FOUND, NOT_COLLECTED, WAIVED, NOT_APPLICABLE)
# Statuses that say "this could not be checked": they block the gate unless errors are allowed.
UNCHECKED = (ERROR, NOT_FOUND, NOT_COLLECTED)
SEVERITY_ORDER = {"critical": 4, "high": 3, "medium": 2, "low": 1}
# What a result shows: the value each field that decided it had (label -> value), as JSON-ready, masked data.
Evidence = dict[str, Any]


class ResultRecord(TypedDict):
    """A result as reports hold it (`results` of the JSON report)."""

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
    evidence: Evidence | None
    physical_id: NotRequired[str | None]  # live results only
    decided_by: list[int]
    account: NotRequired[str | None]  # results of an organisation scan only, as are region and stack
    region: NotRequired[str | None]
    stack: NotRequired[str | None]


class EnvironmentCounts(TypedDict):
    status: dict[str, int]
    failed_by_severity: dict[str, int]
    errors_by_severity: dict[str, int]


class Summary(TypedDict):
    """Counts of results (the JSON report's `summary`, to which the report adds its counts of inputs)."""

    total: dict[str, int]
    environments: dict[str, EnvironmentCounts]


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
    evidence: Evidence | None
    physical_id: str | None = None  # live results: the deployed resource's physical id
    # Which assertions (numbered from 1; 0 for the rule's `when`) decide a FAIL or an ERROR.
    decided_by: tuple[int, ...] | None = ()
    # Organisation scans: where the checked stack is deployed.
    account: str | None = None
    region: str | None = None
    stack: str | None = None

    def to_dict(self) -> ResultRecord:
        """The result as JSON-ready data; `physical_id` appears on live results only, and `account`, `region`
        and `stack` on results of an organisation scan."""
        record: ResultRecord = {  # shallow: evidence is already JSON-ready data
            "rule_id": self.rule_id, "control": self.control, "severity": self.severity, "status": self.status,
            "environment": self.environment, "source": self.source, "resource": self.resource,
            "resource_type": self.resource_type, "file": self.file, "line": self.line, "message": self.message,
            "evidence": self.evidence, "physical_id": self.physical_id, "decided_by": list(self.decided_by or ()),
            "account": self.account, "region": self.region, "stack": self.stack,
        }
        if self.source != "live":
            del record["physical_id"]
        if self.account is None:
            del record["account"], record["region"], record["stack"]
        return record


class Tally:
    """Counts of results as they come: the report's summary, and the console's line per environment and
    source. Everything is counted in the order it first appears, as a pass over all the results would."""

    def __init__(self) -> None:
        self.total: Counter[str] = Counter()
        self.environments: dict[str, tuple[Counter[str], Counter[str], Counter[str]]] = {}
        # (environment, source) -> (statuses, failures by severity): the console's summary lines
        self.groups: dict[tuple[str, str], tuple[Counter[str], Counter[str]]] = {}

    def add(self, results: Iterable[Result]) -> None:
        # counted alike first, then added up in the order each kind first appears (as each result's first does)
        kinds = Counter((r.environment, r.source, r.status, r.severity if r.status == FAIL or r.status in UNCHECKED
                         else "") for r in results)  # severities are counted for failures and errors only
        for (environment, source, status, severity), count in kinds.items():
            self.total[status] += count
            if environment not in self.environments:
                self.environments[environment] = (Counter(), Counter(), Counter())
            statuses, failed, errors = self.environments[environment]
            statuses[status] += count
            group = (environment, source)
            if group not in self.groups:
                self.groups[group] = (Counter(), Counter())
            in_group, failed_in_group = self.groups[group]
            in_group[status] += count
            if status == FAIL:
                failed[severity] += count
                failed_in_group[severity] += count
            elif status in UNCHECKED:
                errors[severity] += count

    def summary(self) -> Summary:
        """Counts per environment: by status, and failures and errors by severity."""
        return {"total": dict(self.total),
                "environments": {environment: {"status": dict(status), "failed_by_severity": dict(failed),
                                               "errors_by_severity": dict(errors)}
                                 for environment, (status, failed, errors) in self.environments.items()}}

    @classmethod
    def of(cls, results: Iterable[Result]) -> Tally:
        tally = cls()
        tally.add(results)
        return tally


def summarize(results: Iterable[Result]) -> Summary:
    """Counts per environment: by status, and failures and errors by severity."""
    return Tally.of(results).summary()
