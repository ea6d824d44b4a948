"""Every fix in the pack, tried on its own rule's failing test cases: patched, then scanned again, it passes.

Each FAIL case of a rule with a fix is written out as a template (JSON and YAML), fixed with
`fix_template` in the case's environment, and the rule is run on the patched text. A few cases are
beyond their fix on purpose; they are listed with the reason the fix gives.
"""
from __future__ import annotations

import json

import pytest
import yaml

from checker.engine.cases import CASE_ACCOUNT, SUBJECT
from checker.engine.evaluate import evaluate
from checker.engine.results import ERROR, FAIL
from checker.engine.rules import TEMPLATE_TARGET, bundled_rule_dirs, load_rules
from checker.fix.plan import FIXED, NO_FIX, WITHHELD, fix_template
from checker.patch import SourceText, plain
from checker.template.environment import Environment
from checker.template.load import Template, parse, validate_shape
from checker.template.render import render

RULES = load_rules(bundled_rule_dirs())
FIXABLE = [rule for rule in RULES if rule.fix is not None and rule.fix.offered]
CASES = [(rule, case) for rule in FIXABLE for case in rule.cases if case.expect == FAIL]

# Failing cases that the rule's fix does not take on, with the reason it gives.
NOT_FIXED = {
    ("PAY-S3-REPL-001", "replication configuration omitted fails"): (NO_FIX, "encrypts with SSE-KMS"),
    ("PAY-S3-REPL-001", "only disabled rules fail"): (NO_FIX, "encrypts with SSE-KMS"),
    ("PAY-SNAP-002", "permission for another function fails"): (WITHHELD, "found 2"),
    ("PAY-S3-LIFE-001", "lifecycle configuration omitted fails"): (NO_FIX, "decision about its data"),
    ("PAY-S3-LIFE-001", "disabled expiring rule fails"): (NO_FIX, "decision about its data"),
    ("PAY-S3-LIFE-001", "rule that only transitions fails"): (NO_FIX, "decision about its data"),
    ("PAY-S3-LIFE-004", "versioned bucket without lifecycle fails"): (NO_FIX, "decision about its data"),
    ("PAY-S3-LIFE-004", "versioned bucket that only expires current versions fails"): (NO_FIX, "decision about"),
    ("PAY-REGION-002", "rule admitting two Regions fails"): (WITHHELD, "already has a rule named ProdRegion"),
    ("PAY-REGION-002", "a pin to another Region beside an account pin fails"):
        (WITHHELD, "already has a rule named ProdRegion"),
    # The copy's resources refer to the stack's Aurora cluster and the permission to its EventBridge rule.
    ("PAY-SNAP-001", "a stack the configuration says runs the copy for a cluster elsewhere needs the schedule"):
        (WITHHELD, "has no customer managed KMS key"),
    ("PAY-SNAP-002", "a Scheduler schedule whose role cannot invoke the function fails"): (WITHHELD, "found 0"),
    ("PAY-SNAP-002", "a Scheduler schedule whose role the scheduler cannot assume fails"): (WITHHELD, "found 0"),
    # PAY-S3-REPL-007 shares PAY-S3-REPL-001's fix, which replicates SSE-KMS buckets only.
    ("PAY-S3-REPL-007", "a destination that is not the bucket the template declares there fails"):
        (NO_FIX, "encrypts with SSE-KMS"),
    ("PAY-S3-REPL-007", "a rule to dev without a replica key fails"): (NO_FIX, "encrypts with SSE-KMS"),
    ("PAY-S3-REPL-007", "a destination bucket without versioning in its environment fails"):
        (NO_FIX, "encrypts with SSE-KMS"),
    # The stack's only key does not let CloudWatch Logs use it.
    ("PAY-LOGS-003", "a log group of another function does not count"): (WITHHELD, "lets logs.* use it"),
    # The function already logs to a declared group: PAY-LOGS-001 and -002 fix that group.
    ("PAY-LOGS-003", "a log group without a key of the stack fails"): (NO_FIX, "PAY-LOGS-001 and PAY-LOGS-002"),
    ("PAY-LOGS-003", "a log group that never expires fails"): (NO_FIX, "PAY-LOGS-001 and PAY-LOGS-002"),
    ("PAY-LOGS-003", "a function logging to a group outside the stack fails"): (NO_FIX, "outside the stack"),
    ("PAY-DB-PWD-008", "the source of a read replica with a password from a stack parameter fails"):
        (NO_FIX, "read replicas are created from"),
    # A replica outside the stack's Region cannot take a key of the stack.
    ("PAY-DDB-ENC-002", "a key of the stack on one replica and none on the other fails"):
        (NO_FIX, "single replica"),
    ("PAY-DDB-ENC-002", "a global table without replicas fails"): (NO_FIX, "single replica"),
}
NO_KEY = (WITHHELD, "has no customer managed KMS key")


def _expected(rule, case) -> tuple[str, str]:
    """A fix that needs a KMS key of the stack is withheld from a case that has none."""
    if (rule.id, case.name) in NOT_FIXED:
        return NOT_FIXED[(rule.id, case.name)]
    has_key = "AWS::KMS::Key" in repr(_body(case))
    return NO_KEY if "$key" in repr(rule.fix) and not has_key else (FIXED, "")


def _body(case) -> dict:
    return case.template if case.template is not None else {"Resources": {SUBJECT: case.resource}}


def _environment(case, values: dict | None = None) -> Environment:
    return Environment(case.environment, case.region, CASE_ACCOUNT, None, {**(values or {}), **case.parameters},
                       case.rule_params)


def _environments(case, values: dict | None = None) -> list[Environment]:
    """The case's environment and the other environments it renders (`peers`)."""
    return [_environment(case, values)] + [
        Environment(name, case.regions.get(name, "us-east-1"), CASE_ACCOUNT, None, {**(values or {}), **given})
        for name, given in case.peers.items()]


def _status(rule, text: str, case, values: dict) -> str:
    """The rule's verdict on `text`, new parameters given the values the fix was verified with."""
    template = Template("case", validate_shape(parse(text, "case"), "case"))
    documents = {env.name: render(template, env) for env in _environments(case, values)}
    results = evaluate([rule], documents[case.environment], case.environment, "template", peers=documents.get)
    subject = None if rule.target == TEMPLATE_TARGET else case.subject or (SUBJECT if case.resource else None)
    chosen = [r for r in results if subject is None or r.resource == subject]
    return chosen[0].status if chosen else "ABSENT"


@pytest.mark.parametrize("form", ["json", "yaml"])
@pytest.mark.parametrize(("rule", "case"), CASES, ids=[f"{r.id}: {c.name}" for r, c in CASES])
def test_a_failing_case_patched_by_its_rule_fix_passes(rule, case, form):
    body = _body(case)
    text = json.dumps(body, indent=2) + "\n" if form == "json" else yaml.safe_dump(plain(body), sort_keys=False)
    plan = fix_template(SourceText(text, f"case.{form}"), [rule], _environments(case))
    [outcome] = [o for o in plan.outcomes if o.rule_id == rule.id]
    expected, reason = _expected(rule, case)
    assert (outcome.status, reason in outcome.reason) == (expected, True), outcome.reason
    if expected == FIXED:
        assert _status(rule, plan.fixed, case, plan.examples) not in (FAIL, ERROR)
    else:
        assert plan.fixed == text


@pytest.mark.parametrize("rule", FIXABLE, ids=lambda r: r.id)
def test_every_fix_is_shown_working_on_a_failing_case_of_its_rule(rule):
    fixed = [c for r, c in CASES if r is rule and _expected(r, c)[0] == FIXED]
    assert fixed, f"{rule.id} has a fix but no failing test case it fixes"


def test_the_exceptions_name_real_cases():
    names = {(rule.id, case.name) for rule, case in CASES}
    assert set(NOT_FIXED) <= names


def test_the_global_table_fix_keeps_a_replica_key_from_a_trusted_source():
    rule = next(r for r in FIXABLE if r.id == "PAY-DDB-ENC-002")
    case = next(c for c in rule.cases if c.name == "a trusted key with encryption switched off fails")
    text = yaml.safe_dump(plain(_body(case)), sort_keys=False)
    fixed = yaml.safe_load(fix_template(SourceText(text, "case.yaml"), [rule], _environments(case)).fixed)
    assert fixed["Resources"]["Payments"]["Properties"]["Replicas"] == [
        {"Region": "us-east-1", "SSESpecification": {"KMSMasterKeyId": {"Ref": "TableKeyArn"}}}]
