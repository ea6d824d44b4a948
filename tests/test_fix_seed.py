"""`checker fix` on the seed's template and on its "ideal" version: both come out passing every rule in
prod, staging and dev, still accepted by cfn-lint, with a diff that touches only what had to change."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from checker.engine.results import ERROR, FAIL
from checker.engine.rules import bundled_rule_dirs, load_rules
from checker.engine.scan import peer_documents, scan_template
from checker.fix.facts import with_values
from checker.fix.plan import FIXED, RESOLVED, fix_template
from checker.fix.report import read_source
from checker.patch import SourceText
from checker.project.config import load_config
from checker.project.plan import plan_environments
from checker.template.load import Template, parse, validate_shape
from tests.conftest import ROOT

RULES = load_rules(bundled_rule_dirs())
# The seed is an earlier payment stack: the environments and parameter files the config gives that stack.
ENVIRONMENTS = plan_environments(load_config(ROOT / "checker.yaml"), []).for_template(ROOT / "templates" /
                                                                                     "payment-stack.yaml")
SEED = ROOT / "tests" / "fixtures" / "seed-flawed.yaml"
IDEAL = ROOT / "tests" / "fixtures" / "seed-ideal.yaml"


@pytest.fixture(scope="module", params=[SEED, IDEAL], ids=["seed", "ideal"])
def plan(request):
    return fix_template(read_source(request.param), RULES, ENVIRONMENTS)


def _problems(text: str, values: dict) -> list[tuple[str, str, str | None, str]]:
    template = Template("fixed.yaml", validate_shape(parse(text, "fixed.yaml"), "fixed.yaml"))
    environments = [with_values(e, values) for e in ENVIRONMENTS]
    return [(r.environment, r.rule_id, r.resource, r.message)
            for r in scan_template(template, RULES, environments, peer_documents(environments)).results
            if r.status in (FAIL, ERROR)]


def test_the_fixed_template_passes_every_rule_in_every_environment(plan):
    assert plan.changed and _problems(plan.fixed, plan.examples) == []


def test_every_failure_is_fixed_or_settled_by_another_fix(plan):
    assert {o.status for o in plan.outcomes} <= {FIXED, RESOLVED}


def test_the_seed_needs_no_example_values_since_its_parameter_files_have_them():
    seed = fix_template(read_source(SEED), RULES, ENVIRONMENTS)
    assert seed.examples == {}


def test_fixing_the_fixed_template_changes_nothing(plan):
    again = fix_template(SourceText(plan.fixed, plan.path), RULES, [with_values(e, plan.examples)
                                                                    for e in ENVIRONMENTS])
    assert (again.fixed, again.outcomes) == (plan.fixed, [])


@pytest.mark.skipif(shutil.which("cfn-lint") is None, reason="cfn-lint is a test dependency; install .[test]")
def test_cfn_lint_accepts_the_fixed_template(plan, tmp_path):
    fixed = tmp_path / "fixed.yaml"
    fixed.write_text(plan.fixed)
    completed = subprocess.run(["cfn-lint", str(fixed)], capture_output=True, text=True)
    errors = [line for line in completed.stdout.splitlines() if line.startswith("E")]
    assert completed.returncode & 2 == 0 and errors == [], completed.stdout


def _subsequence(lines: list[str], within: list[str]) -> bool:
    remaining = iter(within)
    return all(line in remaining for line in lines)


def test_the_seed_keeps_every_line_but_the_password_parameter_and_its_use_in_order():
    seed = fix_template(read_source(SEED), RULES, ENVIRONMENTS)
    original = seed.original.splitlines()
    start = original.index("  DBMasterPassword:")
    dropped = set(range(start, start + 8)) | {original.index("      MasterUserPassword: !Ref DBMasterPassword")}
    assert original[start + 7] == "    ConstraintDescription: Must contain only alphanumeric characters"
    kept = [line for i, line in enumerate(original) if i not in dropped]
    assert _subsequence(kept, seed.fixed.splitlines())
    assert not any(line in seed.fixed.splitlines() for line in ("  DBMasterPassword:", "    NoEcho: true"))


def test_values_that_differ_by_environment_go_into_the_template_mappings():
    seed = fix_template(read_source(SEED), RULES, ENVIRONMENTS)
    mappings = parse(seed.fixed, "fixed")["Mappings"]["EnvironmentConfig"]
    assert {env: (m["BacktrackWindowSeconds"], m["LogsExpirationDays"], m["LogsNoncurrentDays"])
            for env, m in mappings.items()} == {
        "prod": (259200, 365, 365), "staging": (86400, 90, 90), "dev": (3600, 30, 30)}


def test_replication_is_added_under_the_prod_condition_the_template_already_has():
    seed = fix_template(read_source(SEED), RULES, ENVIRONMENTS)
    bucket = parse(seed.fixed, "fixed")["Resources"]["TransactionLogsBucket"]["Properties"]
    condition, replication, otherwise = bucket["ReplicationConfiguration"]["Fn::If"]
    assert (condition, otherwise) == ("IsProd", {"Ref": "AWS::NoValue"})
    assert [r["Destination"]["Bucket"] for r in replication["Rules"]] == [
        {"Fn::Sub": "arn:${AWS::Partition}:s3:::staging-transaction-logs-${EnvironmentSuffix}"},
        {"Fn::Sub": "arn:${AWS::Partition}:s3:::dev-transaction-logs-${EnvironmentSuffix}"}]
    assert parse(seed.fixed, "fixed")["Resources"]["ReplicationRole"]["Condition"] == "IsProd"


def test_the_ideal_version_keeps_its_glacier_transition_only_where_logs_outlive_it():
    ideal = fix_template(read_source(IDEAL), RULES, ENVIRONMENTS)
    rule = parse(ideal.fixed, "fixed")["Resources"]["TransactionLogsBucket"]["Properties"][
        "LifecycleConfiguration"]["Rules"][0]
    assert rule["Transitions"] == {"Fn::If": ["IsProd", [{"StorageClass": "GLACIER", "TransitionInDays": 90}],
                                              {"Ref": "AWS::NoValue"}]}
