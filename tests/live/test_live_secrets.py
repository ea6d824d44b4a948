"""No secret reaches an output: secrets planted in every place a collector reads, and in the template's
NoEcho parameter, appear in no report format and not on the console, drift included."""
from __future__ import annotations

import json

import yaml

from checker.cli import main
from tests.live import payment_env

NOECHO = "Np!3cho-db-pass"
TEMPLATE_STRIPE = "sk_live_TEMPLATEabcdef123"
LIVE_PASSWORD = "L1ve-db-pass-42"
LIVE_STRIPE = "sk_live_LIVEabcdef1234567"
URL_PASSWORD = "kmsUrlPass99"
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEplantedKEYmaterial\n-----END RSA PRIVATE KEY-----"
PLANTED = (NOECHO, TEMPLATE_STRIPE, LIVE_PASSWORD, LIVE_STRIPE, URL_PASSWORD, ACCESS_KEY, SECRET_KEY,
           "MIIEplantedKEYmaterial")


def _template(suffix: str, role_arn: str) -> dict:
    return {
        "Parameters": {"DbPassword": {"Type": "String", "NoEcho": True}},
        "Resources": {
            "Api": {"Type": "AWS::Lambda::Function", "Properties": {
                "FunctionName": f"api-{suffix}", "Runtime": "python3.12", "Handler": "index.handler",
                "Role": role_arn, "Code": {"ZipFile": "def handler(e, c): pass"},
                "Description": f"deployed with {ACCESS_KEY}",
                "Environment": {"Variables": {
                    "DB_PASSWORD": {"Ref": "DbPassword"}, "STRIPE_API_KEY": TEMPLATE_STRIPE,
                    "DATABASE_URL": {"Fn::Sub": "postgres://app:${DbPassword}@db.internal:5432/payments"}}}}},
            "Key": {"Type": "AWS::KMS::Key", "Properties": {
                "Description": f"postgres://admin:{URL_PASSWORD}@db.internal/payments", "EnableKeyRotation": True}},
        },
        "Outputs": {"ApiArn": {"Value": {"Fn::GetAtt": ["Api", "Arn"]}},
                    "KeyArn": {"Value": {"Fn::GetAtt": ["Key", "Arn"]}}},
    }


def test_secrets_planted_everywhere_a_collector_reads_reach_no_output(endpoint, aws, suffix, tmp_path, capsys):
    role = aws("iam").create_role(RoleName=f"api-{suffix}", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}))["Role"]
    function = aws("lambda").create_function(
        FunctionName=f"api-{suffix}", Runtime="python3.12", Handler="index.handler", Role=role["Arn"],
        Code={"ZipFile": payment_env._code()}, Description=f"deployed with {ACCESS_KEY} / {SECRET_KEY}",
        Environment={"Variables": {"DB_PASSWORD": LIVE_PASSWORD, "STRIPE_API_KEY": LIVE_STRIPE,
                                   "DATABASE_URL": f"postgres://app:{NOECHO}@db.internal:5432/payments",
                                   "TLS_KEY": PRIVATE_KEY}})
    key = aws("kms").create_key(Description=f"postgres://admin:{URL_PASSWORD}@db.internal/payments {PRIVATE_KEY}")
    template = tmp_path / "api.json"
    template.write_text(json.dumps(_template(suffix, role["Arn"])))
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"ApiArn": function["FunctionArn"], "KeyArn": key["KeyMetadata"]["Arn"]}))
    config = tmp_path / "checker.yaml"
    config.write_text(yaml.safe_dump({"environments": {"prod": {
        "region": "us-east-1", "account_id": payment_env.ACCOUNT, "parameters": {"DbPassword": NOECHO}}}}))
    reports = {name: tmp_path / f"report.{name}" for name in ("json", "html", "sarif", "junit", "markdown")}
    args = ["scan", str(template), "--config", str(config), "--live", "--outputs", str(outputs),
            "--endpoint-url", endpoint, "-v"]
    for name, path in reports.items():
        args += [f"--{name}", str(path)]
    main(args)
    console = capsys.readouterr()
    written = {name: path.read_text() for name, path in reports.items()}
    written["console"] = console.out + console.err
    leaks = {(name, secret) for name, text in written.items() for secret in PLANTED if secret in text}
    assert leaks == set()
    drift = {d["path"]: d for d in json.loads(written["json"])["drift"] if d["resource"] == "Api"}
    # Compared on real values: the NoEcho-derived URL matches, the changed password and key are drift, masked.
    assert "Properties.Environment.Variables.DATABASE_URL" not in drift
    changed = drift["Properties.Environment.Variables.DB_PASSWORD"]
    assert (changed["template"], changed["live"], changed["change"]) == ("****", "****", "changed")
    assert "Properties.Environment.Variables.STRIPE_API_KEY" in drift
