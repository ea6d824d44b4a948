"""Verdicts shared between the documents of one template: a rule that reads only its resource judges a
resource that is the same in several environments once, and nothing else."""
from __future__ import annotations

import pytest

import checker.engine.evaluate as evaluate_module
from checker.engine.context import Context
from checker.engine.evaluate import evaluate, memo_key
from checker.engine.functions import FUNCTIONS
from checker.engine.interpreter import Interpreter
from checker.engine.logic import World
from checker.template.environment import Environment
from checker.template.load import Template, parse
from checker.template.render import render
from checker.template.values import NO_VALUE, Choice, ChoiceList, Maybe, Origin, Range, Reference, Text, Unknown
from tests.test_unknowns import make_rule

TEMPLATE = """
Parameters:
  Environment: {Type: String}
  Days: {Type: Number}
Mappings:
  Retention: {prod: {Days: 731}, staging: {Days: 400}, dev: {Days: 30}}
Resources:
  Same:
    Type: AWS::Logs::LogGroup
    Properties: {RetentionInDays: 400, KmsKeyId: !GetAtt Key.Arn}
  PerEnvironment:
    Type: AWS::Logs::LogGroup
    Properties: {RetentionInDays: !FindInMap [Retention, !Ref Environment, Days]}
  Undecided:
    Type: AWS::Logs::LogGroup
    Properties: {RetentionInDays: !Ref Days}
  Key:
    Type: AWS::KMS::Key
"""
ENVIRONMENTS = [Environment(name, region, None, None, {"Environment": name}) for name, region in
                (("prod", "us-east-1"), ("staging", "us-east-2"), ("dev", "us-west-2"))]
LOCAL = make_rule("Properties.RetentionInDays >= `365`", target="AWS::Logs::LogGroup")
READS_DOCUMENT = make_rule("length(resources('AWS::KMS::Key')) > `0`", target="AWS::Logs::LogGroup")


@pytest.fixture
def judged(monkeypatch) -> list[tuple[str, str]]:
    """(rule id, resource) of every judgement made."""
    made: list[tuple[str, str]] = []
    decide = evaluate_module.decide

    def counting(rule, subject, context, space):
        made.append((rule.id, subject["LogicalId"]))
        return decide(rule, subject, context, space)

    monkeypatch.setattr(evaluate_module, "decide", counting)
    return made


def _scan(rule, verdicts):
    template = Template("t.yaml", parse(TEMPLATE, "t.yaml"))
    return [evaluate([rule], render(template, env), env.name, "template", verdicts=verdicts) for env in ENVIRONMENTS]


def test_a_resource_the_same_in_every_environment_is_judged_once(judged):
    _scan(LOCAL, {})
    assert judged.count(("T-RULE-001", "Same")) == 1


def test_a_resource_that_differs_between_environments_is_judged_in_each(judged):
    _scan(LOCAL, {})
    assert judged.count(("T-RULE-001", "PerEnvironment")) == 3


def test_a_resource_holding_a_value_known_only_at_deployment_is_judged_in_each(judged):
    _scan(LOCAL, {})
    assert judged.count(("T-RULE-001", "Undecided")) == 3


def test_a_rule_that_reads_other_resources_judges_in_every_environment(judged):
    _scan(READS_DOCUMENT, {})
    assert judged.count(("T-RULE-001", "Same")) == 3


def test_shared_verdicts_give_the_results_judging_each_environment_gives():
    for rule in (LOCAL, READS_DOCUMENT):
        assert _scan(rule, {}) == _scan(rule, None)


def test_rule_params_of_the_environment_are_part_of_what_is_shared(judged):
    rule = make_rule("Properties.RetentionInDays >= param('days')", target="AWS::Logs::LogGroup",
                     params={"default": {"days": 365}, "prod": {"days": 731}})
    statuses = [{r.resource: r.status for r in results}["Same"] for results in _scan(rule, {})]
    assert statuses == ["FAIL", "PASS", "PASS"]
    assert judged.count(("T-RULE-001", "Same")) == 2  # prod alone, then staging's verdict serves dev


@pytest.mark.parametrize(("one", "other"), [
    ([1, 2], [12]), (True, 1), (1, 1.0), ("1", 1), ({"a": 1}, {"a": "1"}), ([{"a": 1}], [{}, {"a": 1}]),
    (Reference("Key", "Arn"), Reference("Key")), (Reference("Key", None, "name-a"), Reference("Key", None, "name-b")),
    (Text(("a-", Reference("Key"))), "a-Key"),
])
def test_values_a_rule_may_tell_apart_have_different_keys(one, other):
    assert memo_key(one) != memo_key(other)


UNKNOWN = Unknown([Origin("parameter", "Suffix")])


@pytest.mark.parametrize("undecided", [
    Text(("app-", UNKNOWN)), UNKNOWN, Choice("IsProd", 1, 2, Origin("condition", "IsProd")),
    ChoiceList([Choice("IsProd", 1, NO_VALUE, Origin("condition", "IsProd"))]), Maybe(1, []), Range(1, 2, []), NO_VALUE,
])
def test_a_value_holding_anything_undecided_has_no_key(undecided):
    assert memo_key({"Properties": {"Name": [undecided]}}) is None


class _Untouchable:
    """Stands for the document: any use of it fails the test."""

    def __getattr__(self, name):
        raise AssertionError(f"read the document ({name})")

    def __call__(self, *args):
        raise AssertionError("read another environment's document")


ARGUMENTS = ["text", "arn:aws:kms:us-east-1:111122223333:key/abc", 3, None, True, [1, "a"], {"Ref": "X"},
             {"Type": "AWS::S3::Bucket", "LogicalId": "B", "Properties": {}}, Reference("B", "Arn")]


@pytest.mark.parametrize("name", sorted(n for n, f in FUNCTIONS.items() if not f.document))
def test_a_function_not_declared_to_read_the_document_never_does(name):
    function = FUNCTIONS[name]
    context = Context(_Untouchable(), {"days": 1}, index=_Untouchable(), peers=_Untouchable())
    interpreter = Interpreter(World(), lambda called, args, run: FUNCTIONS[called].call(context, run, args))
    count = max(function.minimum, 1) if function.maximum is None else function.maximum
    for first in ARGUMENTS:
        for second in ARGUMENTS:
            args = ([first, second] * count)[:count]
            try:
                function.call(context, interpreter, args)
            except AssertionError:
                raise
            except Exception:  # noqa: BLE001 - arguments of the wrong type are refused, which is fine here
                pass


WRITTEN_TWO_WAYS = """
Parameters:
  Environment: {Type: String}
Conditions:
  IsProd: !Equals [!Ref Environment, prod]
Resources:
  Queue: {Type: AWS::SQS::Queue}
  Group:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !If [IsProd, !Sub "${Queue}/logs", !Join ["", [!Ref Queue, "/logs"]]]
"""


def test_evidence_shows_each_environment_the_value_as_its_template_writes_it():
    rule = make_rule("contains(Properties.LogGroupName, '/logs')", target="AWS::Logs::LogGroup")
    template = Template("t.yaml", parse(WRITTEN_TWO_WAYS, "t.yaml"))
    verdicts: dict = {}
    evidence = [{r.resource: r.evidence for r in evaluate([rule], render(template, env), env.name, "template",
                                                          verdicts=verdicts)}["Group"] for env in ENVIRONMENTS[:2]]
    assert [next(iter(e.values())) for e in evidence] == [
        {"Fn::Sub": "${Queue}/logs"}, {"Fn::Join": ["", [{"Ref": "Queue"}, "/logs"]]}]
