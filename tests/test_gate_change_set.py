"""The change-set gate against moto's CloudFormation, served on 127.0.0.1 (no AWS, no mock decorators).

The checker makes its own DescribeChangeSet / DescribeStacks / GetTemplate calls through real boto3
clients pointed at the local server with AWS_ENDPOINT_URL and dummy credentials.

One fidelity gap is corrected here, in the in-process server and nowhere else: moto 5.2's GetTemplate
ignores ChangeSetName, returning the stack's current template for an UPDATE change set and `{}` for a
CREATE change set, where AWS returns the template the change set was created with
(../shared/notes/moto-as-test-aws.md). `_get_template_honouring_change_set` answers as AWS does.
"""
from __future__ import annotations

import ipaddress
import json
import logging
import os
import shutil
import urllib.request
from collections.abc import Iterator

import boto3
import pytest
from moto.cloudformation.responses import CloudFormationResponse
from moto.core.responses import ActionResult
from moto.server import ThreadedMotoServer

from checker.cli import main
from checker.engine.results import FAIL
from checker.template.load import load_template
from tests.conftest import ROOT

PAYMENT = ROOT / "templates" / "payment-stack.yaml"
SEED = ROOT / "tests" / "fixtures" / "seed-flawed.yaml"
PROD_PARAMETERS = json.loads((ROOT / "params" / "prod.json").read_text())
# A template without a Rules section: only the rule pack can notice the environment is in the wrong region.
NO_RULES = {"Parameters": {"Environment": {"Type": "String"}},
            "Resources": {"Alerts": {"Type": "AWS::SNS::Topic"}}}

_moto_get_template = CloudFormationResponse.get_template


def _get_template_honouring_change_set(self: CloudFormationResponse) -> ActionResult:
    """GetTemplate as AWS answers it: with ChangeSetName, the change set's own template."""
    change_set_name = self._get_param("ChangeSetName")
    if not change_set_name:
        return _moto_get_template(self)
    change_set = self.cloudformation_backend.describe_change_set(change_set_name)
    return ActionResult({"TemplateBody": change_set.template, "StagesAvailable": ["Original", "Processed"]})


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(CloudFormationResponse, "get_template", _get_template_honouring_change_set)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        assert ipaddress.ip_address(host).is_loopback
        try:
            yield f"http://{host}:{port}"
        finally:
            server.stop()


@pytest.fixture
def aws(moto_endpoint, monkeypatch, tmp_path) -> str:
    """A fresh moto account; boto3 (the checker's and the test's) reaches only the local server."""
    request = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).close()
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN",
                 "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    return moto_endpoint


def cloudformation(region: str):
    return boto3.client("cloudformation", region_name=region, endpoint_url=os.environ["AWS_ENDPOINT_URL"])


def create_stack(region: str, environment: str, name: str = "payments") -> None:
    """A deployed stack whose Environment parameter the change sets below keep (UsePreviousValue)."""
    body = "Parameters:\n  Environment: {Type: String}\nResources:\n  Alerts: {Type: AWS::SNS::Topic}\n"
    cloudformation(region).create_stack(StackName=name, TemplateBody=body,
                                        Parameters=[{"ParameterKey": "Environment", "ParameterValue": environment}])


def create_change_set(region: str, name: str, body: str, parameters: list[dict], kind: str = "UPDATE",
                      stack: str = "payments") -> None:
    cloudformation(region).create_change_set(StackName=stack, ChangeSetName=name, TemplateBody=body,
                                             Parameters=parameters, ChangeSetType=kind)


def keep_environment(parameters: list[dict]) -> list[dict]:
    return [p for p in parameters if p["ParameterKey"] != "Environment"] + [
        {"ParameterKey": "Environment", "UsePreviousValue": True}]


def gate(*args: str) -> int:
    return main(["gate", *args])


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """Run outside the repository: no checker.yaml, so only the rule pack judges the region."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_gate_blocks_a_change_set_that_introduces_the_seed_failures(aws, workdir, capsys):
    create_stack("us-east-1", "prod")
    create_change_set("us-east-1", "seed", SEED.read_text(), keep_environment(PROD_PARAMETERS))
    code = gate("--stack-name", "payments", "--change-set-name", "seed", "--region", "us-east-1",
                "--json", "gate.json")
    out = capsys.readouterr().out
    assert code == 1
    assert "gate: BLOCK stack payments change set seed for prod (us-east-1)" in out
    assert "FAIL high PAY-S3-REPL-001 TransactionLogsBucket [prod]: ReplicationConfiguration" in out

    # The gate saw exactly what a scan of the same template with the same values sees (those it declares).
    declared = load_template(SEED).body["Parameters"]
    assert main(["scan", str(SEED), "--env", "prod", "--region", "us-east-1", "--param", "Environment=prod",
                 *[f"--param={p['ParameterKey']}={p['ParameterValue']}" for p in PROD_PARAMETERS
                   if p["ParameterKey"] in declared], "--json", "scan.json"]) == 1
    failing = [{(r["rule_id"], r["resource"]) for r in json.loads((workdir / name).read_text())["results"]
                if r["status"] == FAIL} for name in ("gate.json", "scan.json")]
    assert failing[0] == failing[1]
    assert {"PAY-S3-REPL-001", "PAY-S3-LIFE-001", "PAY-RDS-BACKTRACK-001"} <= {rule for rule, _ in failing[0]}
    gate_payload = json.loads((workdir / "gate.json").read_text())
    assert gate_payload["gate"]["decision"] == "block"
    [environment] = gate_payload["environments"]
    assert (environment["name"], environment["region"], environment["account_id"]) == (
        "prod", "us-east-1", "123456789012")


def test_the_gate_lets_a_compliant_change_set_through(aws, workdir, capsys):
    # Production replicates to staging and dev: the environments file declares them and the parameter files
    # of the template the change set deploys (named by --template-name), so the gate renders it there too.
    shutil.copy(ROOT / "checker.yaml", workdir / "checker.yaml")
    shutil.copytree(ROOT / "params", workdir / "params")
    create_stack("us-east-1", "prod")
    create_change_set("us-east-1", "compliant", PAYMENT.read_text(), keep_environment(PROD_PARAMETERS))
    code = gate("--stack-name", "payments", "--change-set-name", "compliant", "--region", "us-east-1",
                "--template-name", "templates/payment-stack.yaml")
    assert code == 0
    assert "gate: PASS stack payments change set compliant for prod (us-east-1): deployment may proceed" in \
        capsys.readouterr().out


@pytest.mark.parametrize(("region", "expected"), [("us-west-2", 1), ("us-east-1", 0)])
def test_prod_outside_us_east_1_is_refused_even_without_a_rules_section(aws, workdir, capsys, region, expected):
    create_stack(region, "prod", name="alerts")
    create_change_set(region, "move", json.dumps(NO_RULES), [{"ParameterKey": "Environment",
                                                             "UsePreviousValue": True}], stack="alerts")
    code = gate("--stack-name", "alerts", "--change-set-name", "move", "--region", region, "--rules",
                str(ROOT / "rules"), "--json", "gate.json")
    results = json.loads((workdir / "gate.json").read_text())["results"]
    region_check = next(r for r in results if r["rule_id"] == "PAY-REGION-001")
    if expected:
        assert code == 1 and region_check["status"] == FAIL
        assert "PAY-REGION-001 (template) [prod]: this environment must be deployed to us-east-1" in \
            capsys.readouterr().out
    else:
        assert region_check["status"] == "PASS"


def test_the_environments_file_also_refuses_the_wrong_region(aws, workdir, capsys):
    (workdir / "checker.yaml").write_text("environments:\n  prod: {region: us-east-1}\n  dev: {region: us-west-2}\n")
    create_stack("us-west-2", "prod")
    create_change_set("us-west-2", "compliant", PAYMENT.read_text(), keep_environment(PROD_PARAMETERS))
    assert gate("--stack-name", "payments", "--change-set-name", "compliant", "--region", "us-west-2") == 1
    out = capsys.readouterr().out
    assert "refused: environment 'prod' is deployed to us-east-1 (checker.yaml), not us-west-2" in out
    assert gate("--stack-name", "payments", "--change-set-name", "compliant", "--region", "us-west-2",
                "--env", "dev") == 1
    assert "refused: the gate checks environment 'dev' but the Environment parameter is 'prod'" in \
        capsys.readouterr().out


def test_a_create_change_set_with_a_json_template_is_read_as_submitted(aws, workdir, capsys):
    create_change_set("us-west-2", "first", json.dumps(NO_RULES), [{"ParameterKey": "Environment",
                                                                   "ParameterValue": "dev"}],
                      kind="CREATE", stack="alerts")
    code = gate("--stack-name", "alerts", "--change-set-name", "first", "--region", "us-west-2", "--json", "g.json")
    payload = json.loads((workdir / "g.json").read_text())
    assert {r["resource"] for r in payload["results"] if r["resource_type"] == "AWS::SNS::Topic"} == {"Alerts"}
    assert {r["file"] for r in payload["results"]} == {"alerts/first"}
    region_check = next(r for r in payload["results"] if r["rule_id"] == "PAY-REGION-001")
    assert region_check["status"] == "PASS" and region_check["environment"] == "dev"
    assert code == 1  # the bare topic is not encrypted
    assert "PAY-SNS-ENC-001 Alerts [dev]" in capsys.readouterr().out


def test_waivers_and_a_baseline_apply_to_the_change_set(aws, workdir, capsys):
    create_stack("us-east-1", "prod")
    create_change_set("us-east-1", "seed", SEED.read_text(), keep_environment(PROD_PARAMETERS))
    args = ["--stack-name", "payments", "--change-set-name", "seed", "--region", "us-east-1"]
    # Yesterday's scan of the same template, from its file, is the baseline: same findings, nothing new.
    assert main(["baseline", str(SEED), "--env", "prod", "--region", "us-east-1", "--param", "Environment=prod",
                 "-o", "baseline.json"]) == 0
    assert gate(*args, "--template-name", "seed-flawed.yaml", "--baseline", "baseline.json") == 0
    assert "known failures accepted by the baseline" in capsys.readouterr().out
    # Waive the replication finding: it is reported WAIVED and no longer blocks.
    (workdir / "w.yaml").write_text(
        "waivers:\n  - {rule: PAY-S3-REPL-001, resource: TransactionLogsBucket, environments: [prod],\n"
        "     reason: replica region is being built, approved_by: cso@example.com, expires: 2999-01-01}\n")
    assert gate(*args, "--waivers", "w.yaml", "--json", "g.json") == 1
    results = json.loads((workdir / "g.json").read_text())["results"]
    assert {r["status"] for r in results if r["rule_id"] == "PAY-S3-REPL-001"} == {"WAIVED"}
    assert "PAY-S3-REPL-001" not in capsys.readouterr().out.split("gate: BLOCK")[1]


def test_a_missing_change_set_is_an_input_error(aws, workdir, capsys):
    create_stack("us-east-1", "prod")
    assert gate("--stack-name", "payments", "--change-set-name", "nope", "--region", "us-east-1") == 2
    assert "checker: error: payments/nope: could not read the change set" in capsys.readouterr().err


def test_change_set_mode_takes_no_parameter_overrides(aws, workdir, capsys):
    assert gate("--stack-name", "payments", "--change-set-name", "x", "--param", "Environment=dev") == 2
    assert gate("--stack-name", "payments") == 2
    assert "--change-set-name: required with --stack-name" in capsys.readouterr().err
