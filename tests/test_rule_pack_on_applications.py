"""The bundled rule pack on an application written the way AWS's samples write them (tests/fixtures/orders-service):
RDS instances, a DynamoDB table, a SAM function and a nested stack. Every control that has something of its kind
to check gives decided results; the others are NOT_APPLICABLE because nothing of that kind exists."""
from __future__ import annotations

from functools import cache

import pytest

from checker.engine.results import ERROR, FAIL, NOT_APPLICABLE, PASS
from checker.engine.rules import bundled_controls, bundled_rule_dirs, load_rules
from checker.scans import ScanReport, scan
from checker.template.environment import Environment
from tests.conftest import ROOT

APPLICATION = ROOT / "tests" / "fixtures" / "orders-service" / "template.yaml"
RULES = load_rules(bundled_rule_dirs())
REGIONS = {"prod": "us-east-1", "staging": "us-east-2", "dev": "us-west-2"}
# The key of the storage stack comes from its parent as the parameter DataKeyArn, which the team trusts.
TRUSTED = {"trusted_key_sources": ["DataKeyArn"]}
# Neither a transaction-log bucket nor an Aurora cluster: nothing to replicate, no snapshots to copy.
NOTHING_OF_THEIR_KIND = {"replication", "snapshot-copy"}


@cache
def _scan(trusted: bool = True) -> ScanReport:
    environments = [Environment(name, region, "123456789012", None, {"Environment": name}, TRUSTED if trusted else {})
                    for name, region in REGIONS.items()]
    return scan([APPLICATION], RULES, environments)


def _results(environment: str, trusted: bool = True) -> list:
    return [r for r in _scan(trusted).results if r.environment == environment]


def test_the_application_scans_without_input_errors_or_unknown_types():
    report = _scan()
    assert (report.errors, report.unknown_types) == ([], [])
    # The legacy instance's password parameter has no value: the one note says how to give it.
    assert [note.split(": ", 1)[1] for note in report.notes] == [
        "no value for parameter(s) LegacyDBPassword in prod, staging, dev; rules that depend on them report ERROR. "
        "Give values with --param LegacyDBPassword=VALUE or in a checker.yaml"]


@pytest.mark.parametrize("environment", REGIONS)
def test_every_control_with_something_to_check_is_decided(environment):
    decided = {r.control for r in _results(environment) if r.status in (PASS, FAIL)}
    assert decided == set(bundled_controls()) - NOTHING_OF_THEIR_KIND


@pytest.mark.parametrize("environment", REGIONS)
def test_only_controls_with_nothing_of_their_kind_are_wholly_not_applicable(environment):
    statuses: dict[str, set[str]] = {}
    for result in _results(environment):
        statuses.setdefault(result.control, set()).add(result.status)
    assert {control for control, seen in statuses.items() if seen == {NOT_APPLICABLE}} == NOTHING_OF_THEIR_KIND


@pytest.mark.parametrize("environment", REGIONS)
def test_nothing_is_left_undecided(environment):
    assert [(r.rule_id, r.resource, r.message) for r in _results(environment) if r.status == ERROR] == []


@pytest.mark.parametrize("environment", REGIONS)
def test_the_application_fails_exactly_its_documented_gaps(environment):
    failing = {(r.rule_id, r.resource) for r in _results(environment) if r.status == FAIL}
    assert failing == {("PAY-RDS-BACKUP-002", "LegacyDatabase"), ("PAY-DB-PWD-008", "LegacyDatabase")}


def test_each_database_table_function_and_nested_resource_is_checked_by_its_controls():
    checked = {(r.resource, r.rule_id) for r in _results("prod") if r.status in (PASS, FAIL)}
    assert {
        ("OrdersDatabase", "PAY-RDS-ENC-004"), ("OrdersDatabase", "PAY-RDS-ENC-005"),
        ("OrdersDatabase", "PAY-RDS-BACKUP-002"), ("OrdersDatabase", "PAY-DB-PWD-008"),
        ("LegacyDatabase", "PAY-RDS-ENC-004"), ("LegacyDatabase", "PAY-RDS-BACKUP-002"),
        ("LegacyDBPassword", "PAY-DB-PWD-002"), ("LegacyDBPassword", "PAY-DB-PWD-003"),
        ("OrdersTable", "PAY-DDB-ENC-001"), ("OrdersTable", "PAY-DDB-PITR-001"),
        ("ProcessOrderFunction", "PAY-LOGS-003"), ("ProcessOrderLogs", "PAY-LOGS-002"),
        ("Storage/ExportsBucket", "PAY-S3-ENC-001"), ("Storage/ExportsBucket", "PAY-S3-LIFE-001"),
    } <= checked


def test_a_true_false_parameter_is_not_taken_for_a_password():
    assert {r.status for r in _results("prod") if r.resource == "ManageMasterUserPassword"} == {NOT_APPLICABLE}


def test_the_nested_stack_is_admitted_in_the_regions_its_parent_admits():
    [child] = [r for r in _results("prod") if r.rule_id == "PAY-REGION-002" and r.resource == "Storage"]
    assert child.status == PASS


def test_a_key_passed_by_the_parent_is_accepted_only_when_its_source_is_trusted():
    def verdict(trusted: bool) -> str:
        [result] = [r for r in _results("prod", trusted)
                    if r.rule_id == "PAY-S3-ENC-001" and r.resource == "Storage/ExportsBucket"]
        return result.status
    assert (verdict(trusted=True), verdict(trusted=False)) == (PASS, FAIL)
