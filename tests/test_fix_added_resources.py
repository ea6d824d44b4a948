"""A resource a fix adds is named after the failing resource it serves, and never takes a name the
template already has."""
from __future__ import annotations

import yaml

from checker.engine.rules import bundled_rule_dirs, load_rules, rules_from
from checker.fix.plan import FIXED, fix_template
from checker.patch import SourceText
from checker.template.environment import Environment
from checker.template.load import parse

[FUNCTION_LOGS] = [rule for rule in load_rules(bundled_rule_dirs()) if rule.id == "PAY-LOGS-003"]
LOGS_KEY = {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Statement": [
    {"Effect": "Allow", "Principal": {"Service": {"Fn::Sub": "logs.${AWS::Region}.amazonaws.com"}},
     "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*"], "Resource": "*"}]}}}
FUNCTION = {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.12", "Handler": "index.handler"}}


def _fixed(resources: dict) -> dict:
    text = yaml.safe_dump({"Resources": {"Key": LOGS_KEY, **resources}}, sort_keys=False)
    plan = fix_template(SourceText(text, "t.yaml"), [FUNCTION_LOGS], [Environment("prod", "us-east-1")])
    assert {o.status for o in plan.outcomes} == {FIXED}
    return yaml.safe_load(plan.fixed)["Resources"]


def test_each_failing_function_gets_a_log_group_named_after_it():
    added = _fixed({"Fn": FUNCTION, "Worker": FUNCTION})
    assert {name: added[name]["Properties"]["LogGroupName"] for name in ("FnLogGroup", "WorkerLogGroup")} == {
        "FnLogGroup": {"Fn::Sub": "/aws/lambda/${Fn}"}, "WorkerLogGroup": {"Fn::Sub": "/aws/lambda/${Worker}"}}


def test_a_name_the_template_already_has_is_numbered():
    added = _fixed({"Fn": FUNCTION, "FnLogGroup": {"Type": "AWS::SNS::Topic"}})
    assert (added["FnLogGroup"]["Type"], added["FnLogGroup2"]["Properties"]["LogGroupName"]) == (
        "AWS::SNS::Topic", {"Fn::Sub": "/aws/lambda/${Fn}"})


QUEUE_RETENTION = """
rules:
  - id: TEST-SQS-001
    title: Production queues keep messages two weeks
    control: backup-retention
    severity: high
    target: AWS::SQS::Queue
    environments: [prod]
    sources: [template]
    assert:
      - expr: Properties.MessageRetentionPeriod == `1209600`
        message: MessageRetentionPeriod must be 1209600
    remediation: set it
    fix:
      steps:
        - set: Properties.MessageRetentionPeriod
          value: 1209600
    references: [https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sqs-queue.html]
    tests:
      - {name: ok, expect: PASS, resource: {Type: AWS::SQS::Queue, Properties: {MessageRetentionPeriod: 1209600}}}
"""


def test_resources_fixed_together_share_the_condition_the_first_fix_adds():
    [rule] = rules_from(yaml.safe_load(QUEUE_RETENTION), "queue.yaml")
    text = yaml.safe_dump({"Parameters": {"Environment": {"Type": "String", "AllowedValues": ["prod", "staging"]}},
                           "Resources": {name: {"Type": "AWS::SQS::Queue"} for name in ("First", "Second")}},
                          sort_keys=False)
    environments = [Environment(name, "us-east-1", None, None, {"Environment": name}) for name in ("prod", "staging")]
    plan = fix_template(SourceText(text, "t.yaml"), [rule], environments)
    fixed = parse(plan.fixed, "t.yaml")
    assert list(fixed["Conditions"]) == ["IsProd"]
    assert [fixed["Resources"][name]["Properties"] for name in ("First", "Second")] == 2 * [
        {"Fn::If": ["IsProd", {"MessageRetentionPeriod": 1209600}, {"Ref": "AWS::NoValue"}]}]
