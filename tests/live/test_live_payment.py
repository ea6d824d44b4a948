"""The payment environment, compliant and then drifted, checked live from its CI outputs file."""
from __future__ import annotations

import json

from checker.cli import main
from checker.engine.rules import bundled_rule_dirs, load_rules
from tests.live import payment_env

RULES = load_rules(bundled_rule_dirs())
EXPECTED_CALLS = {
    # TransactionLogsBucket; GetBucketLocation also for its two replication destinations
    "s3:GetBucketLocation": 3, "s3:GetBucketVersioning": 1, "s3:GetBucketReplication": 1,
    "s3:GetBucketLifecycleConfiguration": 1, "s3:GetBucketEncryption": 1, "s3:GetPublicAccessBlock": 1,
    "s3:GetBucketTagging": 1, "s3:GetBucketPolicy": 1,
    "kms:DescribeKey": 2, "kms:GetKeyRotationStatus": 2, "kms:GetKeyPolicy": 2,  # DataKey, LogsKey
    "iam:GetRole": 2, "iam:ListRolePolicies": 2, "iam:ListAttachedRolePolicies": 2,  # two roles
    "iam:GetRolePolicy": 1,  # the one inline policy
    "rds:DescribeDBClusters": 1, "lambda:GetFunctionConfiguration": 1,
    "lambda:GetPolicy": 1,  # SnapshotCopyFunction; SnapshotCopyPermission reads the same policy, with the same call
    "events:DescribeRule": 1, "events:ListTargetsByRule": 1, "logs:DescribeLogGroups": 2, "sns:GetTopicAttributes": 1,
}


def _run(args: list[str], tmp_path, capsys) -> tuple[int, dict]:
    report = tmp_path / "report.json"
    code = main([*args, "--json", str(report)])
    capsys.readouterr()
    return code, json.loads(report.read_text())


def _live(payload: dict) -> list[dict]:
    return [r for r in payload["results"] if r["source"] == "live"]


def test_compliant_environment_passes_every_live_rule(endpoint, payment, tmp_path, capsys):
    code, payload = _run(payment.live_args(endpoint), tmp_path, capsys)
    statuses = {(r["rule_id"], r["resource"]): r["status"] for r in _live(payload)}
    assert {s for s in statuses.values()} <= {"PASS", "NOT_APPLICABLE"}, \
        {k: v for k, v in statuses.items() if v not in ("PASS", "NOT_APPLICABLE")}
    assert code == 0
    # Every live rule of the pack ran, on the resources of its type.
    live_rules = {r.id for r in RULES if "live" in r.sources}
    assert {rule_id for rule_id, _ in statuses} == live_rules
    passed = {k for k, v in statuses.items() if v == "PASS"}
    assert ("PAY-S3-REPL-006", "TransactionLogsBucket") in passed  # needs the faithful GetBucketReplication
    assert ("PAY-RDS-BACKTRACK-001", "AuroraCluster") in passed
    assert ("PAY-KMS-ROT-001", "DataKey") in passed
    by_resource = {r["resource"]: r["physical_id"] for r in _live(payload) if r["resource"]}
    assert by_resource["TransactionLogsBucket"] == payment.names["TransactionLogsBucket"]
    assert by_resource["AlertsTopic"] == payment.names["AlertsTopic"]  # located through a !Sub output
    live = payload["live"]
    assert live["not_found"] == [] and live["errors"] == []
    assert live["not_collected"] == []
    assert ("PAY-SNAP-003", None) in passed and ("PAY-SNAP-004", None) in passed  # the live snapshot-copy rules
    # One call per operation and resource, none twice: 31 calls for the 12 resources read.
    assert live["api_calls"] == EXPECTED_CALLS
    assert live["api_calls_total"] == 31 and live["resources"] == 12


def test_live_results_point_at_the_template_lines_that_declare_the_resource(endpoint, payment, tmp_path, capsys):
    _, payload = _run(payment.live_args(endpoint), tmp_path, capsys)
    located = [r for r in _live(payload) if r["resource"]]
    assert located and all(r["file"] and r["line"] for r in located)


def test_a_live_scan_reports_progress_once_per_resource_read(endpoint, payment):
    from checker.live.aws import AwsOptions
    from checker.live.scan import LiveSource, run_live
    from checker.project.plan import select_environments
    from checker.template.load import load_template

    steps: list[tuple[int, int, str]] = []
    environments = select_environments(str(payment.config), ["prod"], None, {})
    source = LiveSource(None, str(payment.outputs), load_template(payment_env.TEMPLATE))
    run_live(RULES, environments, source, AwsOptions(endpoint_url=endpoint), progress=lambda *step: steps.append(step))
    assert [done for done, _, _ in steps] == list(range(1, 13))  # the 12 resources, each with a collector
    assert {total for _, total, _ in steps} == {12}
    assert "TransactionLogsBucket" in {name for _, _, name in steps}


def _scan(endpoint: str, deployment: payment_env.Deployment):
    from checker.live.aws import AwsOptions
    from checker.live.scan import LiveSource, run_live
    from checker.project.plan import select_environments
    from checker.template.load import load_template

    environments = select_environments(str(deployment.config), ["prod"], None, {})
    source = LiveSource(None, str(deployment.outputs), load_template(payment_env.TEMPLATE))
    return run_live(RULES, environments, source, AwsOptions(endpoint_url=endpoint))


def test_the_permission_is_read_back_from_the_function_policy(endpoint, payment):
    from checker.engine.context import Context
    from checker.engine.expressions import Expression

    document = _scan(endpoint, payment).documents["prod"]
    permission = document["Resources"]["SnapshotCopyPermission"]
    assert permission["PhysicalId"] == "weekly-snapshot-copy"  # located by the output that Refs it
    properties = permission["Properties"]
    assert properties["Action"] == "lambda:InvokeFunction" and properties["Principal"] == "events.amazonaws.com"
    assert properties["SourceArn"] == document["Resources"]["WeeklySnapshotCopy"]["Arn"]
    # The statement's Resource is the function's ARN: resolve() finds the function, as !Ref does in templates.
    resolved = Expression("resolve(Properties.FunctionName).LogicalId").search(permission, Context(document, {}))
    assert resolved == "SnapshotCopyFunction"


def _snapshot_results(payload: dict) -> dict[tuple[str, str], str]:
    return {(r["rule_id"], r["source"]): r["status"] for r in payload["results"] if r["rule_id"].startswith("PAY-SNAP")}


def test_removed_permission_fails_the_snapshot_copy_control_live(endpoint, aws, payment, tmp_path, capsys):
    aws("lambda").remove_permission(FunctionName=payment.names["SnapshotCopyFunction"],
                                    StatementId=payment.names["SnapshotCopyPermission"])
    code, payload = _run(payment.scan_args(endpoint), tmp_path, capsys)
    assert code == 1
    assert _snapshot_results(payload) == {("PAY-SNAP-001", "template"): "PASS", ("PAY-SNAP-002", "template"): "PASS",
                                          ("PAY-SNAP-003", "live"): "PASS", ("PAY-SNAP-004", "live"): "FAIL"}
    assert {r["status"] for r in _live(payload) if r["rule_id"] != "PAY-SNAP-004"} <= {"PASS", "NOT_APPLICABLE"}
    assert payload["live"]["errors"] == [] and payload["live"]["not_found"] == []
    assert ("SnapshotCopyPermission", "Properties.Principal") in {(d["resource"], d["path"]) for d in payload["drift"]}


def test_disabled_schedule_fails_the_snapshot_copy_control_live(endpoint, aws, payment, tmp_path, capsys):
    aws("events").disable_rule(Name=payment.names["WeeklySnapshotCopy"])
    code, payload = _run(payment.scan_args(endpoint), tmp_path, capsys)
    assert code == 1
    assert _snapshot_results(payload) == {("PAY-SNAP-001", "template"): "PASS", ("PAY-SNAP-002", "template"): "PASS",
                                          ("PAY-SNAP-003", "live"): "FAIL", ("PAY-SNAP-004", "live"): "PASS"}
    assert {r["status"] for r in _live(payload) if r["rule_id"] != "PAY-SNAP-003"} <= {"PASS", "NOT_APPLICABLE"}
    drift = {(d["resource"], d["path"]): (d["template"], d["live"])
             for d in payload["drift"] if d["kind"] == "property"}
    assert drift == {("WeeklySnapshotCopy", "Properties.State"): ("ENABLED", "DISABLED")}


def test_drifted_environment_fails_exactly_the_drifted_controls(endpoint, drifted, tmp_path, capsys):
    code, payload = _run(drifted.scan_args(endpoint), tmp_path, capsys)
    assert code == 1
    template = [r for r in payload["results"] if r["source"] == "template"]
    assert {r["status"] for r in template} <= {"PASS", "NOT_APPLICABLE"}
    failing = {(r["rule_id"], r["resource"]) for r in _live(payload) if r["status"] == "FAIL"}
    assert {r["status"] for r in _live(payload)} <= {"PASS", "NOT_APPLICABLE", "FAIL"}
    by_id = {r.id: r for r in RULES}
    drifted_resources = {resource for resource, _ in payment_env.DRIFT}
    assert {resource for _, resource in failing} == drifted_resources
    assert {by_id[rule_id].control for rule_id, _ in failing} == set(payment_env.DRIFT.values())

    rule_drift = {(d["rule_id"], d["resource"]) for d in payload["drift"] if d["kind"] == "rule"}
    assert rule_drift == failing
    property_drift = {(d["resource"], d["path"]): (d["template"], d["live"])
                      for d in payload["drift"] if d["kind"] == "property"}
    assert set(property_drift) == set(payment_env.DRIFT)
    assert property_drift["AuroraCluster", "Properties.BacktrackWindow"] == (259200, 0)
    assert property_drift["DataKey", "Properties.EnableKeyRotation"] == (True, False)
    assert property_drift["ApplicationLogs", "Properties.RetentionInDays"] == (365, 7)
    assert property_drift["TransactionLogsBucket", "Properties.ReplicationConfiguration"][1] is None


def test_compliant_environment_has_no_drift(endpoint, payment, tmp_path, capsys):
    code, payload = _run(payment.scan_args(endpoint), tmp_path, capsys)
    assert payload["drift"] == []
    assert code == 0
