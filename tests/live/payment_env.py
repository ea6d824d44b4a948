"""Build the payment environment of payment-live.yaml with direct API calls, as a deployment would leave it.

Direct calls rather than the emulator's CloudFormation: it drops bucket versioning, replication,
lifecycle, public access block and log-group KMS keys, and skips AWS::RDS::DBCluster altogether.
"""
from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

TEMPLATE = Path(__file__).with_name("payment-live.yaml")
REGION, STAGING_REGION, DEV_REGION = "us-east-1", "us-east-2", "us-west-2"

# What `drift()` changes by hand, as (logical id, property path) -> the control whose rules should notice.
DRIFT = {
    ("TransactionLogsBucket", "Properties.ReplicationConfiguration"): "replication",
    ("DataKey", "Properties.EnableKeyRotation"): "kms-rotation",
    ("AuroraCluster", "Properties.BacktrackWindow"): "pitr-backtrack",
    ("ApplicationLogs", "Properties.RetentionInDays"): "log-encryption-retention",
}


@dataclass
class Deployment:
    suffix: str
    directory: Path
    outputs: Path  # cfn-outputs/flat-outputs.json
    config: Path  # checker.yaml with the prod environment and its parameters
    names: dict[str, str] = field(default_factory=dict)  # logical id -> physical id

    def live_args(self, endpoint: str, *extra: str) -> list[str]:
        return ["live", "--config", str(self.config), "--env", "prod", "--outputs", str(self.outputs),
                "--template", str(TEMPLATE), "--endpoint-url", endpoint, "-q", *extra]

    def scan_args(self, endpoint: str, *extra: str) -> list[str]:
        return ["scan", str(TEMPLATE), "--config", str(self.config), "--env", "prod", "--live",
                "--outputs", str(self.outputs), "--endpoint-url", endpoint, "-q", *extra]


def _trust(service: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})


def _code() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return {'copied': []}\n")
    return buffer.getvalue()


ACCOUNT = "123456789012"  # the emulator's default account
KEY_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Sid": "account-administers-the-key", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    "Action": "kms:*", "Resource": "*"}]})


def _key(kms: Any, description: str) -> dict:
    key = kms.create_key(Description=description, KeySpec="SYMMETRIC_DEFAULT", KeyUsage="ENCRYPT_DECRYPT",
                         Policy=KEY_POLICY)
    kms.enable_key_rotation(KeyId=key["KeyMetadata"]["KeyId"])
    return key["KeyMetadata"]


def _replica_bucket(aws: Callable[..., Any], name: str, region: str) -> dict:
    s3 = aws("s3", region)
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return _key(aws("kms", region), f"replica key {name}")


def replica_buckets(aws: Callable[..., Any], suffix: str) -> tuple[dict, dict]:
    """The staging and dev transaction-log buckets (other stacks, other Regions) and their KMS keys."""
    return (_replica_bucket(aws, f"staging-transaction-logs-{suffix}", STAGING_REGION),
            _replica_bucket(aws, f"dev-transaction-logs-{suffix}", DEV_REGION))


def replication(suffix: str, role_arn: str, staging_key: dict, dev_key: dict) -> dict:
    return {"Role": role_arn, "Rules": [
        _replication_rule("to-staging", 1, f"staging-transaction-logs-{suffix}", staging_key["Arn"]),
        _replication_rule("to-dev", 2, f"dev-transaction-logs-{suffix}", dev_key["Arn"])]}


def _replication_rule(rule_id: str, priority: int, bucket: str, key_arn: str) -> dict:
    return {"ID": rule_id, "Priority": priority, "Status": "Enabled", "Filter": {"Prefix": ""},
            "DeleteMarkerReplication": {"Status": "Disabled"},
            "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
            "Destination": {"Bucket": f"arn:aws:s3:::{bucket}", "EncryptionConfiguration": {"ReplicaKmsKeyID": key_arn},
                            "ReplicationTime": {"Status": "Enabled", "Time": {"Minutes": 15}},
                            "Metrics": {"Status": "Enabled", "EventThreshold": {"Minutes": 15}}}}


def configure_bucket(aws: Callable[..., Any], name: str, key_arn: str, replication: dict | None) -> None:
    s3 = aws("s3")
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
        "BucketKeyEnabled": True}]})
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True})
    s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [{
        "ID": "retain-transaction-logs", "Status": "Enabled", "Filter": {"Prefix": ""},
        "Expiration": {"Days": 400},
        "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}, {"Days": 90, "StorageClass": "GLACIER"}],
        "NoncurrentVersionExpiration": {"NoncurrentDays": 400},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]})
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "DataClassification", "Value": "transaction-logs"}]})
    if replication:
        s3.put_bucket_replication(Bucket=name, ReplicationConfiguration=replication)


def provision(aws: Callable[..., Any], suffix: str, directory: Path) -> Deployment:
    """Every resource of payment-live.yaml for prod, compliant; plus the replica buckets of the other
    environments, which belong to their own stacks."""
    kms, iam = aws("kms"), aws("iam")
    data_key, logs_key = _key(kms, f"payment data key {suffix}"), _key(kms, f"payment logs key {suffix}")
    staging_key, dev_key = replica_buckets(aws, suffix)

    replication_role = iam.create_role(RoleName=f"prod-s3-replication-{suffix}",
                                       AssumeRolePolicyDocument=_trust("s3.amazonaws.com"))["Role"]
    bucket = f"prod-transaction-logs-{suffix}"
    aws("s3").create_bucket(Bucket=bucket)
    configure_bucket(aws, bucket, data_key["Arn"], replication(suffix, replication_role["Arn"], staging_key, dev_key))

    cluster = aws("rds").create_db_cluster(
        DBClusterIdentifier=f"prod-payments-{suffix}", Engine="aurora-mysql", MasterUsername="payments_admin",
        ManageMasterUserPassword=True, MasterUserSecretKmsKeyId=data_key["Arn"], BacktrackWindow=259200,
        BackupRetentionPeriod=35, StorageEncrypted=True, KmsKeyId=data_key["Arn"], DeletionProtection=True,
        EnableCloudwatchLogsExports=["audit", "error", "slowquery"])["DBCluster"]

    copy_role = iam.create_role(RoleName=f"prod-snapshot-copy-{suffix}",
                                AssumeRolePolicyDocument=_trust("lambda.amazonaws.com"))["Role"]
    statement = {"Effect": "Allow", "Action": ["rds:CopyDBClusterSnapshot", "rds:DescribeDBClusterSnapshots"],
                 "Resource": "*"}
    iam.put_role_policy(RoleName=copy_role["RoleName"], PolicyName="copy-snapshots",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    function = aws("lambda").create_function(
        FunctionName=f"prod-snapshot-copy-{suffix}", Runtime="python3.12", Handler="index.handler",
        Role=copy_role["Arn"], Timeout=300, Code={"ZipFile": _code()})
    events = aws("events")
    rule_name = f"prod-weekly-snapshot-copy-{suffix}"
    rule_arn = events.put_rule(Name=rule_name, ScheduleExpression="cron(0 3 ? * SUN *)", State="ENABLED")["RuleArn"]
    events.put_targets(Rule=rule_name, Targets=[{"Id": "snapshot-copy", "Arn": function["FunctionArn"]}])
    permission = "weekly-snapshot-copy"  # what CloudFormation's Ref of the permission returns: its statement id
    aws("lambda").add_permission(FunctionName=function["FunctionName"], StatementId=permission,
                                 Action="lambda:InvokeFunction", Principal="events.amazonaws.com", SourceArn=rule_arn)

    logs = aws("logs")
    log_group, function_logs = f"/payments/prod/application-{suffix}", f"/aws/lambda/{function['FunctionName']}"
    for group in (log_group, function_logs):
        logs.create_log_group(logGroupName=group, kmsKeyId=logs_key["Arn"])
        logs.put_retention_policy(logGroupName=group, retentionInDays=365)
    topic = aws("sns").create_topic(Name=f"prod-payment-alerts-{suffix}",
                                    Attributes={"KmsMasterKeyId": logs_key["KeyId"]})["TopicArn"]

    outputs = {
        "TransactionLogsBucketName": bucket, "DataKeyArn": data_key["Arn"], "LogsKeyId": logs_key["KeyId"],
        "ReplicationRoleArn": replication_role["Arn"], "AuroraClusterArn": cluster["DBClusterArn"],
        "SnapshotCopyRoleName": copy_role["RoleName"], "SnapshotCopyFunctionArn": function["FunctionArn"],
        "WeeklySnapshotCopyArn": rule_arn, "SnapshotCopyPermissionId": permission, "ApplicationLogsName": log_group,
        "SnapshotCopyLogsName": function_logs,
        "AlertsTopicConsoleLink": f"https://console.aws.amazon.com/sns/v3/home?region={REGION}#/topic/{topic}",
    }
    deployment = Deployment(suffix, directory, directory / "cfn-outputs" / "flat-outputs.json",
                            directory / "checker.yaml")
    deployment.outputs.parent.mkdir(parents=True, exist_ok=True)
    deployment.outputs.write_text(json.dumps(outputs, indent=2))
    parameters = {"Environment": "prod", "EnvironmentSuffix": suffix, "StagingReplicaKeyArn": staging_key["Arn"],
                  "DevReplicaKeyArn": dev_key["Arn"]}
    deployment.config.write_text(yaml.safe_dump(environments(parameters)))
    deployment.names = {
        "TransactionLogsBucket": bucket, "DataKey": data_key["KeyId"], "LogsKey": logs_key["KeyId"],
        "ReplicationRole": replication_role["RoleName"], "AuroraCluster": cluster["DBClusterIdentifier"],
        "SnapshotCopyRole": copy_role["RoleName"], "SnapshotCopyFunction": function["FunctionName"],
        "WeeklySnapshotCopy": rule_name, "SnapshotCopyPermission": permission, "ApplicationLogs": log_group,
        "SnapshotCopyLogs": function_logs,
        "AlertsTopic": topic,
    }
    return deployment


def environments(parameters: dict[str, str], **prod: Any) -> dict:
    """The checker.yaml of a deployment: prod, and the environments it replicates to (which belong to their
    own stacks, with the same suffix)."""
    others = {name: {"region": region, "account_id": ACCOUNT,
                     "parameters": {**parameters, "Environment": name}}
              for name, region in (("staging", STAGING_REGION), ("dev", DEV_REGION))}
    return {"environments": {"prod": {"region": REGION, "account_id": ACCOUNT, "parameters": parameters, **prod},
                             **others}}


def drift(aws: Callable[..., Any], deployment: Deployment) -> None:
    """Change by hand what DRIFT lists: replication removed, key rotation off, backtrack 0, short log retention."""
    names = deployment.names
    aws("s3").delete_bucket_replication(Bucket=names["TransactionLogsBucket"])
    aws("kms").disable_key_rotation(KeyId=names["DataKey"])
    if "AuroraCluster" in names:  # not in the stack variant: the emulator's CloudFormation skips DB clusters
        aws("rds").modify_db_cluster(DBClusterIdentifier=names["AuroraCluster"], BacktrackWindow=0,
                                     ApplyImmediately=True)
    aws("logs").put_retention_policy(logGroupName=names["ApplicationLogs"], retentionInDays=7)
