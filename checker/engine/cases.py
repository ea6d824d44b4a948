"""Run the inline test cases that every rule carries."""
from __future__ import annotations

from dataclasses import dataclass, replace

from checker.engine.results import FAIL, PASS, Evidence
from checker.engine.rules import CASE_REGION, TEMPLATE_TARGET, Rule, RuleCase
from checker.engine.scan import scan_template
from checker.errors import InputError
from checker.template.environment import Environment
from checker.template.load import Template, validate_shape
from checker.template.render import render

CASE_ACCOUNT = "123456789012"
SUBJECT = "Subject"


@dataclass(frozen=True)
class CaseOutcome:
    rule_id: str
    case: str
    expected: str
    actual: str
    message: str
    expected_by: tuple[int, ...] | None = None  # the assertions the case says decide it
    decided_by: tuple[int, ...] = ()
    evidence: Evidence | None = None  # what the result shows of the values its verdict rests on

    @property
    def ok(self) -> bool:
        return self.expected == self.actual and self.expected_by in (None, self.decided_by)

    def describe(self) -> str:
        """What went wrong, for a failed case."""
        if self.expected == self.actual:
            return (f"expected {self.expected} decided by assertion(s) {list(self.expected_by or ())}, "
                    f"got {list(self.decided_by)}: {self.message}")
        return f"expected {self.expected}, got {self.actual}: {self.message}"


def run_case(rule: Rule, case: RuleCase) -> CaseOutcome:
    body = case.template if case.template is not None else {"Resources": {SUBJECT: case.resource}}
    source = f"{rule.file}#{case.name}"
    env = Environment(case.environment, case.region or CASE_REGION, CASE_ACCOUNT, None, dict(case.parameters),
                      dict(case.rule_params))
    peers = {name: Environment(name, case.regions.get(name, CASE_REGION), CASE_ACCOUNT, None, dict(values))
             for name, values in case.peers.items()}
    try:
        template = Template(source, validate_shape(body, source))
        checked = rule if "template" in rule.sources else replace(rule, sources=("template",))  # live-only rules
        results = scan_template(template, [checked], [env], lambda t: lambda name: (
            render(t, peers[name]) if name in peers else None)).results
    except InputError as exc:
        return CaseOutcome(rule.id, case.name, case.expect, "INVALID", str(exc))
    if rule.target == TEMPLATE_TARGET:
        chosen = results
    else:
        subject = case.subject or (SUBJECT if case.resource is not None else None)
        chosen = [r for r in results if subject is None or r.resource == subject]
        if subject is not None and not chosen:
            return CaseOutcome(rule.id, case.name, case.expect, "MISSING", f"no result for resource {subject}")
    if len(chosen) != 1:
        return CaseOutcome(rule.id, case.name, case.expect, "AMBIGUOUS",
                           f"{len(chosen)} results; name the resource to check with 'subject'")
    implied = (1,) if case.decided_by is None and case.expect == FAIL and len(rule.assertions) == 1 else None
    return CaseOutcome(rule.id, case.name, case.expect, chosen[0].status, chosen[0].message,
                       case.decided_by or implied, tuple(chosen[0].decided_by or ()), chosen[0].evidence)


def coverage_problems(rule: Rule) -> list[str]:
    """A rule must show both outcomes in its own cases."""
    expected = {case.expect for case in rule.cases}
    return [f"{rule.id}: no test case expecting {status}" for status in (PASS, FAIL) if status not in expected]


def run_all(rules: list[Rule]) -> tuple[list[CaseOutcome], list[str]]:
    outcomes = [run_case(rule, case) for rule in rules for case in rule.cases]
    problems = [problem for rule in rules for problem in coverage_problems(rule)]
    return outcomes, problems
