"""The bundled payment stack passes the whole pack everywhere; the seed's flawed stack fails exactly its gaps."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from checker.engine.results import ERROR, FAIL
from checker.engine.rules import bundled_rule_dirs, load_rules
from checker.project.config import load_config
from checker.project.plan import plan_environments, select_environments
from checker.scans import scan
from tests.conftest import ROOT

PAYMENT = ROOT / "templates" / "payment-stack.yaml"
SEED = ROOT / "tests" / "fixtures" / "seed-flawed.yaml"
RULES = load_rules(bundled_rule_dirs())

SEED_GAPS = {"lifecycle", "password-policy", "pitr-backtrack", "region-mapping"}
EXPECTED_SEED_FAILURES = {
    "prod": SEED_GAPS | {"replication", "snapshot-copy"},
    "staging": SEED_GAPS,
    "dev": SEED_GAPS,
}


def _scan(path):
    """As the repository's checker.yaml deploys it: the payment stack with its parameter files."""
    return scan([path], RULES, plan_environments(load_config(ROOT / "checker.yaml"), []))


def test_checker_yaml_declares_the_three_environments():
    environments = select_environments(str(ROOT / "checker.yaml"), [], None, {})
    assert {(e.name, e.region) for e in environments} == {
        ("prod", "us-east-1"), ("staging", "us-east-2"), ("dev", "us-west-2")}


@pytest.mark.parametrize("environment", ["prod", "staging", "dev"])
def test_payment_stack_passes_every_rule(environment):
    report = _scan(PAYMENT)
    assert report.errors == [] and report.unknown_types == []
    problems = [(r.rule_id, r.resource, r.status, r.message) for r in report.results
                if r.environment == environment and r.status in (FAIL, ERROR)]
    assert problems == []


@pytest.mark.parametrize("environment", ["prod", "staging", "dev"])
def test_seed_template_fails_exactly_its_documented_gaps(environment):
    report = _scan(SEED)
    failing = {r.control for r in report.results if r.environment == environment and r.status == FAIL}
    errors = [(r.rule_id, r.message) for r in report.results if r.environment == environment and r.status == ERROR]
    assert errors == []
    assert failing == EXPECTED_SEED_FAILURES[environment]


def test_seed_replication_and_lifecycle_failures_point_at_the_transaction_log_bucket():
    report = _scan(SEED)
    located = {(r.control, r.resource_type) for r in report.results
               if r.status == FAIL and r.control in ("replication", "lifecycle")}
    assert located == {("replication", "AWS::S3::Bucket"), ("lifecycle", "AWS::S3::Bucket")}
    assert all(r.line for r in report.results if r.status == FAIL and r.resource)


@pytest.mark.skipif(shutil.which("cfn-lint") is None, reason="cfn-lint is a test dependency; install .[test]")
def test_payment_stack_passes_cfn_lint():
    completed = subprocess.run(["cfn-lint", str(PAYMENT)], capture_output=True, text=True)
    errors = [line for line in completed.stdout.splitlines() if line.startswith("E")]
    assert completed.returncode & 2 == 0 and errors == [], completed.stdout


def test_payment_stack_named_by_account_id_passes_the_prod_gate_without_an_account_id(tmp_path, monkeypatch):
    """Bucket names made unique with ${AWS::AccountId}, the usual way, need no --account-id to be judged."""
    from checker.cli import main

    variant = tmp_path / "payment-stack.yaml"
    variant.write_text(PAYMENT.read_text(encoding="utf-8").replace(
        "-transaction-logs-${EnvironmentSuffix}", "-transaction-logs-${AWS::AccountId}"), encoding="utf-8")
    assert "transaction-logs-${AWS::AccountId}" in variant.read_text(encoding="utf-8")
    monkeypatch.chdir(ROOT)
    assert main(["gate", "--template", str(variant), "--env", "prod", "-q"]) == 0
