"""Live scans that can be trusted: setup errors stop before anything is read, nothing-checked is never
green, additions are drift, transient faults at scale do not end as ERROR, Ctrl-C leaves a report."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import boto3
import pytest

from checker.cli import main
from tests.conftest import ROOT
from tests.live import payment_env
from tests.live.faults import Fault, recording
from tests.live.proxy import Fault as ProxyFault


def _run(args: list[str], tmp_path, capsys, session=None) -> tuple[int, dict | None, str]:
    report = tmp_path / "report.json"
    report.unlink(missing_ok=True)
    code = main([*args, "--json", str(report)], session=session)
    err = capsys.readouterr().err
    return code, json.loads(report.read_text()) if report.exists() else None, err


def _live(payload: dict) -> dict[tuple[str, str | None], dict]:
    return {(r["rule_id"], r["resource"]): r for r in payload["results"] if r["source"] == "live"}


# --- AWS setup errors: one line, exit 2, before any resource is read -------------------------------------

@pytest.mark.parametrize("command", ["live", "scan", "gate"])
@pytest.mark.parametrize(("mistake", "extra", "unset", "named"), [
    ("misspelt profile", ["--profile", "prdo"], (), "--profile: no AWS profile named 'prdo'"),
    ("no credentials", [], ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"), "credentials: no AWS credentials found"),
    ("unreachable endpoint", ["--endpoint-url", "http://127.0.0.1:9"], (), "--endpoint-url: cannot reach"),
    ("unknown region", ["--region", "us-east-9"], (), "--region: unknown AWS Region 'us-east-9'"),
])
def test_aws_setup_error_is_one_line_before_any_read(command, mistake, extra, unset, named, endpoint, payment,
                                                     tmp_path, capsys, monkeypatch):
    for name in unset:
        monkeypatch.delenv(name)
    args = {"live": payment.live_args(endpoint), "scan": payment.scan_args(endpoint),
            "gate": ["gate", "--config", str(payment.config), "--env", "prod", "--stack-name", "payments-prod",
                     "--change-set-name", "release-1", "--endpoint-url", endpoint, "-q"]}[command]
    if "--endpoint-url" in extra:
        args = args[:args.index("--endpoint-url")] + args[args.index("--endpoint-url") + 2:]
    code, payload, err = _run([*args, *extra], tmp_path, capsys)
    assert code == 2 and payload is None
    assert err.count("\n") == 1 and err.startswith(f"checker: error: {named}"), err


def test_role_that_cannot_be_assumed_is_one_line_before_any_read(endpoint, payment, tmp_path, capsys):
    session = boto3.Session()
    called = recording(session)
    Fault("sts", "AssumeRole", "AccessDenied", 403).install(session)
    args = payment.live_args(endpoint, "--role-arn", "arn:aws:iam::123456789012:role/reader")
    code, payload, err = _run(args, tmp_path, capsys, session)
    assert code == 2 and payload is None
    assert err.startswith("checker: error: --role-arn: could not assume arn:aws:iam::123456789012:role/reader: "
                          "AccessDenied") and err.count("\n") == 1
    assert called == {("sts", "AssumeRole")}


def test_a_role_arn_botocore_refuses_is_one_line_with_the_whole_reason(endpoint, payment, tmp_path, capsys):
    code, payload, err = _run(payment.live_args(endpoint, "--role-arn", "not-an-arn"), tmp_path, capsys)
    assert code == 2 and payload is None
    assert err == ("checker: error: --role-arn: could not assume not-an-arn: Parameter validation failed: "
                   "Invalid length for parameter RoleArn, value: 10, valid min length: 20\n")


def test_gate_reads_the_region_of_the_environment_declared_in_the_config(endpoint, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    config = tmp_path / "checker.yaml"
    config.write_text("environments:\n  prod: {region: eu-west-1}\n")
    session = boto3.Session()
    called = recording(session)
    code = main(["gate", "--stack-name", "nosuch", "--change-set-name", "c", "--env", "prod", "--config", str(config),
                 "--endpoint-url", endpoint], session=session)
    err = capsys.readouterr().err
    assert code == 2 and "could not read the change set" in err  # reached CloudFormation, in eu-west-1
    assert ("cloudformation", "DescribeChangeSet") in called


def test_region_comes_from_aws_region_when_nothing_else_names_one(endpoint, payment, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    config = tmp_path / "no-region.yaml"
    spec = json.loads(json.dumps(__import__("yaml").safe_load(payment.config.read_text())))
    del spec["environments"]["prod"]["region"]
    config.write_text(json.dumps(spec))
    args = payment.live_args(endpoint)
    args[args.index(str(payment.config))] = str(config)
    code, payload, _ = _run(args, tmp_path, capsys)
    assert code == 0 and payload["environments"][0]["name"] == "prod"
    assert {r["physical_id"] for k, r in _live(payload).items() if k[1] == "DataKey"} == {payment.names["DataKey"]}


# --- Credentials ------------------------------------------------------------------------------------------

def test_assumed_role_passes_the_external_id_and_is_assumed_again_before_it_expires(endpoint):
    from checker.live.aws import AwsOptions, open_session

    source = boto3.Session()
    requests: list[dict] = []
    source.events.register("provide-client-params.sts.AssumeRole", lambda params, **_: requests.append(dict(params)))
    options = AwsOptions(role_arn="arn:aws:iam::123456789012:role/reader", external_id="payments-audit",
                         duration_s=900, endpoint_url=endpoint)
    session, account = open_session(options, "us-east-1", source)
    assert account == "123456789012"
    assert requests == [{"RoleArn": options.role_arn, "RoleSessionName": "checker-live",
                         "DurationSeconds": 900, "ExternalId": "payments-audit"}]
    credentials = session.get_credentials()
    assert "assumed-role/reader" in session.client("sts", endpoint_url=endpoint).get_caller_identity()["Arn"]
    credentials._expiry_time = credentials._expiry_time.replace(year=2000)  # as if the run lasted past the hour
    credentials.get_frozen_credentials()
    assert len(requests) == 2


# --- Nothing checked is never green ----------------------------------------------------------------------

def test_mistyped_stack_name_is_bad_input_even_with_errors_allowed(endpoint, tmp_path, capsys):
    config = tmp_path / "checker.yaml"
    config.write_text("environments:\n  prod: {region: us-east-1}\n")
    code, payload, err = _run(["live", "--stack-name", "paymnets-prod", "--config", str(config), "--endpoint-url",
                               endpoint, "-q", "--allow-errors"], tmp_path, capsys)
    assert code == 2 and payload is None
    assert err.startswith("checker: error: --stack-name: stack paymnets-prod in us-east-1 cannot be read")


@pytest.mark.parametrize(("outputs", "says"), [
    ({}, "holds no outputs"),
    ({"SomeOtherStackBucket": "x"}, "none of its outputs (SomeOtherStackBucket) is declared in the Outputs"),
])
def test_empty_or_foreign_outputs_are_bad_input_even_with_errors_allowed(outputs, says, endpoint, payment, tmp_path,
                                                                          capsys):
    payment.outputs.write_text(json.dumps(outputs))
    code, payload, err = _run(payment.live_args(endpoint, "--allow-errors"), tmp_path, capsys)
    assert code == 2 and payload is None and says in err


def test_nested_outputs_of_one_stack_are_read_and_unknown_outputs_are_named(endpoint, payment, tmp_path, capsys):
    flat = json.loads(payment.outputs.read_text())
    payment.outputs.write_text(json.dumps({"payments-prod": {**flat, "ExtraConsoleUrl": "https://example.test"}}))
    code, payload, _ = _run(payment.live_args(endpoint), tmp_path, capsys)
    assert code == 0
    assert payload["live"]["outputs_not_understood"] == [{"environment": "prod", "outputs": ["ExtraConsoleUrl"]}]


def test_key_pending_deletion_fails_its_control(endpoint, aws, payment, tmp_path, capsys):
    aws("kms").schedule_key_deletion(KeyId=payment.names["LogsKey"], PendingWindowInDays=7)
    code, payload, _ = _run(payment.live_args(endpoint, "--allow-errors"), tmp_path, capsys)
    results = _live(payload)
    assert code == 1
    assert {k for k, r in results.items() if r["status"] == "FAIL"} == {("PAY-KMS-ROT-005", "LogsKey")}


# --- Drift sees what was added ---------------------------------------------------------------------------

def test_additions_by_hand_are_security_drift_and_fail_the_resource_policy_control(endpoint, aws, payment, tmp_path,
                                                                                    capsys):
    names = payment.names
    aws("iam").put_role_policy(RoleName=names["SnapshotCopyRole"], PolicyName="debug", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    key_policy = json.loads(payment_env.KEY_POLICY)
    key_policy["Statement"].append({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                                    "Action": "kms:*", "Resource": "*"})
    aws("kms").put_key_policy(KeyId=names["DataKey"], PolicyName="default", Policy=json.dumps(key_policy))
    aws("s3").put_bucket_policy(Bucket=names["TransactionLogsBucket"], Policy=json.dumps({"Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{names['TransactionLogsBucket']}/*"}]}))
    code, payload, _ = _run(payment.scan_args(endpoint), tmp_path, capsys)
    assert code == 1
    failing = {k for k, r in _live(payload).items() if r["status"] == "FAIL"}
    assert failing == {("PAY-POL-003", "SnapshotCopyRole"), ("PAY-POL-002", "DataKey"),
                       ("PAY-POL-005", "TransactionLogsBucket")}
    added = {(d["resource"], d["path"]) for d in payload["drift"] if d["kind"] == "property"}
    assert added == {("SnapshotCopyRole", "Properties.Policies[PolicyName=debug]"),
                     ("DataKey", "Properties.KeyPolicy.Statement[1]")}
    for entry in payload["drift"]:
        if entry["kind"] == "property":
            assert entry["change"] == "added" and entry["security"] and entry["template"] is None
    assert all(d["security"] for d in payload["drift"][:len(added)])


def test_deleted_resource_is_drift(endpoint, aws, payment, tmp_path, capsys):
    aws("sns").delete_topic(TopicArn=payment.names["AlertsTopic"])
    code, payload, _ = _run(payment.scan_args(endpoint), tmp_path, capsys)
    assert code == 1
    assert ("AlertsTopic", "deleted", "removed") in {(d["resource"], d["kind"], d["change"]) for d in payload["drift"]}
    assert {d["resource"] for d in payload["drift"]} == {"AlertsTopic"}


# --- Transient faults at scale ---------------------------------------------------------------------------

def test_throttled_twice_then_fine_never_ends_as_error_with_many_workers(endpoint, payment, proxied, zero_backoff,
                                                                        tmp_path, capsys):
    state, url = proxied
    state.reset([ProxyFault("throttle", share=0.5, times=2)])
    code, payload, _ = _run(payment.live_args(url, "--workers", "32"), tmp_path, capsys)
    live = payload["live"]
    assert state.injected["throttle"] > 10
    assert code == 0 and live["errors"] == [] and live["gave_up"] == {}
    assert live["api_requests_total"] > live["api_calls_total"]


def test_deadline_stops_new_calls_and_marks_the_report_incomplete(endpoint, payment, proxied, tmp_path, capsys):
    state, url = proxied
    state.reset([ProxyFault("slow", "kms", seconds=1.5)])
    started = time.perf_counter()
    code, payload, _ = _run(payment.live_args(url, "--deadline", "1", "--workers", "2"), tmp_path, capsys)
    assert time.perf_counter() - started < 6
    assert code == 1 and payload["live"]["incomplete"].startswith("the run's deadline passed")
    errors = [r for r in _live(payload).values() if r["status"] == "ERROR"]
    assert errors and any("the run's deadline passed" in r["message"] for r in errors)


# --- Ctrl-C ---------------------------------------------------------------------------------------------

def _interrupted(payment, url: str, tmp_path, signals: int) -> tuple[subprocess.CompletedProcess, float, dict | None]:
    report = tmp_path / "interrupted.json"
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "checker", *payment.live_args(url), "--json", str(report)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)
    time.sleep(3)  # discovery done, reads under way (every KMS answer takes 30 s)
    sent = time.perf_counter()
    for _ in range(signals):
        process.send_signal(signal.SIGINT)
        time.sleep(0.05)
    out, err = process.communicate(timeout=20)
    elapsed = time.perf_counter() - sent
    return subprocess.CompletedProcess(process.args, process.returncode, out, err), elapsed, \
        json.loads(report.read_text()) if report.exists() else None


def test_ctrl_c_abandons_calls_in_flight_and_writes_a_partial_report(endpoint, payment, proxied, tmp_path):
    state, url = proxied
    state.reset([ProxyFault("slow", "kms", seconds=30)])
    completed, elapsed, payload = _interrupted(payment, url, tmp_path, 1)
    assert completed.returncode == 130 and elapsed < 2.5
    lines = [line for line in completed.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("checker: interrupted: abandoning ") and "partial report" in lines[0]
    assert payload["live"]["interrupted"] and payload["live"]["incomplete"].startswith("interrupted:")
    statuses = {k: r["status"] for k, r in _live(payload).items()}
    assert statuses["PAY-KMS-ROT-001", "DataKey"] == "ERROR"
    assert statuses["PAY-LOGS-002", "ApplicationLogs"] == "PASS"  # what was read is reported


def test_second_ctrl_c_quits_at_once(endpoint, payment, proxied, tmp_path):
    state, url = proxied
    state.reset([ProxyFault("slow", "kms", seconds=30)])
    completed, elapsed, _ = _interrupted(payment, url, tmp_path, 2)
    assert (completed.returncode, completed.stderr.count("\n")) == (130, 1), completed.stderr
    assert elapsed < 2.5
