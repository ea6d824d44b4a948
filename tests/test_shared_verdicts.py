"""Verdicts shared between the documents of one template: a rule that reads only its resource judges once
what it reads of a resource, however many environments (and resources) it is the same in, and nothing
else is shared."""
from __future__ import annotations

from dataclasses import replace

import pytest

import checker.engine.evaluate as evaluate_module
import checker.engine.scan as scan_module
from checker.engine.cases import run_case
from checker.engine.context import Context
from checker.engine.evaluate import evaluate, memo_key
from checker.engine.expressions import Expression
from checker.engine.functions import FUNCTIONS
from checker.engine.interpreter import Interpreter
from checker.engine.logic import World
from checker.engine.rules import bundled_rule_dirs, load_rules
from checker.engine.scan import peer_documents, scan_template
from checker.template.environment import Environment
from checker.template.load import Template, load_template, parse
from checker.template.names import NAME_PROPERTIES
from checker.template.render import render
from checker.template.values import NO_VALUE, Choice, ChoiceList, Maybe, Origin, Range, Reference, Text, Unknown
from tests.conftest import ROOT
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
    Properties: {RetentionInDays: 500, KmsKeyId: !GetAtt Key.Arn}
  NamedPerEnvironment:
    Type: AWS::Logs::LogGroup
    Properties: {RetentionInDays: 600, LogGroupName: !Sub "${Environment}-logs"}
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


def test_a_resource_that_differs_only_where_the_rule_does_not_read_is_judged_once(judged):
    _scan(LOCAL, {})
    assert judged.count(("T-RULE-001", "NamedPerEnvironment")) == 1


def test_a_rule_that_reads_a_whole_mapping_tells_resources_apart_by_all_of_it(judged):
    _scan(make_rule("length(keys(Properties)) > `0`", target="AWS::Logs::LogGroup"), {})
    assert judged.count(("T-RULE-001", "NamedPerEnvironment")) == 3


def test_resources_alike_in_what_the_rule_reads_share_one_judgement(judged):
    twins = TEMPLATE + "  Twin:\n    Type: AWS::Logs::LogGroup\n    Properties: {RetentionInDays: 500}\n"
    template = Template("t.yaml", parse(twins, "t.yaml"))
    results = evaluate([LOCAL], render(template, ENVIRONMENTS[0]), "prod", "template", verdicts={})
    assert judged.count(("T-RULE-001", "Same")) + judged.count(("T-RULE-001", "Twin")) == 1
    assert {r.resource: r.status for r in results if r.resource in ("Same", "Twin")} == {"Same": "PASS", "Twin": "PASS"}


def test_a_rule_that_reads_other_resources_is_judged_once_where_what_it_reads_is_the_same(judged):
    _scan(READS_DOCUMENT, {})
    assert judged.count(("T-RULE-001", "Same")) == 1


def test_a_rule_is_judged_again_where_another_resource_it_reads_differs(judged):
    rule = make_rule("resolve(Properties.KmsKeyId).Properties.Description != 'dev key'", target="AWS::Logs::LogGroup")
    described = "  Key:\n    Type: AWS::KMS::Key\n    Properties: {Description: !Sub '${Environment} key'}\n"
    text = TEMPLATE.replace("  Key:\n    Type: AWS::KMS::Key\n", described)
    template = Template("t.yaml", parse(text, "t.yaml"))
    verdicts: dict = {}
    statuses = [{r.resource: r.status for r in evaluate([rule], render(template, env), env.name, "template",
                                                        verdicts=verdicts)}["Same"] for env in ENVIRONMENTS]
    assert statuses == ["PASS", "PASS", "FAIL"]
    assert judged.count(("T-RULE-001", "Same")) == 3


def test_a_read_of_another_environments_resource_is_never_taken_for_a_read_of_its_own():
    # ref() of a resource of this document is a reference; of another environment's copy, its fixed name
    rule = make_rule("source_of(ref(environment('dev').Resources.Grp)) "
                     "== source_of(ref(environment('prod').Resources.Grp))")
    text = "Resources:\n  Grp: {Type: AWS::Logs::LogGroup, Properties: {LogGroupName: app-logs}}\n" \
           "  B: {Type: AWS::S3::Bucket}\n"
    environments = [Environment(name, "us-east-1", "111111111111", "app") for name in ("dev", "prod", "qa")]
    template = Template("t.yaml", parse(text, "t.yaml"))
    results = scan_template(template, [rule], environments, peer_documents(environments)).results
    assert {r.environment: r.status for r in results} == {"dev": "FAIL", "prod": "FAIL", "qa": "PASS"}


# Functions whose role holds the account id (known only at deployment) and whose log group a rule finds by
# the name ref() gives: the rule reads the function's identity and name, never its role.
FUNCTIONS_TEMPLATE = """
Parameters: {Environment: {Type: String}}
Resources:
  Fixed:
    Type: AWS::Lambda::Function
    Properties: {FunctionName: app, Role: !Sub 'arn:aws:iam::${AWS::AccountId}:role/r'}
  PerEnvironment:
    Type: AWS::Lambda::Function
    Properties: {FunctionName: !Sub '${Environment}-app', Role: !Sub 'arn:aws:iam::${AWS::AccountId}:role/r'}
  Logs: {Type: AWS::Logs::LogGroup, Properties: {LogGroupName: /aws/lambda/app}}
"""
LOGGED = make_rule("length(named('AWS::Logs::LogGroup', [join('', ['/aws/lambda/', ref(@)])])) > `0`",
                   target="AWS::Lambda::Function")


def _scan_functions(verdicts):
    template = Template("t.yaml", parse(FUNCTIONS_TEMPLATE, "t.yaml"))
    return [evaluate([LOGGED], render(template, env), env.name, "template", verdicts=verdicts) for env in ENVIRONMENTS]


def test_a_rule_passing_its_resource_to_ref_is_judged_once_where_the_resource_is_named_alike(judged):
    _scan_functions({})
    assert judged.count(("T-RULE-001", "Fixed")) == 1


def test_a_rule_passing_its_resource_to_ref_is_judged_again_where_its_name_differs(judged):
    results = _scan_functions({})
    assert [{r.resource: r.status for r in env}["PerEnvironment"] for env in results] == ["FAIL"] * 3
    assert judged.count(("T-RULE-001", "PerEnvironment")) == 3


def test_a_read_made_again_with_the_very_same_arguments_is_repeated_once(monkeypatch):
    repeated: list[str] = []
    call_again = evaluate_module.call_again

    def counting(context, name, args):
        repeated.append(name)
        return call_again(context, name, args)

    monkeypatch.setattr(evaluate_module, "call_again", counting)
    rule = make_rule("[ref(@), ref(@)] != ['web', 'web']", target="AWS::Lambda::Function")
    template = Template("t.yaml", parse(FUNCTIONS_TEMPLATE, "t.yaml"))
    verdicts: dict = {}
    for env in ENVIRONMENTS:
        evaluate([rule], render(template, env), env.name, "template", verdicts=verdicts)
    assert repeated == ["ref", "ref"]  # Fixed, in staging and in dev; PerEnvironment is named apart there


def test_rules_that_select_alike_ask_their_when_once_of_each_subject(monkeypatch):
    asked: list[str] = []
    search = Expression.search

    def counting(self, data, context, world=None):
        if self.text == "Name == 'DbPassword'":
            asked.append(data["Name"])
        return search(self, data, context, world)

    monkeypatch.setattr(Expression, "search", counting)
    rules = [replace(make_rule("NoEcho == 'true'", target="parameter", when="Name == 'DbPassword'"), id=rule_id)
             for rule_id in ("T-RULE-001", "T-RULE-002")]
    text = "Parameters: {Stage: {Type: String, Default: a}, DbPassword: {Type: String, Default: b}}\nResources: {}\n"
    results = evaluate(rules, render(Template("t.yaml", parse(text, "t.yaml")), ENVIRONMENTS[0]), "prod", "template")
    assert [(r.rule_id, r.resource, r.status) for r in results] == [
        ("T-RULE-001", "Stage", "NOT_APPLICABLE"), ("T-RULE-001", "DbPassword", "FAIL"),
        ("T-RULE-002", "Stage", "NOT_APPLICABLE"), ("T-RULE-002", "DbPassword", "FAIL")]
    assert asked.count("Stage") == 1  # the password is asked again by judging each rule that selects it


def test_the_judged_resource_reached_through_its_own_environments_document_stays_that_environments():
    # judged in prod, environment('prod') is the very document judged; judged in dev, it is still prod's
    rule = make_rule("source_of(ref(environment('prod').Resources.Logs)) == 'resource'")
    text = "Resources:\n  Logs: {Type: AWS::S3::Bucket, Properties: {BucketName: my-logs}}\n"
    environments = [Environment(name, "us-east-1", "111122223333", "s") for name in ("prod", "dev")]
    template = Template("t.yaml", parse(text, "t.yaml"))
    results = scan_template(template, [rule], environments, peer_documents(environments)).results
    assert {r.environment: r.status for r in results} == {"prod": "PASS", "dev": "FAIL"}


def test_shared_verdicts_give_the_results_judging_each_environment_gives():
    for rule in (LOCAL, READS_DOCUMENT):
        assert _scan(rule, {}) == _scan(rule, None)
    assert _scan_functions({}) == _scan_functions(None)


# Resources alike but for their names, keys and what their environment gives them: much to share, and
# verdicts and evidence that must not be taken from a neighbour.
VARIED = """
Parameters: {Environment: {Type: String}}
Mappings: {Retention: {prod: {Days: 731}, staging: {Days: 400}, dev: {Days: 30}}}
Conditions: {IsProd: !Equals [!Ref Environment, prod]}
Resources:
""" + "".join(f"""  Key{i}: {{Type: AWS::KMS::Key, Properties: {{EnableKeyRotation: {str(i % 2 == 0).lower()}}}}}
  Bucket{i}:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub '${{Environment}}-data-{i}'
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault:
              {{SSEAlgorithm: {"AES256" if i == 4 else "'aws:kms'"}, KMSMasterKeyID: !GetAtt Key{i}.Arn}}
      VersioningConfiguration: {{Status: {'Enabled' if i % 3 else 'Suspended'}}}
  Logs{i}:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: !FindInMap [Retention, !Ref Environment, Days]
      KmsKeyId: !If [IsProd, !GetAtt Key{i}.Arn, !Ref AWS::NoValue]
""" for i in range(6))


@pytest.mark.parametrize("path", ["templates/payment-stack.yaml", "tests/fixtures/seed-flawed.yaml",
                                  "tests/fixtures/seed-ideal.yaml", "tests/fixtures/orders-service/template.yaml",
                                  "varied.yaml"])
def test_the_pack_gives_the_same_results_with_and_without_shared_verdicts(path, monkeypatch):
    template = Template(path, parse(VARIED, path)) if path == "varied.yaml" else load_template(ROOT / path)
    environments = [Environment("prod", "us-east-1", "111122223333", None, {"Environment": "prod"}),
                    Environment("staging", "us-east-2", "111122223333", None, {"Environment": "staging"}),
                    Environment("dev", "us-west-2", "111122223333", None, {"Environment": "dev"})]
    rules = load_rules(bundled_rule_dirs())
    shared = scan_template(template, rules, environments).results
    monkeypatch.setattr(scan_module, "shared_verdicts", lambda environments: None)
    assert scan_template(template, rules, environments).results == shared


@pytest.mark.parametrize(("expression", "places"), [
    ("Properties.A.B == `1`", {("Properties", "A")}),
    ("Properties.A[0].B", {("Properties", "A")}),
    ("Properties.Rules[?Status == 'Enabled'] | length(@) > `0`", {("Properties", "Rules")}),
    ("sort_by(Properties.Tags, &Key)[0].Key", {("Properties", "Tags")}),
    ("(Properties.A || Properties.B).C", {("Properties", "A"), ("Properties", "B")}),
    ("Type == 'x' && !DeletionPolicy", {("Type",), ("DeletionPolicy",)}),
    ("keys(Properties)", {("Properties",)}),
    ("Properties.*", {("Properties",)}),
    ("Properties | length(@)", {("Properties",)}),
    ("to_string(@)", {()}),
    ("{name: LogicalId, all: @}", {()}),
    ("[ref(@)]", {("LogicalId",), ("PhysicalId",), ("Arn",), ("Type",),
                  *(("Properties", name) for name in NAME_PROPERTIES.values())}),
    ("arn(Properties.Target)", {("Properties", "Target")}),
])
def test_the_footprint_of_an_expression_is_every_place_it_may_depend_on(expression, places):
    assert Expression(expression).footprint == places


def _local_resource_cases():
    for rule in load_rules(bundled_rule_dirs()):
        calls = [name for e in (rule.when, *(a.expression for a in rule.assertions)) if e is not None
                 for name, _ in e.called_functions()]
        if rule.target not in ("template", "parameter") and not any(FUNCTIONS[name].document for name in calls):
            for case in rule.cases:
                if case.resource is not None and isinstance(case.resource.get("Properties"), dict):
                    yield pytest.param(rule, case, id=f"{rule.id}:{case.name}")


@pytest.mark.parametrize(("rule", "case"), list(_local_resource_cases()))
def test_what_a_pack_rule_does_not_read_leaves_its_verdict_alone(rule, case):
    places = {p for e in (rule.when, *(a.expression for a in rule.assertions)) if e is not None for p in e.footprint}
    unread = [name for name in case.resource["Properties"] if ("Properties", name) not in places]
    if () in places or ("Properties",) in places:
        return  # it reads the whole resource or all of its properties
    expected = run_case(rule, case)
    properties = {k: v for k, v in case.resource["Properties"].items() if k not in unread}
    changed = {**case.resource, "Properties": {**properties, "CheckerUnreadProperty": "x"},
               "Metadata": {"unread": True}}
    outcome = run_case(rule, replace(case, resource=changed))
    assert (outcome.actual, outcome.message, outcome.evidence) == (expected.actual, expected.message, expected.evidence)


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
    _call_with_every_pair(name, Context(_Untouchable(), {"days": 1}, index=_Untouchable(), peers=_Untouchable()),
                          ARGUMENTS)


def _call_with_every_pair(name, context, arguments):
    """Call the function with every pair of `arguments` (as many as it takes); the context's guards fail the
    test on what it must not read."""
    function = FUNCTIONS[name]
    interpreter = Interpreter(World(), lambda called, args, run: FUNCTIONS[called].call(context, run, args))
    count = max(function.minimum, 1) if function.maximum is None else function.maximum
    for first in arguments:
        for second in arguments:
            args = ([first, second] * count)[:count]
            try:
                function.call(context, interpreter, args)
            except AssertionError:
                raise
            except Exception:  # noqa: BLE001 - arguments of the wrong type are refused, which is fine here
                pass


class _UnreadableParams(dict):
    """Rule params no function that reads the document may look at: its results are kept by its arguments
    and the document alone."""

    def __getitem__(self, key):
        raise AssertionError(f"read the rule param {key}")

    def __contains__(self, key):
        raise AssertionError(f"looked for the rule param {key}")

    def get(self, key, default=None):
        raise AssertionError(f"read the rule param {key}")


@pytest.mark.parametrize("name", sorted(n for n, f in FUNCTIONS.items() if f.document))
def test_a_function_that_reads_the_document_reads_no_rule_param(name):
    document = render(Template("t.yaml", parse(TEMPLATE, "t.yaml")), ENVIRONMENTS[0])
    resources = [document["Resources"]["Same"], Reference("Key", "Arn"), "AWS::KMS::Key", "prod", [1]]
    _call_with_every_pair(name, Context(document, _UnreadableParams(), peers=lambda env: document),
                          ARGUMENTS + resources)


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
