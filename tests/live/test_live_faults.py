"""Faults after botocore's retries: the affected results are ERROR naming the call, the rest complete."""
from __future__ import annotations

import json

import boto3
import pytest

from checker.cli import main
from checker.engine.rules import bundled_rule_dirs, load_rules
from checker.template.load import load_template
from tests.live import payment_env
from tests.live.faults import Fault

RULES = {rule.id: rule for rule in load_rules(bundled_rule_dirs())}


def _reads(text: str | None, names: tuple[str, ...]) -> bool:
    return bool(text) and any(name in text for name in names)


def _affected(rule_id: str, clean_status: str, names: tuple[str, ...] | None) -> bool:
    """The contract: a result that reads what a fault left unknown (`names`; None: the whole resource) is
    ERROR. A NOT_APPLICABLE decided by `when` stands unless that `when` read something unknown."""
    if names is None:
        return True
    rule = RULES[rule_id]
    when = rule.when.text if rule.when else None
    if clean_status == "NOT_APPLICABLE":
        return _reads(when, names)
    return _reads(when, names) or any(_reads(a.expression.text, names) for a in rule.assertions)


def _results(args: list[str], tmp_path, capsys, session=None) -> tuple[int, dict[tuple, dict], dict]:
    report = tmp_path / "report.json"
    code = main([*args, "--json", str(report)], session=session)
    capsys.readouterr()
    payload = json.loads(report.read_text())
    return code, {(r["rule_id"], r["resource"]): r for r in payload["results"] if r["source"] == "live"}, payload


# fault, the call named in messages, the resources it hits, the property names it leaves unknown (None: all)
CASES = {
    "access denied to the replication configuration": (
        Fault("s3", "GetBucketReplication", "AccessDenied", 403), "s3:GetBucketReplication",
        {"TransactionLogsBucket"}, ("ReplicationConfiguration",)),
    "throttled cluster reads": (
        Fault("rds", "DescribeDBClusters", "throttle"), "rds:DescribeDBClusters", {"AuroraCluster"}, None),
    "throttled key rotation reads": (
        Fault("kms", "GetKeyRotationStatus", "throttle"), "kms:GetKeyRotationStatus", {"DataKey", "LogsKey"},
        ("EnableKeyRotation", "RotationPeriodInDays")),
    "log group reads time out": (  # the function's result too: whether it logs to a group of the stack
        Fault("logs", "DescribeLogGroups", "timeout"), "logs:DescribeLogGroups",
        {"ApplicationLogs", "SnapshotCopyLogs", "SnapshotCopyFunction"}, None),
}


@pytest.mark.parametrize("case", list(CASES))
def test_fault_turns_only_the_affected_results_into_errors(case, endpoint, payment, zero_backoff, tmp_path, capsys):
    fault, label, resources, names = CASES[case]
    clean_code, clean, _ = _results(payment.live_args(endpoint), tmp_path, capsys)
    assert clean_code == 0
    session = boto3.Session()
    fault.install(session)
    code, faulty, payload = _results(payment.live_args(endpoint, "--max-attempts", "3"), tmp_path, capsys, session)

    assert code == 1
    assert set(faulty) == set(clean)  # the rest of the scan completed
    expected = {key for key in clean if key[1] in resources and _affected(key[0], clean[key]["status"], names)}
    errors = {key for key, r in faulty.items() if r["status"] == "ERROR"}
    assert expected and errors == expected
    for key in errors:
        assert label in faulty[key]["message"]
    for key in set(faulty) - errors:
        assert faulty[key]["status"] == clean[key]["status"], key
    if fault.code == "AccessDenied":
        assert fault.attempts == 1  # not retried
    else:
        assert fault.attempts > 0 and fault.attempts % 3 == 0  # each call tried three times, then given up
        if fault.code == "throttle":
            assert "(after 3 attempts)" in faulty[sorted(errors)[0]]["message"]


def test_unparseable_response_is_an_error_of_that_resource_only(endpoint, payment, zero_backoff, tmp_path, capsys):
    """An HTML 500 (what the emulator sends for an action it lacks): a server error, tried again, then given up."""
    session = boto3.Session()
    fault = Fault("lambda", "GetFunctionConfiguration", "html500")
    fault.install(session)
    code, results, payload = _results(payment.live_args(endpoint), tmp_path, capsys, session)
    errors = payload["live"]["errors"]
    assert [e["resource"] for e in errors] == ["SnapshotCopyFunction"]
    assert "lambda:GetFunctionConfiguration" in errors[0]["message"]
    assert fault.attempts == 5 and payload["live"]["gave_up"] == {"lambda:GetFunctionConfiguration": 1}
    # Only the rule on the function's own logging reads its properties; the snapshot-copy rules need only its
    # type and identity, which discovery knows without reading the function, so their verdicts stand.
    assert {key for key, r in results.items() if r["status"] not in ("PASS", "NOT_APPLICABLE")} == {
        ("PAY-LOGS-003", "SnapshotCopyFunction")}
    assert {r["status"] for key, r in results.items() if key[0].startswith("PAY-SNAP")} == {"PASS"}
    assert code == 1


def test_deleted_resource_fails_every_rule_on_it_even_with_errors_allowed(endpoint, aws, payment, tmp_path, capsys):
    aws("logs").delete_log_group(logGroupName=payment.names["ApplicationLogs"])
    code, results, payload = _results(payment.live_args(endpoint, "--allow-errors"), tmp_path, capsys)
    assert code == 1
    for key, result in results.items():
        if key[1] == "ApplicationLogs":
            assert result["status"] == "FAIL"
            assert result["message"].startswith("deleted: AWS::Logs::LogGroup") and "no log group" in result["message"]
        else:
            assert result["status"] in ("PASS", "NOT_APPLICABLE"), key
    assert [d["resource"] for d in payload["live"]["deleted"]] == ["ApplicationLogs"]


def test_resource_the_outputs_do_not_locate_is_found_by_the_name_the_template_determines(endpoint, payment, tmp_path,
                                                                                         capsys):
    outputs = json.loads(payment.outputs.read_text())
    del outputs["AuroraClusterArn"], outputs["ApplicationLogsName"]
    payment.outputs.write_text(json.dumps(outputs))
    code, results, payload = _results(payment.live_args(endpoint), tmp_path, capsys)
    assert code == 0
    assert {r["physical_id"] for k, r in results.items() if k[1] == "AuroraCluster"} == {payment.names["AuroraCluster"]}
    assert {r["physical_id"] for k, r in results.items() if k[1] == "ApplicationLogs"} == \
        {payment.names["ApplicationLogs"]}
    assert payload["live"]["not_found"] == []


def test_resource_nothing_locates_is_not_found(endpoint, payment, tmp_path, capsys):
    outputs = json.loads(payment.outputs.read_text())
    del outputs["SnapshotCopyPermissionId"]  # a permission has no name of its own
    payment.outputs.write_text(json.dumps(outputs))
    code, results, payload = _results(payment.live_args(endpoint), tmp_path, capsys)
    assert code == 1
    assert [e["resource"] for e in payload["live"]["not_found"]] == ["SnapshotCopyPermission"]
    # The function whose policy holds it is still checked.
    assert results["PAY-SNAP-003", None]["status"] == "PASS"


def test_type_without_a_collector_is_not_collected_never_pass(endpoint, payment, tmp_path, capsys):
    rules = tmp_path / "extra-rules"
    rules.mkdir()
    (rules / "permission.yaml").write_text("""
rules:
  - id: TEST-LIVE-PERM-001
    title: EventBridge may invoke the function
    control: snapshot-copy
    severity: low
    target: AWS::SQS::Queue
    sources: [live]
    assert:
      - expr: Properties.SqsManagedSseEnabled == `true`
    remediation: Encrypt the queue.
    references: [https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html]
    tests:
      - name: encrypted
        resource: {Type: AWS::SQS::Queue, Properties: {SqsManagedSseEnabled: true}}
        expect: PASS
      - name: plain
        resource: {Type: AWS::SQS::Queue, Properties: {SqsManagedSseEnabled: false}}
        expect: FAIL
""")
    # The payment template plus a queue: no collector reads AWS::SQS::Queue.
    body = load_template(payment_env.TEMPLATE).body
    body["Resources"]["DeadLetters"] = {"Type": "AWS::SQS::Queue", "Properties": {"SqsManagedSseEnabled": True}}
    template = tmp_path / "payment-with-queue.json"
    template.write_text(json.dumps(body))
    args = payment.live_args(endpoint, "--add-rules", str(rules))
    args[args.index(str(payment_env.TEMPLATE))] = str(template)
    code, results, payload = _results(args, tmp_path, capsys)
    assert results["TEST-LIVE-PERM-001", "DeadLetters"]["status"] == "NOT_COLLECTED"
    assert [e["resource"] for e in payload["live"]["not_collected"]] == ["DeadLetters"]
    assert code == 1
    code, _, _ = _results([*args, "--allow-errors"], tmp_path, capsys)
    assert code == 0
