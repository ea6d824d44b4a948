"""Live: what was not located or read is unknown, and only verdicts that depend on it are ERROR."""
from __future__ import annotations

import json

from checker.cli import main
from checker.engine.rules import bundled_rule_dirs, load_rules
from tests.live import payment_env


def _statuses(args: list[str], tmp_path, capsys) -> tuple[int, dict, dict]:
    report = tmp_path / "report.json"
    code = main([*args, "--json", str(report)])
    capsys.readouterr()
    payload = json.loads(report.read_text())
    return code, {(r["rule_id"], r["resource"]): r for r in payload["results"]}, payload


def _without_output(payment: payment_env.Deployment, name: str) -> None:
    outputs = json.loads(payment.outputs.read_text())
    del outputs[name]
    payment.outputs.write_text(json.dumps(outputs))


def test_an_unlocated_key_decides_nothing_about_resources_encrypted_with_another_key(endpoint, payment, tmp_path,
                                                                                     capsys):
    _without_output(payment, "LogsKeyId")  # the logs key is no longer located; the data key still is
    code, results, payload = _statuses(payment.live_args(endpoint), tmp_path, capsys)
    assert [entry["resource"] for entry in payload["live"]["not_found"]] == ["LogsKey"]
    # The bucket's key is the data key, located and of the stack: decided although another key was not found.
    assert results[("PAY-S3-ENC-003", "TransactionLogsBucket")]["status"] == "PASS"
    assert results[("PAY-RDS-ENC-006", "AuroraCluster")]["status"] == "PASS"
    # The log groups and the topic use the logs key: whether it is a key of the stack is not known.
    doubtful = {key for key, r in results.items() if r["status"] == "ERROR"}
    assert doubtful == {("PAY-LOGS-001", "ApplicationLogs"), ("PAY-LOGS-001", "SnapshotCopyLogs"),
                        ("PAY-LOGS-003", "SnapshotCopyFunction"), ("PAY-SNS-ENC-001", "AlertsTopic")}
    unlocated = ("LogsKey (AWS::KMS::Key) was not located: neither the stack, the outputs nor a name the template "
                 "determines locates this resource")
    assert results[("PAY-LOGS-001", "ApplicationLogs")]["message"] == f"cannot decide Properties.KmsKeyId: {unlocated}"
    assert results[("PAY-SNS-ENC-001", "AlertsTopic")]["message"] == \
        f"cannot decide Properties.KmsMasterKeyId: {unlocated}"
    key_rules = {r.id for r in load_rules(bundled_rule_dirs()) if r.target == "AWS::KMS::Key" and "live" in r.sources}
    assert {key for key, r in results.items() if r["status"] == "NOT_FOUND"} == \
        {(rule, "LogsKey") for rule in key_rules}
    assert code == 1


def test_at_least_one_weekly_rule_is_decided_when_an_unrelated_rule_was_not_found(endpoint, payment, tmp_path,
                                                                                     capsys):
    template = tmp_path / "with-nightly-rule.yaml"
    nightly = ("  NightlyReport:\n    Type: AWS::Events::Rule\n"
               "    Properties: {ScheduleExpression: rate(1 day), State: ENABLED}\n")
    template.write_text(payment_env.TEMPLATE.read_text().replace("\nResources:\n", "\nResources:\n" + nightly, 1))
    args = [a if a != str(payment_env.TEMPLATE) else str(template) for a in payment.live_args(endpoint)]
    _, results, payload = _statuses(args, tmp_path, capsys)
    assert [entry["resource"] for entry in payload["live"]["not_found"]] == ["NightlyReport"]
    assert results[("PAY-SNAP-003", None)]["status"] == "PASS"
    assert results[("PAY-SNAP-004", None)]["status"] == "PASS"


def test_a_weekly_rule_that_was_not_found_leaves_at_least_one_undecided(endpoint, payment, tmp_path, capsys):
    _without_output(payment, "WeeklySnapshotCopyArn")
    _, results, _ = _statuses(payment.live_args(endpoint), tmp_path, capsys)
    found = results[("PAY-SNAP-003", None)]
    assert found["status"] == "ERROR"
    assert "WeeklySnapshotCopy (AWS::Events::Rule) was not located" in found["message"]
