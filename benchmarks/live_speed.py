"""Live scan speed: ~50 resources on a local AWS emulator, one worker versus the thread pool.

    python benchmarks/live_speed.py [--workers 32] [--repeat 3] [--latency-ms 25]

Starts moto's server on 127.0.0.1 (nothing leaves the machine), creates the resources with direct API
calls, writes a template and a CI outputs file locating them, then times `checker live`'s library entry
point. The emulator answers in-process, so client and server share one interpreter lock and threads gain
little; `--latency-ms` adds a sleep before each request (a botocore before-send hook) to stand in for the
network round trip to AWS, which is what the pool overlaps.
"""
from __future__ import annotations

import argparse
import io
import json
import logging
import os
import statistics
import sys
import tempfile
import time
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COUNTS = {"bucket": 8, "key": 10, "log": 8, "topic": 6, "rule": 6, "role": 6, "function": 3, "cluster": 2, "vpc": 1}


def _environment() -> None:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
                      AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null",
                      AWS_EC2_METADATA_DISABLED="true")


def start_emulator() -> tuple[Any, str]:
    """moto's server on 127.0.0.1 (Lambda without docker), with the AWS environment pointed at nothing real."""
    _environment()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    import urllib.request

    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    urllib.request.urlopen(urllib.request.Request(  # noqa: S310 - the local emulator
        url + "/moto-api/config", data=json.dumps({"lambda": {"use_docker": False}}).encode(), method="POST",
        headers={"Content-Type": "application/json"})).read()
    return server, url


def provision(url: str, scale: int = 1, prefix: str = "bench") -> tuple[dict, dict]:
    """Create `scale` times COUNTS resources; return (template, flat outputs)."""
    import boto3

    def client(service: str) -> object:
        return boto3.client(service, region_name="us-east-1", endpoint_url=url)

    s3, kms, logs, sns, events, iam, lam, rds, ec2 = (client(s) for s in (
        "s3", "kms", "logs", "sns", "events", "iam", "lambda", "rds", "ec2"))
    resources: dict = {}
    outputs: dict = {}
    template_outputs: dict = {}

    def add(logical_id: str, kind: str, value: str, reference: dict) -> None:
        resources[logical_id] = {"Type": kind, "Properties": {}}
        outputs[logical_id] = value
        template_outputs[logical_id] = {"Value": reference}

    keys = []
    for i in range(scale * COUNTS["key"]):
        key = kms.create_key(Description=f"{prefix} {i}")["KeyMetadata"]
        kms.enable_key_rotation(KeyId=key["KeyId"])
        keys.append(key)
        add(f"Key{i}", "AWS::KMS::Key", key["Arn"], {"Fn::GetAtt": [f"Key{i}", "Arn"]})
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    roles = []
    for i in range(scale * COUNTS["role"]):
        role = iam.create_role(RoleName=f"{prefix}-role-{i}", AssumeRolePolicyDocument=trust)["Role"]
        iam.put_role_policy(RoleName=role["RoleName"], PolicyName="p", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))
        roles.append(role)
        add(f"Role{i}", "AWS::IAM::Role", role["RoleName"], {"Ref": f"Role{i}"})
    for i in range(scale * COUNTS["bucket"]):
        name = f"{prefix}-transaction-logs-{i}"
        s3.create_bucket(Bucket=name)
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [{
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": keys[i]["Arn"]},
            "BucketKeyEnabled": True}]})
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [{
            "ID": "r", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 400},
            "NoncurrentVersionExpiration": {"NoncurrentDays": 400},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]})
        add(f"Bucket{i}", "AWS::S3::Bucket", name, {"Ref": f"Bucket{i}"})
    for i in range(scale * COUNTS["log"]):
        logs.create_log_group(logGroupName=f"/{prefix}/{i}", kmsKeyId=keys[i % len(keys)]["Arn"])
        logs.put_retention_policy(logGroupName=f"/{prefix}/{i}", retentionInDays=365)
        add(f"Logs{i}", "AWS::Logs::LogGroup", f"/{prefix}/{i}", {"Ref": f"Logs{i}"})
    for i in range(scale * COUNTS["topic"]):
        arn = sns.create_topic(Name=f"{prefix}-{i}", Attributes={"KmsMasterKeyId": keys[i]["KeyId"]})["TopicArn"]
        add(f"Topic{i}", "AWS::SNS::Topic", arn, {"Ref": f"Topic{i}"})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return 1\n")
    functions = []
    for i in range(scale * COUNTS["function"]):
        function = lam.create_function(FunctionName=f"{prefix}-{i}", Runtime="python3.12", Handler="index.handler",
                                       Role=roles[i]["Arn"], Code={"ZipFile": buffer.getvalue()})
        functions.append(function)
        add(f"Function{i}", "AWS::Lambda::Function", function["FunctionArn"], {"Fn::GetAtt": [f"Function{i}", "Arn"]})
    for i in range(scale * COUNTS["rule"]):
        arn = events.put_rule(Name=f"{prefix}-{i}", ScheduleExpression="rate(7 days)", State="ENABLED")["RuleArn"]
        target = {"Id": "t", "Arn": functions[i % len(functions)]["FunctionArn"]}
        events.put_targets(Rule=f"{prefix}-{i}", Targets=[target])
        add(f"Rule{i}", "AWS::Events::Rule", arn, {"Fn::GetAtt": [f"Rule{i}", "Arn"]})
    for i in range(scale * COUNTS["cluster"]):
        cluster = rds.create_db_cluster(
            DBClusterIdentifier=f"{prefix}-{i}", Engine="aurora-mysql", MasterUsername="admin",
            ManageMasterUserPassword=True, MasterUserSecretKmsKeyId=keys[0]["Arn"], BacktrackWindow=259200,
            BackupRetentionPeriod=35, StorageEncrypted=True, KmsKeyId=keys[0]["Arn"])["DBCluster"]
        add(f"Cluster{i}", "AWS::RDS::DBCluster", cluster["DBClusterArn"],
            {"Fn::GetAtt": [f"Cluster{i}", "DBClusterArn"]})
    for i in range(scale * COUNTS["vpc"]):
        vpc = ec2.create_vpc(CidrBlock=f"10.{i}.0.0/16")["Vpc"]
        add(f"Vpc{i}", "AWS::EC2::VPC", vpc["VpcId"], {"Ref": f"Vpc{i}"})
    return {"Resources": resources, "Outputs": template_outputs}, outputs


def measure(url: str, directory: Path, workers: int, latency_s: float) -> tuple[float, Counter, int]:
    import boto3

    from checker.engine.rules import bundled_rule_dirs, load_rules
    from checker.live.aws import AwsOptions
    from checker.live.scan import LiveSource, run_live
    from checker.template.environment import Environment
    from checker.template.load import load_template

    session = boto3.Session()
    if latency_s:
        session.events.register("before-send", lambda **_: time.sleep(latency_s))
    source = LiveSource(outputs=str(directory / "flat-outputs.json"), template=load_template(directory / "stack.json"))
    environment = Environment("prod", "us-east-1", "123456789012")
    started = time.perf_counter()
    scan = run_live(load_rules(bundled_rule_dirs()), [environment], source, AwsOptions(endpoint_url=url), workers,
                    session)
    elapsed = time.perf_counter() - started
    return elapsed, Counter(scan.api_calls), len(scan.documents["prod"]["Resources"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, default=25.0)
    args = parser.parse_args()
    server, url = start_emulator()
    try:
        with tempfile.TemporaryDirectory() as temporary:
            directory = Path(temporary)
            template, outputs = provision(url)
            (directory / "stack.json").write_text(json.dumps(template))
            (directory / "flat-outputs.json").write_text(json.dumps(outputs))
            measure(url, directory, 1, 0)  # warm up: the emulator loads each service's backend on first use
            for latency in (0.0, args.latency_ms / 1000):
                times = {}
                for workers in (1, args.workers):
                    runs = [measure(url, directory, workers, latency) for _ in range(args.repeat)]
                    times[workers] = statistics.median(r[0] for r in runs)
                    calls, resources = runs[0][1], runs[0][2]
                label = f"latency {latency * 1000:.0f} ms/request" if latency else "no added latency"
                print(f"{label}: {resources} resources, {sum(calls.values())} API calls "
                      f"({sum(calls.values()) / resources:.2f} per resource); median of {args.repeat}: "
                      f"1 worker {times[1]:.3f}s, {args.workers} workers {times[args.workers]:.3f}s, "
                      f"speed-up x{times[1] / times[args.workers]:.2f}")
            per_type = Counter()
            for lid in template["Resources"]:
                per_type[template["Resources"][lid]["Type"]] += 1
            print("calls per operation:", dict(sorted(calls.items())))
            print("resources per type:", dict(per_type))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
