"""What a failing rule of the bundled pack tells its reader is true of the case that fails: an omitted value is
reported as omitted (with what AWS uses instead), not as out of range, a CloudFormation syntax it suggests is
shown whole, and the evidence names what is missing."""
from __future__ import annotations

import pytest

from checker.engine.cases import run_case
from checker.engine.rules import bundled_rule_dirs, load_rules

RULES = {rule.id: rule for rule in load_rules(bundled_rule_dirs())}


def outcome(rule_id: str, case_name: str):
    rule = RULES[rule_id]
    return run_case(rule, next(case for case in rule.cases if case.name == case_name))


@pytest.mark.parametrize(("rule_id", "case_name"), [
    ("PAY-RDS-BACKUP-001", "retention omitted (AWS default of 1 day) fails"),
    ("PAY-RDS-BACKUP-002", "retention omitted (1 day) fails"),
])
def test_an_omitted_backup_retention_is_reported_with_the_one_day_rds_uses(rule_id, case_name):
    assert outcome(rule_id, case_name).message == (
        "BackupRetentionPeriod is not set, so RDS keeps automated backups for only 1 day (its default): "
        "set it to at least 35 days in this environment")


def test_an_omitted_backtrack_window_is_reported_as_backtracking_off():
    assert outcome("PAY-RDS-BACKTRACK-001", "backtrack window omitted fails").message == (
        "BacktrackWindow is not set, so backtracking is off (its default is 0): "
        "set it to at least 259200 seconds in this environment")


def test_replication_to_staging_only_names_dev_as_the_environment_without_a_rule():
    seen = outcome("PAY-S3-REPL-007", "replication to staging only fails")
    assert seen.message.endswith("the evidence lists the environments that have none")
    assert list(seen.evidence.values()) == [["dev"]]


def test_the_dynamic_reference_a_password_message_suggests_is_written_whole():
    seen = outcome("PAY-DB-PWD-005", "both password settings omitted fail")
    assert "from a {{resolve:secretsmanager:...}} dynamic reference" in seen.message
