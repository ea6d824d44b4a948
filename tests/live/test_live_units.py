"""The parts of live checks that need no AWS: outputs mapping, translations, the runner, drift, imports."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest

from checker.live.collectors import COLLECTORS
from checker.live.collectors.base import Call, Collector, Target
from checker.live.drift import masked, property_drift
from checker.live.outputs import locate
from checker.live.runner import Runner, collect
from checker.template.mask import Masker
from checker.template.values import Origin, Reference, Unknown
from tests.conftest import ROOT

RESOURCES = {"Bucket": {"Type": "AWS::S3::Bucket"}, "Key": {"Type": "AWS::KMS::Key"},
             "Rule": {"Type": "AWS::Events::Rule"}, "Topic": {"Type": "AWS::SNS::Topic"},
             "Group": {"Type": "AWS::Logs::LogGroup"}, "Role": {"Type": "AWS::IAM::Role"},
             "Db": {"Type": "AWS::RDS::DBCluster"}}


@pytest.mark.parametrize(("value", "deployed", "expected"), [
    ({"Ref": "Bucket"}, "logs-1", ("Bucket", ("logs-1", None))),
    ({"Fn::GetAtt": ["Key", "Arn"]}, "arn:aws:kms:us-east-1:1:key/k-1",
     ("Key", ("k-1", "arn:aws:kms:us-east-1:1:key/k-1"))),
    ({"Fn::GetAtt": "Key.KeyId"}, "k-2", ("Key", ("k-2", None))),
    ({"Fn::GetAtt": ["Rule", "Arn"]}, "arn:aws:events:us-east-1:1:rule/bus/weekly",
     ("Rule", ("bus|weekly", "arn:aws:events:us-east-1:1:rule/bus/weekly"))),
    ({"Fn::Sub": "arn:aws:s3:::${Bucket}/*"}, "arn:aws:s3:::logs-2/*", ("Bucket", ("logs-2", None))),
    ({"Fn::Sub": "${AWS::Region}:${Topic}"}, "us-east-1:arn:aws:sns:us-east-1:1:t",
     ("Topic", ("arn:aws:sns:us-east-1:1:t", "arn:aws:sns:us-east-1:1:t"))),
    ({"Fn::Sub": ["https://x/${Name}", {"Name": {"Ref": "Group"}}]}, "https://x//a/b", ("Group", ("/a/b", None))),
    ({"Fn::Join": ["", ["arn:aws:logs:", {"Ref": "AWS::Region"}, ":1:log-group:", {"Ref": "Group"}]]},
     "arn:aws:logs:us-east-1:1:log-group:/g", ("Group", ("/g", None))),
    ({"Fn::GetAtt": ["Role", "Arn"]}, "arn:aws:iam::1:role/path/r", ("Role", ("r", "arn:aws:iam::1:role/path/r"))),
    ({"Fn::GetAtt": ["Db", "Endpoint.Address"]}, "prod-db.cluster-abc.us-east-1.rds.amazonaws.com",
     ("Db", ("prod-db", None))),
])
def test_outputs_locate_resources(value, deployed, expected):
    located, used = locate({"Out": {"Value": value}}, {"Out": deployed}, RESOURCES, COLLECTORS)
    assert located == dict([expected]) and used == {"Out"}


def test_outputs_that_name_no_resource_or_do_not_match_locate_nothing():
    outputs = {"A": {"Value": {"Ref": "Environment"}}, "B": {"Value": {"Fn::Sub": "arn:aws:s3:::${Bucket}"}},
               "C": {"Value": {"Fn::GetAtt": ["Bucket", "DomainName"]}}}
    assert locate(outputs, {"A": "prod", "B": "not-an-arn", "C": "x.s3.amazonaws.com"}, RESOURCES, COLLECTORS) \
        == ({}, set())


class _FakeClient:
    """Answers GetBucketLocation slowly, counting calls, as a shared client would across threads."""

    def __init__(self) -> None:
        self.calls = 0
        self.lock = threading.Lock()

    def can_paginate(self, _: str) -> bool:
        return False

    def get_bucket_location(self, Bucket: str) -> dict:  # noqa: N803 - the API's parameter name
        with self.lock:
            self.calls += 1
        time.sleep(0.02)
        return {"LocationConstraint": "us-east-2"}


class _FakeClients:
    def __init__(self) -> None:
        self.client = _FakeClient()

    def get(self, service: str, region: str) -> _FakeClient:
        return self.client


def test_runner_makes_each_call_once_across_threads():
    clients = _FakeClients()
    runner = Runner(clients, workers=8)
    answers = runner.map(lambda _: runner.call("s3", "us-east-1", "GetBucketLocation", {"Bucket": "b"}), range(16))
    assert clients.client.calls == 1 and len(answers) == 16
    runner.call("s3", "us-east-1", "GetBucketLocation", {"Bucket": "other"})
    assert clients.client.calls == 2


def test_lifecycle_and_replication_are_translated_to_template_shape():
    responses = {
        "GetBucketLifecycleConfiguration": {"Rules": [{
            "ID": "r", "Status": "Enabled",
            "Filter": {"And": {"Prefix": "logs/", "Tags": [{"Key": "k", "Value": "v"}]}},
            "Expiration": {"Days": 365}, "Transitions": [{"Days": 90, "StorageClass": "GLACIER"}],
            "NoncurrentVersionTransitions": [{"NoncurrentDays": 30, "StorageClass": "STANDARD_IA"}]}]},
        "GetBucketReplication": {"ReplicationConfiguration": {"Role": "arn:r", "Rules": [{
            "ID": "x", "Status": "Enabled", "Priority": 1, "Filter": {"Tag": {"Key": "a", "Value": "b"}},
            "Destination": {"Bucket": "arn:aws:s3:::dest"}}]}},
    }
    calls = {c.key: c for c in COLLECTORS["AWS::S3::Bucket"].calls}
    target = Target("B", "AWS::S3::Bucket", "b", "us-east-1")
    lifecycle = calls["GetBucketLifecycleConfiguration"].translate(responses["GetBucketLifecycleConfiguration"], target)
    assert lifecycle == {"LifecycleConfiguration": {"Rules": [{
        "Status": "Enabled", "Id": "r", "Prefix": "logs/", "TagFilters": [{"Key": "k", "Value": "v"}],
        "ExpirationInDays": 365, "Transitions": [{"StorageClass": "GLACIER", "TransitionInDays": 90}],
        "NoncurrentVersionTransitions": [{"StorageClass": "STANDARD_IA", "TransitionInDays": 30}]}]}}
    replication = calls["GetBucketReplication"].translate(responses["GetBucketReplication"], target)
    assert replication == {"ReplicationConfiguration": {"Role": "arn:r", "Rules": [{
        "Priority": 1, "Status": "Enabled", "Destination": {"Bucket": "arn:aws:s3:::dest"}, "Id": "x",
        "Filter": {"TagFilter": {"Key": "a", "Value": "b"}}}]}}


def test_failing_calls_and_bad_translations_are_failures_of_that_call_not_crashes():
    collector = COLLECTORS["AWS::S3::Bucket"]
    target = Target("B", "AWS::S3::Bucket", "b", "us-east-1")
    result = collect(collector, target, Runner(_FakeClients(), workers=1))
    # The fake client answers GetBucketLocation only: every other call fails, and none raises.
    assert result.whole_failure is None and result.live == {"Region": "us-east-2"}
    assert {f.operation for f in result.failures} >= {"s3:GetBucketVersioning", "s3:GetBucketReplication"}

    sloppy = Collector("AWS::S3::Bucket", (Call("s3", "GetBucketLocation", lambda t, r: {"Bucket": "b"},
                                                lambda r, t: {"Undeclared": 1}, ("BucketName",), required=True),),
                       arn=lambda t, r: None)
    result = collect(sloppy, target, Runner(_FakeClients(), workers=1))
    assert result.whole_failure is not None and "Undeclared" in result.whole_failure.message


def test_property_drift_compares_references_and_normalizes_scalars():
    live = {"Resources": {
        "Key": {"Type": "AWS::KMS::Key", "PhysicalId": "k-1", "Arn": "arn:aws:kms:us-east-1:1:key/k-1",
                "Properties": {"EnableKeyRotation": False, "Enabled": True}},
        "Cluster": {"Type": "AWS::RDS::DBCluster", "PhysicalId": "prod-db", "Properties": {
            "KmsKeyId": "arn:aws:kms:us-east-1:1:key/k-1", "BackupRetentionPeriod": 35,
            "DBClusterIdentifier": "prod-db", "EnableCloudwatchLogsExports": ["error", "audit"],
            "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"},
                     {"Key": "aws:cloudformation:stack-name", "Value": "payments"}]}}},
        "Deployment": {"Region": "us-east-1"}}
    template = {"Resources": {
        "Key": {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": "true", "PendingWindowInDays": 7}},
        "Cluster": {"Type": "AWS::RDS::DBCluster", "Properties": {
            "KmsKeyId": Reference("Key"), "BackupRetentionPeriod": "35", "DBClusterIdentifier": "Prod-DB",
            "EnableCloudwatchLogsExports": ["audit", "error"], "Tags": [{"Key": "b", "Value": "3"}],
            "MasterUserPassword": Unknown([Origin("parameter", "DbPassword")], "string")}}}}
    found = property_drift("prod", template, live)
    assert [(d["resource"], d["path"], d["template"], d["live"]) for d in found] == [
        ("Key", "Properties.EnableKeyRotation", "true", False),
        ("Cluster", "Properties.Tags[Key=b].Value", "3", "2"),
        ("Cluster", "Properties.Tags[Key=a]", None, {"Key": "a", "Value": "1"}),
    ]


def test_a_drift_entry_is_reported_with_its_path_masked_too():
    """The Id, Key or Sid naming a list's entry is free text: a statement's Sid may hold a secret."""
    entry = {"resource": "Key", "path": "Properties.KeyPolicy.Statement[Sid=AKIAIOSFODNN7EXAMPLE]", "template": None,
             "live": {"Sid": "AKIAIOSFODNN7EXAMPLE", "Condition": {"StringEquals": {"kms:ViaService": "s3cr3t-value"}}}}
    assert masked(entry, Masker(["s3cr3t-value"])) == {
        "resource": "Key", "path": "Properties.KeyPolicy.Statement[Sid=****]", "template": None,
        "live": {"Sid": "****", "Condition": {"StringEquals": {"kms:ViaService": "****"}}}}


def test_template_scan_never_imports_boto3(tmp_path):
    code = ("import sys\nfrom checker.cli import main\n"
            f"rc = main(['scan', {str(ROOT / 'tests' / 'live' / 'payment-live.yaml')!r}, '--env', 'prod', '--region', "
            "'us-east-1', '--param', 'Environment=prod', '--param', 'EnvironmentSuffix=x', '-q'])\n"
            "print(rc, sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))\n")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                               env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert completed.returncode == 0, completed.stderr
    rc, modules = completed.stdout.strip().splitlines()[-1].split(" ", 1)
    assert modules == "[]"
    assert rc in ("0", "1")  # the scan ran (unresolved replica-key parameters may fail a rule)


def test_iam_policy_command_prints_the_derived_read_only_policy(capsys):
    from checker.cli import main
    from checker.live.permissions import iam_policy

    assert main(["iam-policy"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == iam_policy()
    actions = printed["Statement"][0]["Action"]
    assert "s3:GetReplicationConfiguration" in actions and "cloudformation:ListStackResources" in actions
    assert all(a.split(":", 1)[1].startswith(("Get", "List", "Describe")) for a in actions)
