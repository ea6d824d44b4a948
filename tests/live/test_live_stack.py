"""Discovery from a stack name: a stack deployed through the emulator's CloudFormation, read back live.

The emulator's CloudFormation skips AWS::RDS::DBCluster (it leaves a row without a physical id), so the
stack variant of the template has no Aurora cluster. It also drops most bucket properties, log-group KMS
keys (and has no AssociateKmsKey) and Lambda permissions' ids; it stores inline role policies as Python
reprs, and KMS key policies in a shape its own KMS API then fails on (HTTP 500). The fixture sets those
through the service APIs after the stack is created, and the checker reads everything through the APIs.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
import yaml

from checker.cli import main
from checker.engine.rules import bundled_rule_dirs, load_rules
from checker.live.permissions import iam_policy
from checker.template.load import load_template
from tests.live import payment_env
from tests.live.faults import recording

RULES = {rule.id: rule for rule in load_rules(bundled_rule_dirs())}
# IAM actions whose names differ from their API operation (S3 only, among what the collectors call).
S3_ACTIONS = {"GetBucketReplication": "GetReplicationConfiguration",
              "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
              "GetBucketEncryption": "GetEncryptionConfiguration", "GetPublicAccessBlock": "GetBucketPublicAccessBlock"}


@dataclass
class Stack:
    name: str
    template: Path  # the stack variant of payment-live.yaml, as deployed
    config: Path
    physical_ids: dict[str, str]
    names: dict[str, str]

    def args(self, command: str, endpoint: str, *extra: str) -> list[str]:
        head = ["scan", str(self.template), "--live"] if command == "scan" else ["live"]
        return [*head, "--stack-name", self.name, "--config", str(self.config), "--env", "prod",
                "--endpoint-url", endpoint, "-q", *extra]


@pytest.fixture
def stack(aws, tmp_path) -> Stack:
    suffix = uuid.uuid4().hex[:10]  # not the `suffix` of the outputs-file fixture: both may be in one test
    body = json.loads(json.dumps(load_template(payment_env.TEMPLATE).body))
    del body["Resources"]["AuroraCluster"], body["Outputs"]["AuroraClusterArn"]
    template = tmp_path / "payment-stack.json"
    template.write_text(json.dumps(body, indent=1))
    staging_key, dev_key = payment_env.replica_buckets(aws, suffix)
    parameters = {"Environment": "prod", "EnvironmentSuffix": suffix, "StagingReplicaKeyArn": staging_key["Arn"],
                  "DevReplicaKeyArn": dev_key["Arn"]}
    name = f"payments-{suffix}"
    cfn = aws("cloudformation")
    cfn.create_stack(StackName=name, TemplateBody=template.read_text(),
                     Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()])
    rows = cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]
    physical = {r["LogicalResourceId"]: r.get("PhysicalResourceId", "") for r in rows}

    kms = aws("kms")
    for key in ("DataKey", "LogsKey"):
        kms.put_key_policy(KeyId=physical[key], PolicyName="default", Policy=payment_env.KEY_POLICY)
    data_key_arn = kms.describe_key(KeyId=physical["DataKey"])["KeyMetadata"]["Arn"]
    iam = aws("iam")
    role_arn = iam.get_role(RoleName=physical["ReplicationRole"])["Role"]["Arn"]
    # The emulator's CloudFormation stores inline role policies as Python reprs ("{'Version': ...}"), which
    # GetRolePolicy then returns: put the template's policy back as JSON.
    policy = body["Resources"]["SnapshotCopyRole"]["Properties"]["Policies"][0]
    iam.put_role_policy(RoleName=physical["SnapshotCopyRole"], PolicyName=policy["PolicyName"],
                        PolicyDocument=json.dumps(policy["PolicyDocument"]))
    payment_env.configure_bucket(aws, physical["TransactionLogsBucket"], data_key_arn,
                                 payment_env.replication(suffix, role_arn, staging_key, dev_key))
    logs_key_arn = kms.describe_key(KeyId=physical["LogsKey"])["KeyMetadata"]["Arn"]
    # The emulator implements neither a log group's KmsKeyId in CloudFormation nor AssociateKmsKey: recreate
    # the group under the stack's physical id, with its key, as the template declares it.
    logs = aws("logs")
    for group in ("ApplicationLogs", "SnapshotCopyLogs"):
        logs.delete_log_group(logGroupName=physical[group])
        logs.create_log_group(logGroupName=physical[group], kmsKeyId=logs_key_arn)
        logs.put_retention_policy(logGroupName=physical[group], retentionInDays=365)

    # The stack runs the weekly copy of the production Aurora cluster, which the emulator leaves out of it.
    config = tmp_path / "checker.yaml"
    config.write_text(yaml.safe_dump(payment_env.environments(
        parameters, rule_params={"holds_production_aurora": True})))
    return Stack(name, template, config, physical, {k: v for k, v in physical.items() if v})


def _run(args: list[str], tmp_path, capsys, session=None) -> tuple[int, dict]:
    report = tmp_path / "report.json"
    code = main([*args, "--json", str(report)], session=session)
    output = capsys.readouterr()
    assert report.exists(), output.err
    return code, json.loads(report.read_text())


def test_stack_is_discovered_and_passes(endpoint, stack, tmp_path, capsys):
    code, payload = _run(stack.args("live", endpoint), tmp_path, capsys)
    live = [r for r in payload["results"] if r["source"] == "live"]
    assert {r["status"] for r in live} <= {"PASS", "NOT_APPLICABLE"}, [r for r in live if r["status"] != "PASS"]
    assert code == 0
    located = {r["resource"]: r["physical_id"] for r in live if r["resource"]}
    assert located and all(located[lid] == stack.physical_ids[lid] for lid in located)
    assert {"TransactionLogsBucket", "DataKey", "LogsKey", "ApplicationLogs", "AlertsTopic"} <= set(located)
    # Discovery came from the stack alone: no template, no outputs file.
    assert payload["live"]["not_found"] == []
    assert payload["live"]["not_collected"] == [] and payload["live"]["errors"] == []
    # The permission's physical id is its statement id; without a template, the stack's function holds it.
    assert stack.physical_ids["SnapshotCopyPermission"]
    assert {r["status"] for r in live if r["rule_id"].startswith("PAY-SNAP")} == {"PASS"}
    assert payload["live"]["api_calls"]["cloudformation:ListStackResources"] == 1


def test_stack_drift_fails_exactly_the_drifted_controls(endpoint, aws, stack, tmp_path, capsys):
    payment_env.drift(aws, payment_env.Deployment("", tmp_path, tmp_path, tmp_path, stack.names))
    code, payload = _run(stack.args("scan", endpoint), tmp_path, capsys)
    assert code == 1
    results = payload["results"]
    assert {r["status"] for r in results if r["source"] == "template"} <= {"PASS", "NOT_APPLICABLE"}
    failing = {(r["rule_id"], r["resource"]) for r in results if r["source"] == "live" and r["status"] == "FAIL"}
    expected = {k: v for k, v in payment_env.DRIFT.items() if k[0] != "AuroraCluster"}
    assert {resource for _, resource in failing} == {resource for resource, _ in expected}
    assert {RULES[rule_id].control for rule_id, _ in failing} == set(expected.values())
    assert {(d["rule_id"], d["resource"]) for d in payload["drift"] if d["kind"] == "rule"} == failing
    assert {(d["resource"], d["path"]) for d in payload["drift"] if d["kind"] == "property"} == set(expected)


def test_every_call_made_is_in_the_iam_policy(endpoint, stack, payment, tmp_path, capsys):
    session = boto3.Session()
    called = recording(session)
    _run(stack.args("scan", endpoint), tmp_path, capsys, session)  # discovery from the stack
    _run(payment.scan_args(endpoint), tmp_path, capsys, session)  # from the outputs, with the Aurora cluster
    allowed = set(iam_policy()["Statement"][0]["Action"])
    actions = {f"{prefix}:{S3_ACTIONS.get(op, op) if prefix == 's3' else op}" for prefix, op in called}
    assert actions and actions <= allowed, actions - allowed
    assert all(a.split(":")[1].startswith(("Get", "List", "Describe")) for a in allowed)
    assert {"cloudformation:ListStackResources", "rds:DescribeDBClusters", "s3:GetReplicationConfiguration"} <= actions


@pytest.mark.filterwarnings("ignore:Tried to parse AWS..RDS..DBCluster:UserWarning")
def test_stack_resource_without_a_physical_id_is_not_found(endpoint, aws, tmp_path, capsys):
    """The emulator's CloudFormation skips AWS::RDS::DBCluster: its stack row is blank (no logical id, type or
    physical id), so only the template tells that the cluster should be there."""
    name = f"partial-{uuid.uuid4().hex[:8]}"
    body = {"Resources": {
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": f"/{name}", "RetentionInDays": 365}},
        "Cluster": {"Type": "AWS::RDS::DBCluster", "Properties": {"Engine": "aurora-mysql", "MasterUsername": "a",
                                                                   "ManageMasterUserPassword": True}}}}
    aws("cloudformation").create_stack(StackName=name, TemplateBody=json.dumps(body))
    template = tmp_path / "partial.json"
    template.write_text(json.dumps(body))
    config = tmp_path / "checker.yaml"
    config.write_text(yaml.safe_dump({"environments": {"prod": {"region": "us-east-1"}}}))
    code, payload = _run(["live", "--stack-name", name, "--template", str(template), "--config", str(config),
                          "--endpoint-url", endpoint, "-q"], tmp_path, capsys)
    assert code == 1
    assert [e["resource"] for e in payload["live"]["not_found"]] == ["Cluster"]
    statuses = {(r["rule_id"], r["resource"]): r["status"] for r in payload["results"]}
    assert {s for (rule, resource), s in statuses.items() if resource == "Cluster"} == {"NOT_FOUND"}
    assert statuses["PAY-LOGS-002", "Logs"] == "PASS"
    assert statuses["PAY-LOGS-001", "Logs"] == "FAIL"  # no KMS key: true of this log group
