"""Templates as users write them: SAM applications and nested stacks with local child templates."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.engine.rules import rules_from
from checker.errors import InputError
from checker.scans import scan
from checker.template.environment import Environment

REFERENCE = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-reference.html"
PROD = [Environment("prod", "us-east-1", "123456789012")]


def make_rule(target: str, expression: str) -> object:
    [rule] = rules_from({"rules": [{
        "id": "T-RULE-001", "title": "the rule holds", "control": "encryption-at-rest", "severity": "high",
        "target": target, "sources": ["template"], "remediation": "fix it", "references": [REFERENCE],
        "assert": [{"expr": expression, "message": "it fails"}],
        "tests": [{"name": "placeholder", "expect": "PASS", "resource": {"Type": target}}]}]}, "rules.yaml")
    return rule


SAM = """Transform: AWS::Serverless-2016-10-31
Resources:
  CopyFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      Runtime: python3.12
      CodeUri: src/
      Events:
        Weekly:
          Type: Schedule
          Properties: {Schedule: cron(0 3 ? * SUN *)}
"""


def test_sam_function_is_checked_as_the_resources_the_transform_creates(tmp_path):
    (tmp_path / "template.yaml").write_text(SAM)
    rule = make_rule("AWS::Events::Rule", "Properties.Targets[0].Arn != `null`")
    report = scan([tmp_path / "template.yaml"], [rule], PROD)
    assert [(r.resource, r.status, r.line) for r in report.results] == [("CopyFunctionWeekly", "PASS", 3)]
    assert report.unknown_types == [] and report.notes == []


def test_sam_schedule_targets_the_function_it_belongs_to(tmp_path):
    (tmp_path / "template.yaml").write_text(SAM)
    rule = make_rule("AWS::Events::Rule", "resolve(Properties.Targets[0].Arn).Type == 'AWS::Lambda::Function'")
    assert {r.status for r in scan([tmp_path / "template.yaml"], [rule], PROD).results} == {"PASS"}


def test_sam_template_the_transform_rejects_is_an_input_error_naming_it(tmp_path):
    path = tmp_path / "template.yaml"
    path.write_text(SAM.replace("Type: Schedule", "Type: NoSuchEvent"))
    report = scan([path], [make_rule("AWS::Events::Rule", "`true`")], PROD)
    [error] = report.errors
    assert error.source == str(path) and "SAM transform" in error.message


PARENT = """Resources:
  Storage:
    Type: AWS::CloudFormation::Stack
    Properties:
      TemplateURL: children/storage.yaml
      Parameters: {Versioning: Suspended, KeyArn: !GetAtt Key.Arn}
  Key: {Type: AWS::KMS::Key}
  Remote:
    Type: AWS::CloudFormation::Stack
    Properties: {TemplateURL: https://example.com/remote.yaml}
"""
CHILD = """Parameters:
  Versioning: {Type: String, Default: Enabled}
  KeyArn: {Type: String}
Resources:
  Logs:
    Type: AWS::S3::Bucket
    Properties:
      VersioningConfiguration: {Status: !Ref Versioning}
      Tags: [{Key: key, Value: !Ref KeyArn}]
"""


def _family(tmp_path):
    (tmp_path / "children").mkdir()
    (tmp_path / "children" / "storage.yaml").write_text(CHILD)
    (tmp_path / "parent.yaml").write_text(PARENT)
    return tmp_path / "parent.yaml"


def test_nested_child_is_checked_with_the_parameters_its_parent_passes(tmp_path):
    rule = make_rule("AWS::S3::Bucket", "Properties.VersioningConfiguration.Status == 'Enabled'")
    [result] = [r for r in scan([_family(tmp_path)], [rule], PROD).results if r.resource]
    assert (result.resource, result.status) == ("Storage/Logs", "FAIL")
    assert (result.file, result.line) == (str((tmp_path / "children" / "storage.yaml").resolve()), 8)


def test_a_value_the_parent_knows_only_at_deployment_is_unknown_in_the_child(tmp_path):
    rule = make_rule("AWS::S3::Bucket", "Properties.Tags[0].Value == 'x'")
    [result] = [r for r in scan([_family(tmp_path)], [rule], PROD).results if r.resource]
    assert result.status == "ERROR"
    assert "parameter KeyArn is passed by the parent stack as {'Fn::GetAtt': ['Key', 'Arn']}" in result.message


def test_a_nested_stack_without_a_local_template_is_noted(tmp_path):
    report = scan([_family(tmp_path)], [make_rule("AWS::S3::Bucket", "`true`")], PROD)
    assert [note for note in report.notes if "Remote" in note] == [
        f"{tmp_path / 'parent.yaml'}: nested stack Remote has TemplateURL 'https://example.com/remote.yaml', "
        "not a local file: its template is not checked"]


def test_a_missing_child_template_is_an_error_at_the_parent_line(tmp_path):
    (tmp_path / "parent.yaml").write_text(PARENT)
    report = scan([tmp_path / "parent.yaml"], [make_rule("AWS::S3::Bucket", "`true`")], PROD)
    [error] = report.errors
    assert (error.source, error.line) == (str(tmp_path / "parent.yaml"), 2)
    assert "nested stack Storage" in error.message


@pytest.mark.parametrize("relative", [False, True])
def test_a_stack_that_nests_itself_is_an_error(tmp_path, monkeypatch, relative):
    (tmp_path / "loop.yaml").write_text(
        "Resources:\n  Again:\n    Type: AWS::CloudFormation::Stack\n    Properties: {TemplateURL: loop.yaml}\n")
    monkeypatch.chdir(tmp_path)
    path = Path("loop.yaml") if relative else tmp_path / "loop.yaml"
    report = scan([path], [make_rule("AWS::S3::Bucket", "`true`")], PROD)
    assert [e.message.split(":")[0] for e in report.errors] == ["nested stack Again"]


def test_a_child_scanned_on_its_own_and_through_its_parent_is_one_file(tmp_path, monkeypatch):
    _family(tmp_path)
    monkeypatch.chdir(tmp_path)
    rule = make_rule("AWS::S3::Bucket", "Properties.VersioningConfiguration.Status == 'Enabled'")
    report = scan([Path("parent.yaml"), Path("children/storage.yaml")], [rule], PROD)
    assert {(r.resource, r.file) for r in report.results if r.resource} == {
        ("Storage/Logs", str(Path("children/storage.yaml"))), ("Logs", str(Path("children/storage.yaml")))}


def test_inline_waivers_of_a_child_apply_to_its_results(tmp_path):
    parent = _family(tmp_path)
    child = tmp_path / "children" / "storage.yaml"
    waiver = "{rule: T-RULE-001, reason: archive bucket, approved_by: a@example.com, expires: 2099-01-01}"
    child.write_text(CHILD.replace("    Type: AWS::S3::Bucket\n",
                                   f"    Type: AWS::S3::Bucket\n    Metadata: {{checker: {{waivers: [{waiver}]}}}}\n"))
    rule = make_rule("AWS::S3::Bucket", "Properties.VersioningConfiguration.Status == 'Enabled'")
    [result] = [r for r in scan([parent], [rule], PROD).results if r.resource]
    assert (result.resource, result.status) == ("Storage/Logs", "WAIVED")


def test_unknown_rule_params_in_the_configuration_are_an_error():
    env = Environment("prod", "us-east-1", rule_params={"replicate_too": ["dev"]})
    with pytest.raises(InputError, match="sets replicate_too, which no rule declares"):
        scan([], [make_rule("AWS::S3::Bucket", "`true`")], [env])


def test_expanding_sam_prints_nothing(tmp_path, capfd):
    (tmp_path / "template.yaml").write_text(SAM)
    scan([tmp_path / "template.yaml"], [make_rule("AWS::Events::Rule", "`true`")], PROD)
    import gc

    gc.collect()  # the translator's leftovers complain when they are collected
    assert capfd.readouterr() == ("", "")


def test_rule_params_of_the_configuration_reach_nested_stacks(tmp_path):
    [rule] = rules_from({"rules": [{
        "id": "T-RULE-002", "title": "the bucket's tag is trusted", "control": "encryption-at-rest",
        "severity": "high", "target": "AWS::S3::Bucket", "sources": ["template"], "remediation": "fix it",
        "references": [REFERENCE], "params": {"default": {"trusted": []}},
        "assert": [{"expr": "contains(param('trusted'), source_name(Properties.Tags[0].Value))"}],
        "tests": [{"name": "placeholder", "expect": "PASS", "resource": {"Type": "AWS::S3::Bucket"}}]}]}, "rules.yaml")
    env = Environment("prod", "us-east-1", "123456789012", rule_params={"trusted": ["KeyArn"]})
    [result] = [r for r in scan([_family(tmp_path)], [rule], [env]).results if r.resource]
    assert (result.resource, result.status) == ("Storage/Logs", "PASS")


NESTED_REGIONS = """Rules:
  Pinned:
    Assertions:
      - Assert: !Contains [[us-east-1, us-west-2], !Ref "AWS::Region"]
        AssertDescription: REGIONS
Resources:
  Child:
    Type: AWS::CloudFormation::Stack
    Properties: {TemplateURL: child.yaml}
"""


@pytest.mark.parametrize(("child_rules", "admitted"), [
    ("", ["us-east-1", "us-west-2"]),
    ("Rules:\n  East:\n    Assertions:\n      - Assert: !Equals [!Ref \"AWS::Region\", us-east-1]\n", ["us-east-1"]),
])
def test_a_nested_stack_is_admitted_only_where_its_parent_and_its_own_rules_admit_it(tmp_path, child_rules,
                                                                                        admitted):
    (tmp_path / "parent.yaml").write_text(NESTED_REGIONS)
    (tmp_path / "child.yaml").write_text(child_rules + "Resources:\n  Topic: {Type: AWS::SNS::Topic}\n")
    rule = make_rule("template", f"Deployment.RegionsAllowedByTemplateRules == `{json.dumps(admitted)}`")
    results = {r.resource: r.status for r in scan([tmp_path / "parent.yaml"], [rule], PROD).results}
    assert results["Child"] == "PASS"
