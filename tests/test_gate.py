"""The gate's parts without AWS: change-set reading, environments, refusals and the decision."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from checker.decision.baseline import Baseline, finding_key
from checker.decision.gate import decide, environment_refusals, explain
from checker.engine.results import ERROR, FAIL, PASS, Result
from checker.errors import InputError
from checker.live.changeset import ChangeSet, read_change_set, resolve_parameters
from checker.scans import change_set_environment
from checker.template.environment import Environment
from checker.template.load import template_from_body

STACK_ID = "arn:aws:cloudformation:eu-west-1:111122223333:stack/payments/6c8f7a10-0000-4000-8000-000000000000"


class StubCloudFormation:
    """The three read calls, answering as AWS does for an UPDATE change set that keeps a value."""

    def __init__(self, body) -> None:
        self.meta = SimpleNamespace(region_name="eu-west-1")
        self.body = body
        self.calls: list[tuple[str, dict]] = []

    def describe_change_set(self, **kwargs):
        self.calls.append(("DescribeChangeSet", kwargs))
        return {"StackId": STACK_ID, "StackName": "payments", "Status": "CREATE_COMPLETE", "Parameters": [
            {"ParameterKey": "Environment", "UsePreviousValue": True},
            {"ParameterKey": "Retention", "ParameterValue": "35"},
            {"ParameterKey": "AmiId", "ParameterValue": "/aws/service/ami", "ResolvedValue": "ami-0abc"}]}

    def describe_stacks(self, **kwargs):
        self.calls.append(("DescribeStacks", kwargs))
        return {"Stacks": [{"Parameters": [{"ParameterKey": "Environment", "ParameterValue": "prod"},
                                           {"ParameterKey": "Retention", "ParameterValue": "7"}]}]}

    def get_template(self, **kwargs):
        self.calls.append(("GetTemplate", kwargs))
        return {"TemplateBody": self.body}


def test_read_change_set_takes_kept_values_from_the_stack_and_the_template_as_submitted():
    client = StubCloudFormation("Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n")
    change_set = read_change_set(client, "payments", "release-42")
    assert change_set.parameters == {"Environment": "prod", "Retention": "35", "AmiId": "ami-0abc"}
    assert (change_set.region, change_set.account_id, change_set.stack_name) == ("eu-west-1", "111122223333",
                                                                                "payments")
    assert change_set.template.path == "payments/release-42"
    assert change_set.template.line_of("Resources", "Topic") == 2
    assert client.calls == [
        ("DescribeChangeSet", {"StackName": "payments", "ChangeSetName": "release-42"}),
        ("DescribeStacks", {"StackName": STACK_ID}),
        ("GetTemplate", {"StackName": "payments", "ChangeSetName": "release-42", "TemplateStage": "Original"}),
    ]


def test_a_json_template_body_arrives_decoded_and_keeps_lines_of_its_rendering():
    template = template_from_body({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}, "s/c")
    assert template.body["Resources"]["Topic"]["Type"] == "AWS::SNS::Topic"
    assert template.line_of("Resources", "Topic") == 3


def test_a_change_set_template_that_is_not_a_template_is_an_input_error():
    with pytest.raises(InputError, match="no Resources section"):
        template_from_body({}, "s/c")


def test_a_kept_value_the_stack_does_not_have_is_an_input_error():
    with pytest.raises(InputError, match="parameter Size keeps its previous value, but the stack has none"):
        resolve_parameters([{"ParameterKey": "Size", "UsePreviousValue": True}], {}, "s/c")


def _change_set(parameters: dict) -> ChangeSet:
    return ChangeSet("payments", "c", "us-west-2", "111122223333", "CREATE_COMPLETE", parameters,
                     template_from_body({"Resources": {}}, "payments/c"))


def test_the_environment_is_the_named_one_or_the_environment_parameter():
    assert change_set_environment(_change_set({"Environment": "dev"}), None) == Environment(
        "dev", "us-west-2", "111122223333", "payments", {"Environment": "dev"})
    assert change_set_environment(_change_set({"Environment": "dev"}), "qa").name == "qa"
    with pytest.raises(InputError, match="no --env given and the change set has no Environment parameter"):
        change_set_environment(_change_set({}), None)


def test_the_environment_parameter_the_configuration_names_chooses_and_checks_the_environment():
    assert change_set_environment(_change_set({"Stage": "dev", "Environment": "x"}), None, "Stage").name == "dev"
    with pytest.raises(InputError, match="no --env given and the change set has no Stage parameter"):
        change_set_environment(_change_set({"Environment": "dev"}), None, "Stage")
    assert environment_refusals(Environment("dev"), None, "checker.yaml", {"Stage": "prod"}, "Stage") == [
        "the gate checks environment 'dev' but the Stage parameter is 'prod'"]


DECLARED = {"prod": Environment("prod", "us-east-1", "111122223333"), "dev": Environment("dev", "us-west-2")}


@pytest.mark.parametrize(("env", "parameters", "expected"), [
    (Environment("prod", "us-east-1", "111122223333"), {"Environment": "prod"}, []),
    (Environment("prod", "us-west-2"), {"Environment": "prod"},
     ["environment 'prod' is deployed to us-east-1 (checker.yaml), not us-west-2"]),
    (Environment("prod", "us-east-1", "444455556666"), {},
     ["environment 'prod' belongs to account 111122223333 (checker.yaml), not 444455556666"]),
    (Environment("qa", "us-east-1"), {}, ["environment 'qa' is not declared in checker.yaml (declared: prod, dev)"]),
    (Environment("dev", "us-west-2"), {"Environment": "prod"},
     ["the gate checks environment 'dev' but the Environment parameter is 'prod'"]),
])
def test_refusals_come_from_the_environments_file_and_the_environment_parameter(env, parameters, expected):
    assert environment_refusals(env, DECLARED, "checker.yaml", parameters) == expected


def test_without_an_environments_file_only_the_rules_judge_the_region():
    assert environment_refusals(Environment("prod", "us-west-2"), None, "checker.yaml", {}) == []


def result(rule_id: str, severity: str, status: str = FAIL, resource: str = "Bucket") -> Result:
    return Result(rule_id, "encryption-at-rest", severity, status, "prod", "template", resource, "AWS::S3::Bucket",
                  "templates/app.yaml", 4, f"{rule_id} failed", None)


RESULTS = [result("R-HIGH", "high"), result("R-LOW", "low"), result("R-ERR", "medium", ERROR),
           result("R-OK", "critical", PASS)]


@pytest.mark.parametrize(("fail_on", "allow_errors", "blocking"), [
    ("low", False, {"R-HIGH", "R-LOW", "R-ERR"}),
    ("high", False, {"R-HIGH", "R-ERR"}),
    ("critical", False, {"R-ERR"}),
    ("critical", True, set()),
])
def test_decide_applies_the_threshold_and_errors(fail_on, allow_errors, blocking):
    decision = decide(RESULTS, fail_on, allow_errors)
    assert {r.rule_id for r in decision.blocking} == blocking
    assert decision.blocked == bool(blocking)


def test_decide_lets_baselined_failures_through_and_counts_them():
    baseline = Baseline("old.json", frozenset({finding_key(RESULTS[0]), finding_key(RESULTS[2])}))
    decision = decide(RESULTS, "low", False, baseline)
    assert [r.rule_id for r in decision.blocking] == ["R-LOW"]
    assert [r.rule_id for r in decision.known] == ["R-HIGH", "R-ERR"]
    assert decision.baseline_dict() == {"path": "old.json", "findings": 2, "known_failures": 2, "new_failures": 1}


def test_refusals_and_unknown_types_block_on_their_own():
    assert decide([], "low", False, refused=["wrong region"]).refusals == ["wrong region"]
    assert decide([], "low", False, unknown_types=["AWS::S3::Bukcet (Logs)"]).blocked
    assert not decide([], "low", True, unknown_types=["AWS::S3::Bukcet (Logs)"]).blocked


def test_explain_prints_the_verdict_and_each_reason():
    assert explain(decide([RESULTS[3]], "low", False), "stack s") == [
        "gate: PASS stack s: deployment may proceed"]
    lines = explain(decide(RESULTS[:2], "high", False, refused=["wrong region"]), "stack s")
    assert lines == ["gate: BLOCK stack s: 2 reason(s)", "  refused: wrong region",
                     "  FAIL high R-HIGH Bucket [prod]: R-HIGH failed"]
