"""Verdicts on values only known at deployment: decided where the unknown does not matter, never PASS where it does."""
from __future__ import annotations

import json

import pytest

from checker.engine.evaluate import evaluate
from checker.engine.rules import rules_from
from checker.template.environment import Environment
from checker.template.load import Template, parse
from checker.template.render import render

REFERENCE = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-reference.html"


def make_rule(*asserts: str, target: str = "AWS::S3::Bucket", when: str | None = None,
              params: dict | None = None) -> object:
    entry = {
        "id": "T-RULE-001", "title": "the rule holds", "control": "encryption-at-rest", "severity": "high",
        "target": target, "sources": ["template"], "remediation": "fix it", "references": [REFERENCE],
        "assert": [{"expr": text, "message": f"assertion {number} fails"} for number, text in enumerate(asserts, 1)],
        "tests": [{"name": "placeholder", "expect": "PASS", "resource": {"Type": target}}],
    }
    if when:
        entry["when"] = when
    if params:
        entry["params"] = params
    [rule] = rules_from({"rules": [entry]}, "test-rules.yaml")
    return rule


def results(rule, text: str, *, account: str | None = None, parameters: dict | None = None,
            name: str = "prod", region: str = "us-east-1") -> dict:
    template = Template("t.yaml", parse(text, "t.yaml"))
    document = render(template, Environment(name, region, account, None, parameters or {}))
    return {r.resource: r for r in evaluate([rule], document, name, "template")}


def verdict(rule, text: str, subject: str | None = "R", **env) -> tuple[str, list[int]]:
    found = results(rule, text, **env)[subject]
    return found.status, list(found.decided_by or ())


# --- needless ERROR: what the unknown does not affect is decided ---------------------------------------------

ACCOUNT_NAMED = """
Resources:
  R:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub prod-transaction-logs-${AWS::AccountId}
      LifecycleConfiguration:
        Rules:
          - {Status: Enabled, Prefix: !Sub "${AWS::AccountId}/logs/", ExpirationInDays: 400}
"""


def test_literal_piece_of_a_name_built_with_the_account_id_decides_contains():
    rule = make_rule("contains(to_string(Properties.BucketName), 'transaction-logs')")
    assert verdict(rule, ACCOUNT_NAMED) == ("PASS", [])


@pytest.mark.parametrize(("name", "status"), [
    ("!Sub app-data-${AWS::AccountId}", "FAIL"),  # an account id is digits: it cannot hold the text
    ("!Sub app-data-${AWS::AccountId}-logs", "FAIL"),
    ("!Sub app-data-${AWS::Region}", "ERROR"),  # a Region's letters could
])
def test_text_the_account_id_cannot_hold_is_not_found_in_a_name_built_with_it(name, status):
    rule = make_rule("contains(to_string(Properties.BucketName), 'transaction-logs')")
    template = f"Resources:\n  R:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: {name}\n"
    assert verdict(rule, template, region=None)[0] == status


def test_digits_may_fall_within_the_account_id():
    rule = make_rule("contains(to_string(Properties.BucketName), 'data-12')")
    template = ("Resources:\n  R:\n    Type: AWS::S3::Bucket\n    Properties:\n"
                "      BucketName: !Sub data-${AWS::AccountId}\n")
    assert verdict(rule, template)[0] == "ERROR"


@pytest.mark.parametrize(("principal", "status"), [
    ("!GetAtt Role.Arn", "PASS"),  # an ARN attribute is an ARN, never "*"
    ("!Ref Role", "ERROR"),  # a physical id could be anything
])
def test_the_arn_attribute_of_a_resource_is_never_a_wildcard(principal, status):
    rule = make_rule("Properties.Principal != '*'")
    template = ("Resources:\n  Role:\n    Type: AWS::IAM::Role\n  R:\n    Type: AWS::S3::Bucket\n    Properties:\n"
                f"      Principal: {principal}\n")
    assert verdict(rule, template)[0] == status


def test_names_with_different_literal_pieces_compare_unequal():
    rule = make_rule("Properties.BucketName != join('', ['staging-transaction-logs-', to_string(`1`)])",
                     "Properties.BucketName == 'staging-transaction-logs-123456789012'")
    assert verdict(rule, ACCOUNT_NAMED) == ("FAIL", [2])


def test_rule_that_does_not_read_the_unknown_prefix_is_decided():
    rule = make_rule("length(Properties.LifecycleConfiguration.Rules[?Status == 'Enabled'"
                     " && ExpirationInDays >= `365`]) > `0`")
    assert verdict(rule, ACCOUNT_NAMED) == ("PASS", [])


CHOICES = """
Parameters:
  AccountKind: {Type: String}
Conditions:
  IsProdAccount: !Equals [!Ref AccountKind, prod]
Resources:
  KeyA: {Type: AWS::KMS::Key}
  KeyB: {Type: AWS::KMS::Key}
  R:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: !If [IsProdAccount, 731, 400]
      KmsKeyId: !If [IsProdAccount, !GetAtt KeyA.Arn, !GetAtt KeyB.Arn]
"""


def test_retention_that_passes_in_both_branches_of_an_undecided_condition_passes():
    rule = make_rule("contains(`[365, 400, 731]`, to_number(Properties.RetentionInDays))",
                     target="AWS::Logs::LogGroup")
    assert verdict(rule, CHOICES) == ("PASS", [])


def test_key_that_is_a_stack_key_in_both_branches_passes():
    rule = make_rule("resolve(Properties.KmsKeyId).Type == 'AWS::KMS::Key'", target="AWS::Logs::LogGroup")
    assert verdict(rule, CHOICES) == ("PASS", [])


def test_branch_that_fails_makes_the_verdict_fail_naming_its_world():
    rule = make_rule("to_number(Properties.RetentionInDays) >= `731`", target="AWS::Logs::LogGroup")
    found = results(rule, CHOICES)["R"]
    assert (found.status, found.message) == ("FAIL", "when IsProdAccount is false: assertion 1 fails")


def test_a_resource_is_judged_only_in_the_worlds_where_it_exists():
    template = """
Parameters:
  Env: {Type: String, AllowedValues: [prod, dev]}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsEurope: !Equals [!Ref AWS::Region, eu-west-1]
Resources:
  R:
    Type: AWS::Logs::LogGroup
    Condition: IsProd
    Properties:
      RetentionInDays: !If [IsProd, 400, !Ref AWS::NoValue]
  Other:
    Type: AWS::Logs::LogGroup
    Condition: IsProd
    Properties:
      RetentionInDays: !If [IsEurope, 400, !Ref AWS::NoValue]
"""
    rule = make_rule("Properties.RetentionInDays != `null`", target="AWS::Logs::LogGroup")
    found = results(rule, template, region=None)
    assert (found["R"].status, found["Other"].status) == ("PASS", "FAIL")
    assert found["Other"].message.startswith("when IsEurope is false: ") and "IsProd" not in found["Other"].message


def test_worlds_that_no_parameter_value_produces_are_not_judged():
    text = """
Parameters:
  Env: {Type: String}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Equals [!Ref Env, dev]
Resources:
  R:
    Type: AWS::S3::Bucket
    Properties:
      A: !If [IsProd, x, ok]
      B: !If [IsDev, x, ok]
"""
    rule = make_rule("Properties.A == 'ok' || Properties.B == 'ok'")  # fails only if IsProd and IsDev both held
    assert verdict(rule, text) == ("PASS", [])


def test_allowed_values_limit_the_worlds():
    text = """
Parameters:
  Env: {Type: String, AllowedValues: [prod, staging]}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsStaging: !Equals [!Ref Env, staging]
Resources:
  R:
    Type: AWS::S3::Bucket
    Properties:
      A: !If [IsProd, ok, x]
      B: !If [IsStaging, ok, x]
"""
    rule = make_rule("Properties.A == 'ok' || Properties.B == 'ok'")  # one of the two always holds
    assert verdict(rule, text) == ("PASS", [])


ENV_CONDITION = """
Parameters:
  Env: {Type: String}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
"""


# --- false PASS: what the unknown affects is never PASS ------------------------------------------------------

UNKNOWN_ACL = """
Parameters:
  Acl: {Type: String}
  Status: {Type: String}
Resources:
  R:
    Type: AWS::S3::Bucket
    Properties:
      AccessControl: !Ref Acl
      LifecycleConfiguration:
        Rules:
          - {Status: !Ref Status, ExpirationInDays: 7}
"""


def test_negated_contains_of_a_parameter_without_value_is_error_naming_it():
    rule = make_rule("!contains(['PublicRead', 'PublicReadWrite'], Properties.AccessControl)")
    found = results(rule, UNKNOWN_ACL)["R"]
    assert (found.status, found.decided_by) == ("ERROR", (1,))
    assert found.message == ("cannot decide Properties.AccessControl: parameter Acl has no value in this environment "
                             "(give it with --param Acl=VALUE or in the environment's parameters)")


def test_filter_keeps_an_element_whose_test_is_unknown():
    rule = make_rule("length(Properties.LifecycleConfiguration.Rules[?Status == 'Enabled'"
                     " && ExpirationInDays < `30`]) == `0`")
    assert verdict(rule, UNKNOWN_ACL) == ("ERROR", [1])


def test_filter_that_fails_for_every_value_of_the_unknown_is_decided():
    rule = make_rule("length(Properties.LifecycleConfiguration.Rules[?ExpirationInDays < `30`"
                     " && Status == 'Enabled']) == `0`")  # the element is a Maybe: its length is 0..1
    assert verdict(rule, UNKNOWN_ACL) == ("ERROR", [1])
    rule = make_rule("length(Properties.LifecycleConfiguration.Rules[?ExpirationInDays > `30`"
                     " && Status == 'Enabled']) == `0`")
    assert verdict(rule, UNKNOWN_ACL) == ("PASS", [])


def test_field_read_through_an_undecided_if_is_not_null():
    text = ENV_CONDITION + """  R:
    Type: AWS::S3::Bucket
    Properties:
      VersioningConfiguration: !If [IsProd, {Status: Enabled}, !Ref AWS::NoValue]
"""
    rule = make_rule("Properties.VersioningConfiguration == `null`")
    found = results(rule, text)["R"]
    assert (found.status, found.message) == ("FAIL", "when IsProd is true: assertion 1 fails")


# --- a definite failure is FAIL even beside an unknown --------------------------------------------------------

def test_failing_assertion_beside_an_unknown_one_is_fail():
    text = """
Parameters:
  Encrypt: {Type: String}
Resources:
  R:
    Type: AWS::RDS::DBCluster
    Properties: {Engine: aurora-mysql, StorageEncrypted: !Ref Encrypt}
"""
    rule = make_rule("to_string(Properties.StorageEncrypted) == 'true'",
                     "resolve(Properties.KmsKeyId).Type == 'AWS::KMS::Key'", target="AWS::RDS::DBCluster")
    found = results(rule, text)["R"]
    assert (found.status, found.decided_by, found.message) == ("FAIL", (2,), "assertion 2 fails")


def test_unknown_when_with_holding_assertions_passes():
    rule = make_rule("Properties.LifecycleConfiguration != `null`", when="Properties.AccessControl == 'Private'")
    assert verdict(rule, UNKNOWN_ACL) == ("PASS", [])


def test_unknown_when_with_failing_assertions_is_error_that_says_so():
    rule = make_rule("Properties.VersioningConfiguration != `null`", when="Properties.AccessControl == 'Private'")
    found = results(rule, UNKNOWN_ACL)["R"]
    assert (found.status, found.decided_by) == ("ERROR", (0,))
    assert found.message.startswith("cannot decide whether the rule applies: parameter Acl has no value")
    assert found.message.endswith("if it does: assertion 1 fails")


# --- values that are not values ------------------------------------------------------------------------------

@pytest.mark.parametrize("retention", ["!Ref Days", "'{{resolve:ssm:/logs/retention-days}}'"])
def test_ssm_values_are_unknown_so_a_numeric_minimum_is_not_passed(retention):
    text = f"""
Parameters:
  Days: {{Type: 'AWS::SSM::Parameter::Value<String>', Default: /logs/retention-days}}
Resources:
  R:
    Type: AWS::Logs::LogGroup
    Properties: {{RetentionInDays: {retention}}}
"""
    rule = make_rule("!(to_number(Properties.RetentionInDays) < `365`)", target="AWS::Logs::LogGroup")
    assert verdict(rule, text) == ("ERROR", [1])


def test_rules_see_the_real_noecho_value_and_results_do_not_show_it():
    text = """
Parameters:
  Password: {Type: String, NoEcho: true}
Resources:
  R:
    Type: AWS::RDS::DBCluster
    Properties: {MasterUserPassword: !Ref Password, Description: !Sub "pw=${Password}"}
"""
    rule = make_rule("length(Properties.MasterUserPassword) >= `20`", "Properties.Description == 'none'",
                     target="AWS::RDS::DBCluster")
    found = results(rule, text, parameters={"Password": "short-secret-1"})["R"]
    assert (found.status, found.decided_by) == ("FAIL", (1, 2))
    assert "short-secret-1" not in json.dumps(found.to_dict())
    assert found.evidence == {"Properties.MasterUserPassword": "****", "Properties.Description": "pw=****"}


def test_undecided_if_with_no_value_never_leaks_a_python_object_into_evidence():
    text = ENV_CONDITION + """  R:
    Type: AWS::S3::Bucket
    Properties:
      Tags: [{Key: a, Value: b}, !If [IsProd, {Key: c, Value: d}, !Ref AWS::NoValue]]
"""
    rule = make_rule("length(Properties.Tags) == `3`")
    found = results(rule, text)["R"]
    assert found.status == "FAIL"
    assert "object at 0x" not in json.dumps(found.to_dict())
    assert found.evidence == {"Properties.Tags": [{"Key": "a", "Value": "b"},
                                                  {"Fn::If": ["IsProd", {"Key": "c", "Value": "d"},
                                                              {"Ref": "AWS::NoValue"}]}]}


def test_error_message_names_only_the_unknowns_that_reached_the_verdict():
    text = """
Parameters:
  Algorithm: {Type: String}
  Bucket: {Type: String}
Resources:
  R:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Ref Bucket
      Algorithm: !Ref Algorithm
"""
    rule = make_rule("Properties.Algorithm == 'aws:kms'")
    found = results(rule, text)["R"]
    assert "Algorithm" in found.message and "parameter Bucket" not in found.message


def test_a_reason_shared_by_assertions_is_said_once_and_an_undecided_when_is_named():
    text = """
Parameters:
  Mode: {Type: String}
  Kind: {Type: String}
Resources:
  R:
    Type: AWS::S3::Bucket
    Properties: {A: !Ref Mode, B: !Ref Mode, C: !Ref Kind}
"""
    rule = make_rule("Properties.A == 'x'", "contains(['x'], Properties.B)", when="Properties.C == 'z'")
    found = results(rule, text)["R"]
    mode = "parameter Mode has no value in this environment (give it with --param Mode=VALUE or in the " \
           "environment's parameters)"
    kind = mode.replace("Mode", "Kind")
    assert found.message == (f"cannot decide Properties.A, Properties.B: {mode}; "
                             f"cannot decide whether the rule applies: {kind}")


def test_resources_with_an_undecided_condition_may_or_may_not_count():
    text = ENV_CONDITION + """  Weekly:
    Type: AWS::Events::Rule
    Condition: IsProd
    Properties: {ScheduleExpression: rate(7 days)}
"""
    rule = make_rule("length(resources('AWS::Events::Rule')) > `0`", target="template")
    assert verdict(rule, text, subject=None) == ("FAIL", [1])  # when IsProd is false there is none
    assert verdict(rule, text, subject=None, parameters={"Env": "prod"}) == ("PASS", [])


def test_import_is_not_a_resource_of_the_stack():
    text = "Resources:\n  R:\n    Type: AWS::SNS::Topic\n    Properties: {KmsMasterKeyId: !ImportValue shared-key}\n"
    rule = make_rule("resolve(Properties.KmsMasterKeyId).Type == 'AWS::KMS::Key'", target="AWS::SNS::Topic")
    assert verdict(rule, text) == ("FAIL", [1])


@pytest.mark.parametrize(("value", "source"), [
    ("'{{resolve:secretsmanager:db:SecretString:password}}'", "secretsmanager-reference"),
    ("!Ref Password", "parameter"),
    ("!GetAtt Secret.Arn", "resource"),
    ("hunter2", "literal"),
    ("!ImportValue shared", "import"),
])
def test_source_of_tells_where_a_value_comes_from(value, source):
    text = f"""
Parameters:
  Password: {{Type: String, NoEcho: true}}
Resources:
  Secret: {{Type: AWS::SecretsManager::Secret}}
  R:
    Type: AWS::RDS::DBCluster
    Properties: {{MasterUserPassword: {value}}}
"""
    rule = make_rule(f"source_of(Properties.MasterUserPassword) == '{source}'", target="AWS::RDS::DBCluster")
    assert verdict(rule, text) == ("PASS", [])


@pytest.mark.parametrize(("value", "known"), [("'x'", True), ("!Ref P", False), ("!GetAtt K.Arn", False)])
def test_is_known_tells_whether_a_value_is_known_at_scan_time(value, known):
    text = f"Parameters:\n  P: {{Type: String}}\nResources:\n  K: {{Type: AWS::KMS::Key}}\n  R:\n" \
           f"    Type: AWS::S3::Bucket\n    Properties: {{A: {value}}}\n"
    rule = make_rule(f"is_known(Properties.A) == `{json.dumps(known)}`")
    assert verdict(rule, text) == ("PASS", [])


# --- references in every spelling ---------------------------------------------------------------------------

KEYS = """
Parameters:
  KeyArn: {Type: String}
Resources:
  Key: {Type: AWS::KMS::Key}
  KeyAlias:
    Type: AWS::KMS::Alias
    Properties: {AliasName: alias/payments-logs, TargetKeyId: !Ref Key}
  R:
    Type: AWS::Logs::LogGroup
    Properties: {KmsKeyId: VALUE}
"""


@pytest.mark.parametrize(("value", "status"), [
    ("!GetAtt Key.Arn", "PASS"),
    ("!Ref KeyAlias", "PASS"),
    ("alias/payments-logs", "PASS"),
    ("!Sub 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/payments-logs'", "PASS"),
    ("!Sub 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:${KeyAlias}'", "PASS"),
    ("!Sub 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/${Key}'", "PASS"),
    ("!Join ['', ['arn:aws:kms:', !Ref AWS::Region, ':', !Ref AWS::AccountId, ':key/', !Ref Key]]", "PASS"),
    ("alias/aws/logs", "FAIL"),
    ("!ImportValue shared-logs-key", "FAIL"),
    ("!Ref KeyArn", "FAIL"),
    ("arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000", "FAIL"),
])
def test_a_key_of_the_stack_is_recognised_in_every_spelling(value, status):
    rule = make_rule("resolve(Properties.KmsKeyId).Type == 'AWS::KMS::Key'", target="AWS::Logs::LogGroup")
    assert verdict(rule, KEYS.replace("VALUE", value))[0] == status


def test_a_name_the_template_fixes_is_known_text():
    text = """
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {FunctionName: payments-copy}
  R:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: !Sub "/aws/lambda/${Fn}"}
"""
    rule = make_rule("Properties.LogGroupName == '/aws/lambda/payments-copy'", target="AWS::Logs::LogGroup")
    assert verdict(rule, text) == ("PASS", [])


# --- names built from references and parameters --------------------------------------------------------------

GROUPS = """
Parameters:
  Suffix: {Type: String}
Resources:
  Fn: {Type: AWS::Lambda::Function}
  Other: {Type: AWS::Lambda::Function}
  Named:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: !Sub "/payments/${Suffix}"}
  R:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub "/aws/lambda/${Fn}"
      A: !Ref Named
      B: !Sub "/aws/lambda/${Other}"
      C: !Sub "/payments/${Suffix}"
"""


def test_a_reference_compared_with_a_name_built_from_a_parameter_is_undecided():
    rule = make_rule("Properties.A == Properties.C", target="AWS::Logs::LogGroup")
    assert verdict(rule, GROUPS) == ("ERROR", [1])


def test_names_built_from_two_different_resources_differ():
    rule = make_rule("Properties.LogGroupName != Properties.B", target="AWS::Logs::LogGroup")
    assert verdict(rule, GROUPS) == ("PASS", [])


def test_a_literal_name_may_denote_a_resource_whose_name_is_built_from_a_parameter():
    rule = make_rule("resolve('/payments/blue') == `null`", target="AWS::Logs::LogGroup")
    assert verdict(rule, GROUPS) == ("ERROR", [1])


def test_a_literal_name_its_built_name_cannot_match_denotes_nothing():
    rule = make_rule("resolve('/orders/blue') == `null`", target="AWS::Logs::LogGroup")
    assert verdict(rule, GROUPS) == ("PASS", [])


# --- where a value comes from -----------------------------------------------------------------------------------

def test_source_name_of_a_parameter_given_a_value_is_the_parameter():
    text = "Parameters:\n  KeyArn: {Type: String}\nResources:\n  R:\n    Type: AWS::SNS::Topic\n" \
           "    Properties: {KmsMasterKeyId: !Ref KeyArn}\n"
    rule = make_rule("source_name(Properties.KmsMasterKeyId) == 'KeyArn'", target="AWS::SNS::Topic")
    assert verdict(rule, text, parameters={"KeyArn": "arn:aws:kms:us-east-1:111122223333:key/1"}) == ("PASS", [])
    assert verdict(rule, text) == ("PASS", [])


def test_source_name_of_an_export_whose_name_is_unknown_is_unknown():
    text = "Parameters:\n  Shared: {Type: String}\nResources:\n  R:\n    Type: AWS::SNS::Topic\n" \
           "    Properties: {KmsMasterKeyId: !ImportValue {Ref: Shared}}\n"
    rule = make_rule("contains(['shared-key'], source_name(Properties.KmsMasterKeyId))", target="AWS::SNS::Topic")
    assert verdict(rule, text) == ("ERROR", [1])
    assert verdict(rule, text, parameters={"Shared": "shared-key"}) == ("PASS", [])


# --- other environments' documents ------------------------------------------------------------------------------

def _with_staging(rule, text: str) -> tuple[str, list[int]]:
    template = Template("t.yaml", parse(text, "t.yaml"))
    staging = render(template, Environment("staging", "us-east-2", "123456789012", None, {"Env": "staging"}))
    document = render(template, Environment("prod", "us-east-1", "123456789012", None, {"Env": "prod"}))
    [found] = [r for r in evaluate([rule], document, "prod", "template", peers={"staging": staging}.get)
               if r.resource == "R"]
    return found.status, list(found.decided_by or ())


@pytest.mark.parametrize("function", ["arn", "ref"])
def test_a_resource_of_another_environment_is_never_the_same_named_resource_here(function):
    text = "Parameters:\n  Env: {Type: String}\nResources:\n  R: {Type: AWS::S3::Bucket}\n"
    rule = make_rule(f"{function}(environment('staging').Resources.R) == {function}(@)")
    assert _with_staging(rule, text) == ("ERROR", [1])


def test_the_arn_of_another_environment_s_bucket_is_built_from_its_name():
    text = "Parameters:\n  Env: {Type: String}\nResources:\n  R:\n    Type: AWS::S3::Bucket\n" \
           "    Properties: {BucketName: !Sub '${Env}-logs-${AWS::AccountId}'}\n"
    rule = make_rule("arn(environment('staging').Resources.R) == 'arn:aws:s3:::staging-logs-123456789012'")
    assert _with_staging(rule, text) == ("PASS", [])
