"""Rendering a template for one environment: what rules see."""
from __future__ import annotations

import time

import pytest

from checker.errors import InputError
from checker.template.environment import Environment
from checker.template.load import Template, parse
from checker.template.regions import commercial_regions
from checker.template.render import render
from checker.template.values import Choice, Maybe, Reference, Text, Unknown, display

ABSENT = object()


def render_text(text: str, *, region: str | None = "us-east-1", account_id: str | None = None,
                parameters: dict | None = None, name: str = "prod") -> dict:
    template = Template("t.yaml", parse(text, "t.yaml"))
    return render(template, Environment(name, region, account_id, None, parameters or {}))


def rendered(value: str, head: str = "", **env) -> object:
    """The rendered value of `Value: <value>` in the properties of the only resource, R."""
    text = f"{head}\nResources:\n  R:\n    Type: AWS::S3::Bucket\n    Properties:\n      Value: {value}\n"
    return render_text(text, **env)["Resources"]["R"]["Properties"].get("Value", ABSENT)


def shown(value: str, head: str = "", **env) -> object:
    """How reports show the rendered value: what is only known at deployment in its intrinsic form."""
    return display(rendered(value, head, **env))


def origins(value: object) -> set[tuple[str, str]]:
    assert isinstance(value, (Unknown, Text, Maybe)), value
    return {(o.kind, o.name) for o in value.origins}


PARAMETERS = """
Parameters:
  Env: {Type: String, Default: dev}
  Name: {Type: String}
  Days: {Type: Number, Default: "7"}
  Ratio: {Type: Number, Default: "0.5"}
  Zones: {Type: CommaDelimitedList, Default: "a, b,c"}
  Subnets: {Type: "List<AWS::EC2::Subnet::Id>", Default: "subnet-1,subnet-2"}
"""


# --- parameters ------------------------------------------------------------------------------------------

def test_ref_to_a_given_parameter_is_its_value():
    assert rendered("!Ref Env", PARAMETERS, parameters={"Env": "prod"}) == "prod"


def test_ref_to_a_parameter_with_a_default_is_the_default():
    assert rendered("!Ref Env", PARAMETERS) == "dev"


def test_ref_to_a_parameter_without_value_is_an_unknown_string_from_that_parameter():
    value = rendered("!Ref Name", PARAMETERS)
    assert (origins(value), value.type, display(value)) == ({("parameter", "Name")}, "string", {"Ref": "Name"})


@pytest.mark.parametrize(("value", "parameters", "expected"), [
    ("!Ref Days", {}, 7),
    ("!Ref Days", {"Days": "35"}, 35),
    ("!Ref Ratio", {}, 0.5),
])
def test_number_parameter_becomes_a_number(value, parameters, expected):
    result = rendered(value, PARAMETERS, parameters=parameters)
    assert (result, type(result)) == (expected, type(expected))


@pytest.mark.parametrize(("value", "expected"), [
    ("!Ref Zones", ["a", "b", "c"]),
    ("!Ref Subnets", ["subnet-1", "subnet-2"]),
])
def test_list_parameter_becomes_a_list(value, expected):
    assert rendered(value, PARAMETERS) == expected


def test_deployment_lists_every_declared_parameter_with_its_value():
    document = render_text(PARAMETERS + "Resources: {}\n", parameters={"Env": "prod"})
    assert display(document["Deployment"]["Parameters"]) == {
        "Env": "prod", "Name": {"Ref": "Name"}, "Days": 7, "Ratio": 0.5,
        "Zones": ["a", "b", "c"], "Subnets": ["subnet-1", "subnet-2"]}


def test_value_outside_allowed_values_is_an_input_error_naming_the_parameter():
    text = "Parameters:\n  Env:\n    Type: String\n    AllowedValues: [prod, dev]\nResources: {}\n"
    with pytest.raises(InputError) as caught:
        render_text(text, parameters={"Env": "qa"})
    assert (caught.value.source, caught.value.line) == ("t.yaml", 2)
    assert caught.value.message == ("environment 'prod': parameter Env='qa' is not one of its AllowedValues "
                                    "['prod', 'dev']")


@pytest.mark.parametrize(("declaration", "value", "problem"), [
    ("{Type: String, AllowedPattern: '^[a-z]+$'}", "Prod1", "does not match its AllowedPattern ^[a-z]+$"),
    ("{Type: String, MinLength: 3}", "ab", "is outside its MinLength 3 characters"),
    ("{Type: String, MaxLength: 3}", "abcd", "is outside its MaxLength 3 characters"),
    ("{Type: Number, MinValue: 1}", "0", "is outside its MinValue 1"),
    ("{Type: Number, MaxValue: 35}", "36", "is outside its MaxValue 35"),
    ("{Type: Number}", "seven", "is not a number"),
])
def test_value_breaking_a_declared_constraint_is_an_input_error(declaration, value, problem):
    with pytest.raises(InputError) as caught:
        render_text(f"Parameters:\n  P: {declaration}\nResources: {{}}\n", parameters={"P": value})
    assert caught.value.message == f"environment 'prod': parameter P={value!r} {problem}"


@pytest.mark.parametrize(("declaration", "value", "rendered"), [
    ("{Type: String, AllowedPattern: '^[a-z]+$', MinLength: 2, MaxLength: 5}", "prod", "prod"),
    ("{Type: Number, MinValue: 1, MaxValue: 35}", "35", 35),
    ("{Type: String, AllowedPattern: '\\p{Alnum}+'}", "any", "any"),  # Java-only syntax: left to CloudFormation
])
def test_value_within_its_declared_constraints_renders(declaration, value, rendered):
    text = f"Parameters:\n  P: {declaration}\nResources: {{}}\n"
    assert render_text(text, parameters={"P": value})["Deployment"]["Parameters"]["P"] == rendered


def test_constraint_error_of_a_noecho_parameter_does_not_show_the_value():
    text = "Parameters:\n  Secret: {Type: String, NoEcho: true, MinLength: 12}\nResources: {}\n"
    with pytest.raises(InputError) as caught:
        render_text(text, parameters={"Secret": "hunter2"})
    assert "hunter2" not in str(caught.value)
    assert caught.value.message == ("environment 'prod': parameter Secret (a NoEcho value) is outside its "
                                    "MinLength 12 characters")


# --- NoEcho ----------------------------------------------------------------------------------------------

SECRET = """
Parameters:
  Password: {Type: String, NoEcho: true}
Conditions:
  HasPassword: !Not [!Equals [!Ref Password, ""]]
"""


def test_noecho_parameters_are_named_so_that_outputs_mask_their_values():
    document = render_text(SECRET + "Resources: {}\n", parameters={"Password": "hunter2hunter2"})
    assert document["Deployment"]["SecretParameters"] == ["Password"]


@pytest.mark.parametrize("value", ["!Ref Password", "!Sub '${Password}'", "!Join ['', [!Ref Password]]"])
def test_rules_see_the_real_noecho_value_wherever_ref_substitutes_it(value):
    assert rendered(value, SECRET, parameters={"Password": "hunter2hunter2"}) == "hunter2hunter2"


@pytest.mark.parametrize(("password", "expected"), [("", "no password"), ("hunter2hunter2", "password set")])
def test_conditions_are_decided_on_the_real_noecho_value(password, expected):
    value = "!If [HasPassword, password set, no password]"
    assert rendered(value, SECRET, parameters={"Password": password}) == expected


def test_ssm_parameter_type_is_unknown_whatever_its_default():
    head = "Parameters:\n  Ami: {Type: 'AWS::SSM::Parameter::Value<String>', Default: /base/ami}\n"
    value = rendered("!Ref Ami", head)
    assert origins(value) == {("ssm-parameter", "Ami")}
    assert "SSM parameter /base/ami" in next(iter(value.origins)).describe()


@pytest.mark.parametrize("value", ["'{{resolve:ssm:/app/days}}'", "'{{resolve:secretsmanager:db:SecretString:pw}}'"])
def test_dynamic_reference_is_unknown_not_literal_text(value):
    assert {kind for kind, _ in origins(rendered(value))} == {"dynamic-reference"}


@pytest.mark.parametrize("value", [
    "!Sub '{{resolve:secretsmanager:${Secret}::password}}'",
    "!Join ['', ['{{resolve:secretsmanager:', !Ref Secret, ':SecretString:password}}']]",
])
def test_dynamic_reference_built_around_a_resource_is_unknown(value):
    head = "Resources:\n  Secret: {Type: AWS::SecretsManager::Secret}\n"
    text = head + f"  R:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      Value: {value}\n"
    found = render_text(text)["Resources"]["R"]["Properties"]["Value"]
    assert [(o.kind, o.detail) for o in found.origins] == [("dynamic-reference", "secretsmanager")]


def test_text_with_a_dynamic_reference_keeps_its_literal_pieces():
    value = rendered("'mysql://app:{{resolve:ssm-secure:pw}}@db:3306'")
    assert isinstance(value, Text) and (value.parts[0], value.parts[-1]) == ("mysql://app:", "@db:3306")


def test_parameter_declaration_lists_the_properties_that_use_it():
    text = """Parameters:
  Secret: {Type: String, NoEcho: true}
  Env: {Type: String, Default: dev}
Resources:
  Db:
    Type: AWS::RDS::DBCluster
    Properties:
      MasterUserPassword: !Ref Secret
      Tags: [{Key: env, Value: !Sub "${Env}-db"}]
"""
    parameters = render_text(text)["Parameters"]
    assert parameters["Secret"]["UsedBy"] == [{"Resource": "Db", "Type": "AWS::RDS::DBCluster",
                                               "Property": "MasterUserPassword"}]
    assert parameters["Env"]["UsedBy"] == [{"Resource": "Db", "Type": "AWS::RDS::DBCluster", "Property": "Tags"}]


@pytest.mark.parametrize(("password", "expected"), [("short", False), ("long-enough-secret", True)])
def test_template_rules_are_decided_on_the_real_noecho_value(password, expected):
    text = SECRET + """Rules:
  LongPassword:
    Assertions:
      - Assert: !Not [!Contains [[short], !Ref Password]]
Resources: {}
"""
    document = render_text(text, parameters={"Password": password})
    assert document["Rules"]["LongPassword"]["Assertions"][0]["Assert"] is expected


def test_undecided_template_rule_is_unknown_for_the_parameter_without_value():
    text = """Parameters:
  Password: {Type: String, NoEcho: true}
  Unknown: {Type: String}
Rules:
  Mixed:
    Assertions:
      - Assert: !Equals [!Ref Password, !Ref Unknown]
Resources: {}
"""
    document = render_text(text, parameters={"Password": "hunter2hunter2"})
    assert origins(document["Rules"]["Mixed"]["Assertions"][0]["Assert"]) == {("parameter", "Unknown")}


# --- pseudo parameters -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("region", "partition", "suffix"), [
    ("us-east-1", "aws", "amazonaws.com"),
    ("cn-north-1", "aws-cn", "amazonaws.com.cn"),
    ("us-gov-west-1", "aws-us-gov", "amazonaws.com"),
])
def test_region_partition_and_url_suffix_follow_the_region(region, partition, suffix):
    value = "[!Ref AWS::Region, !Ref AWS::Partition, !Ref AWS::URLSuffix]"
    assert rendered(value, region=region) == [region, partition, suffix]


def test_account_id_is_substituted_when_known():
    document = render_text("Resources:\n  R:\n    Type: AWS::S3::Bucket\n    Properties: {A: !Ref AWS::AccountId}\n",
                           account_id="123456789012")
    assert document["Resources"]["R"]["Properties"] == {"A": "123456789012"}
    assert document["Deployment"]["AccountId"] == "123456789012"


def test_unknown_account_id_is_an_unknown_that_says_how_to_give_it():
    document = render_text("Resources:\n  R:\n    Type: AWS::S3::Bucket\n    Properties: {A: !Ref AWS::AccountId}\n")
    value = document["Resources"]["R"]["Properties"]["A"]
    assert display(document["Resources"]["R"]["Properties"]) == {"A": {"Ref": "AWS::AccountId"}}
    assert "--account-id" in next(iter(value.origins)).describe()
    assert display(document["Deployment"]["AccountId"]) == {"Ref": "AWS::AccountId"}


def test_unknown_region_is_an_unknown_pseudo_parameter():
    assert origins(rendered("!Ref AWS::Region", region=None)) == {("pseudo", "AWS::Region")}


def test_novalue_removes_the_key():
    assert rendered("!Ref AWS::NoValue") is ABSENT


def test_novalue_removes_the_list_item():
    assert rendered("[a, !Ref AWS::NoValue, b]") == ["a", "b"]


# --- mappings and conditions -----------------------------------------------------------------------------

MAPPINGS = """
Parameters:
  Env: {Type: String, Default: prod}
Mappings:
  Retention: {prod: {Days: 35}, dev: {Days: 1}}
"""


def test_find_in_map_looks_up_the_value():
    assert rendered("!FindInMap [Retention, !Ref Env, Days]", MAPPINGS) == 35


def test_find_in_map_default_value_is_used_for_a_missing_key():
    assert rendered("!FindInMap [Retention, qa, Days, {DefaultValue: 7}]", MAPPINGS) == 7


def test_find_in_map_of_a_missing_key_is_unknown_in_its_form():
    assert shown("!FindInMap [Retention, qa, Days]", MAPPINGS) == {"Fn::FindInMap": ["Retention", "qa", "Days"]}


def test_find_in_map_on_a_parameter_without_value_blames_the_parameter():
    head = MAPPINGS.replace("Env: {Type: String, Default: prod}", "Env: {Type: String}")
    assert origins(rendered("!FindInMap [Retention, !Ref Env, Days]", head)) == {("parameter", "Env")}


CONDITIONS = """
Parameters:
  Env: {Type: String, Default: prod}
  Unknown: {Type: String}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Equals [dev, !Ref Env]
  NotProd: !Not [!Condition IsProd]
  ProdAndTrue: !And [!Condition IsProd, !Equals [a, a]]
  ProdAndDev: !And [!Condition IsProd, !Condition IsDev]
  DevOrProd: !Or [!Condition IsDev, !Condition IsProd]
  DevOrDev: !Or [!Condition IsDev, !Condition IsDev]
  Undecidable: !Equals [!Ref Unknown, x]
  ProdOrUndecidable: !Or [!Condition IsProd, !Condition Undecidable]
  DevAndUndecidable: !And [!Condition IsDev, !Condition Undecidable]
  NotUndecidable: !Not [!Condition Undecidable]
"""


@pytest.mark.parametrize(("condition", "expected"), [
    ("IsProd", "then"), ("IsDev", "else"), ("NotProd", "else"), ("ProdAndTrue", "then"), ("ProdAndDev", "else"),
    ("DevOrProd", "then"), ("DevOrDev", "else"), ("ProdOrUndecidable", "then"), ("DevAndUndecidable", "else"),
])
def test_fn_if_takes_the_branch_its_condition_decides(condition, expected):
    assert rendered(f"!If [{condition}, then, else]", CONDITIONS) == expected


@pytest.mark.parametrize("condition", ["Undecidable", "NotUndecidable"])
def test_fn_if_on_an_undecidable_condition_is_a_choice_between_both_rendered_branches(condition):
    value = rendered(f"!If [{condition}, !Ref Env, !Ref AWS::Region]", CONDITIONS)
    assert isinstance(value, Choice) and (value.condition, value.then, value.otherwise) == (
        condition, "prod", "us-east-1")
    assert "parameter Unknown has no value" in value.origin.describe()


def test_fn_if_on_an_undeclared_condition_is_unknown():
    assert shown("!If [NoSuchCondition, a, b]", CONDITIONS) == {"Fn::If": ["NoSuchCondition", "a", "b"]}


def test_choice_inside_a_sub_is_lifted_to_a_choice_of_strings():
    value = rendered("!Sub ['${X}-logs', {X: !If [Undecidable, a, b]}]", CONDITIONS)
    assert isinstance(value, Choice) and (value.then, value.otherwise) == ("a-logs", "b-logs")


def test_deployment_lists_each_condition_decided_or_unknown():
    conditions = render_text(CONDITIONS + "Resources: {}\n")["Deployment"]["Conditions"]
    assert (conditions["IsProd"], conditions["IsDev"]) == (True, False)
    assert origins(conditions["Undecidable"]) == {("condition", "Undecidable")}


def test_resource_whose_condition_is_false_is_absent():
    document = render_text(CONDITIONS + "Resources:\n  R: {Type: AWS::S3::Bucket, Condition: IsDev}\n")
    assert document["Resources"] == {}


def test_resource_whose_condition_is_undecidable_is_kept():
    document = render_text(CONDITIONS + "Resources:\n  R: {Type: AWS::S3::Bucket, Condition: Undecidable}\n")
    assert document["Resources"] == {"R": {"Type": "AWS::S3::Bucket", "LogicalId": "R", "Condition": "Undecidable"}}


def test_output_whose_condition_is_false_is_absent():
    text = CONDITIONS + "Resources: {}\nOutputs:\n  A: {Value: a, Condition: IsDev}\n  B: {Value: !Ref Env}\n"
    assert render_text(text)["Outputs"] == {"B": {"Value": "prod"}}


# --- Fn::Sub ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("!Sub '${AWS::Region}-logs'", "us-east-1-logs"),
    ("!Sub '${Env}-${AWS::AccountId}'", "prod-123456789012"),
    ("!Sub '${!Literal}-${Env}'", "${Literal}-prod"),
    ("!Sub ['${Name}-logs', {Name: !Ref Env}]", "prod-logs"),
    ("!Sub 'no variables'", "no variables"),
])
def test_sub_with_every_variable_known_is_a_string(value, expected):
    assert rendered(value, CONDITIONS, account_id="123456789012") == expected


@pytest.mark.parametrize(("value", "parts"), [
    ("!Sub 'arn:${AWS::Partition}:s3:::${R}/*'", ("arn:aws:s3:::", Reference("R"), "/*")),
    ("!Sub '${R.Arn}/${Env}'", (Reference("R", "Arn"), "/prod")),
    ("!Sub ['${A}-${B}-${!Literal}', {A: !Ref Env, B: !GetAtt R.Arn}]", ("prod-", Reference("R", "Arn"),
                                                                            "-${Literal}")),
])
def test_sub_keeps_known_literal_pieces_and_references(value, parts):
    found = rendered(value, CONDITIONS)
    assert isinstance(found, Text) and found.parts == parts


def test_sub_with_a_parameter_without_value_keeps_that_piece_unknown():
    found = rendered("!Sub '${Unknown}-${Env}'", CONDITIONS)
    assert isinstance(found, Text) and found.parts[1:] == ("-prod",)
    assert origins(found) == {("parameter", "Unknown")}


# --- other functions ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    ("!Join ['-', [a, !Ref AWS::Region, 3]]", "a-us-east-1-3"),
    ("!Select [1, [a, b, c]]", "b"),
    ("!Select ['0', !Split [',', 'x,y']]", "x"),
    ("!Split [',', 'a,b,,c']", ["a", "b", "", "c"]),
    ("!Base64 hello", "aGVsbG8="),
    ("!Cidr [10.0.0.0/16, 3, 8]", ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]),
    ("{'Fn::Length': [a, b, c]}", 3),
    ("{'Fn::ToJsonString': {Days: 7, Tags: [a]}}", '{"Days":7,"Tags":["a"]}'),
])
def test_function_with_known_arguments_is_computed(value, expected):
    assert rendered(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("!GetAtt R.Arn", Reference("R", "Arn")),
    ("!GetAtt [R, !Ref AWS::Region]", Reference("R", "us-east-1")),
    ("!Ref R", Reference("R")),
])
def test_reference_to_a_resource_of_the_template_is_a_reference(value, expected):
    assert rendered(value) == expected


@pytest.mark.parametrize(("value", "kind", "expected"), [
    ("!ImportValue {'Fn::Sub': '${AWS::Region}-vpc'}", "import",
     {"Fn::ImportValue": {"Fn::Sub": "${AWS::Region}-vpc"}}),
    ("{'Fn::Length': !Ref Subnets}", "parameter", {"Fn::Length": {"Ref": "Subnets"}}),
    ("!GetAZs ''", "zones", {"Fn::GetAZs": ""}),
])
def test_deploy_time_values_are_unknown_and_shown_in_their_intrinsic_form(value, kind, expected):
    found = rendered(value, "Parameters:\n  Subnets: {Type: CommaDelimitedList}\n")
    assert ({o.kind for o in found.origins}, display(found)) == ({kind}, expected)


def test_zone_selected_from_get_azs_starts_with_the_region():
    found = rendered("!Select [0, !GetAZs '']", region="eu-west-1")
    assert isinstance(found, Text) and found.parts[0] == "eu-west-1"


def test_join_around_a_reference_keeps_the_literal_pieces():
    found = rendered("!Join ['', ['arn:', !GetAtt R.Arn]]")
    assert isinstance(found, Text) and found.parts == ("arn:", Reference("R", "Arn"))


@pytest.mark.parametrize(("value", "expected"), [
    ("!Select [5, [a]]", {"Fn::Select": [5, ["a"]]}),
    ("!Select [-1, [a]]", {"Fn::Select": [-1, ["a"]]}),
    ("!Join [',', not-a-list]", {"Fn::Join": [",", "not-a-list"]}),
    ("!Split [',', [a]]", {"Fn::Split": [",", ["a"]]}),
    ("!Cidr [not-an-ip, 2, 8]", {"Fn::Cidr": ["not-an-ip", 2, 8]}),
    ("!FindInMap [NoSuchMap]", {"Fn::FindInMap": ["NoSuchMap"]}),
    ("!If [OnlyTwo, a]", {"Fn::If": ["OnlyTwo", "a"]}),
    ("{'Fn::Foo': [1, !Ref AWS::Region]}", {"Fn::Foo": [1, "us-east-1"]}),
    ("!Sub [a]", {"Fn::Sub": ["a"]}),
])
def test_malformed_function_is_unknown_not_raised(value, expected):
    found = rendered(value)
    if isinstance(found, Unknown):
        assert {o.kind for o in found.origins} == {"template"}
        assert display(found) == expected
    else:
        assert found == expected  # not a function CloudFormation knows: plain data


def test_cidr_count_beyond_the_cloudformation_limit_is_unknown_not_computed():
    started = time.perf_counter()
    assert shown("!Cidr ['::/0', 100000000, 1]") == {"Fn::Cidr": ["::/0", 100000000, 1]}
    assert time.perf_counter() - started < 1.0


# --- the template's own Rules section --------------------------------------------------------------------

REGION_RULE = """
Parameters:
  Env: {Type: String}
Mappings:
  Home: {prod: {Region: us-east-1}, dev: {Region: us-west-2}}
Rules:
  RightRegion:
    Assertions:
      - Assert: !Equals [!Ref AWS::Region, !FindInMap [Home, !Ref Env, Region]]
        AssertDescription: deploy each environment in its home region
  ProdIsEncrypted:
    RuleCondition: !Equals [!Ref Env, prod]
    Assertions:
      - Assert: !Contains [[us-east-1, us-east-2], !Ref AWS::Region]
Resources: {}
"""


def test_rules_section_is_rendered_for_the_environment():
    assert render_text(REGION_RULE, parameters={"Env": "dev"})["Rules"] == {
        "RightRegion": {"Assertions": [
            {"Assert": False, "AssertDescription": "deploy each environment in its home region"}]},
        "ProdIsEncrypted": {"RuleCondition": False, "Assertions": [{"Assert": True}]},
    }


@pytest.mark.parametrize(("env", "region"), [("prod", "us-east-1"), ("dev", "us-west-2")])
def test_regions_allowed_by_template_rules_is_exactly_the_mapped_region(env, region):
    document = render_text(REGION_RULE, parameters={"Env": env})
    assert document["Deployment"]["RegionsAllowedByTemplateRules"] == [region]


def test_every_region_is_allowed_by_a_template_without_rules():
    assert render_text("Resources: {}\n")["Deployment"]["RegionsAllowedByTemplateRules"] == list(commercial_regions())


def test_every_region_is_doubtful_when_the_rules_depend_on_an_unresolved_parameter():
    document = render_text(REGION_RULE)
    allowed = document["Deployment"]["RegionsAllowedByTemplateRules"]
    assert [region.value for region in allowed] == list(commercial_regions())  # each is a Maybe: the rules cannot tell
    assert origins(allowed[0]) == {("parameter", "Env")}
    assert origins(document["Rules"]["RightRegion"]["Assertions"][0]["Assert"]) == {("parameter", "Env")}


def test_regions_allowed_are_decided_on_the_real_noecho_value():
    text = """
Parameters:
  Token: {Type: String, NoEcho: true}
Rules:
  TokenOnlyInVirginia:
    RuleCondition: !Not [!Equals [!Ref Token, ""]]
    Assertions:
      - Assert: !Equals [!Ref AWS::Region, us-east-1]
Resources: {}
"""
    document = render_text(text, parameters={"Token": "abcdef"})
    assert document["Deployment"]["RegionsAllowedByTemplateRules"] == ["us-east-1"]


# --- the document -----------------------------------------------------------------------------------------

def test_document_keeps_declarations_and_adds_logical_ids_and_deployment_facts():
    text = 'AWSTemplateFormatVersion: 2010-09-09\nParameters:\n  Env: {Type: String, Default: prod}\n' \
           'Resources:\n  R:\n    Type: AWS::S3::Bucket\n    DeletionPolicy: Retain\n'
    document = render_text(text, account_id="123456789012", name="staging", region="us-east-2")
    assert document == {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {"Env": {"Type": "String", "Default": "prod", "UsedBy": []}},
        "Resources": {"R": {"Type": "AWS::S3::Bucket", "LogicalId": "R", "DeletionPolicy": "Retain"}},
        "Outputs": {},
        "Rules": {},
        "Deployment": {"Environment": "staging", "Region": "us-east-2", "AccountId": "123456789012",
                       "Parameters": {"Env": "prod"}, "SecretParameters": [], "Conditions": {}, "RuleParams": {},
                       "RegionsAllowedByTemplateRules": list(commercial_regions())},
    }


def test_only_assertions_about_the_region_decide_which_regions_the_rules_allow():
    text = """
Parameters:
  Env: {Type: String}
  Subnets: {Type: "List<AWS::EC2::Subnet::Id>"}
  Vpc: {Type: "AWS::EC2::VPC::Id"}
Mappings:
  Home: {prod: {Region: us-east-1}}
Rules:
  HomeRegion:
    Assertions:
      - Assert: !Equals [!Ref AWS::Region, !FindInMap [Home, !Ref Env, Region]]
  ProductionAccount:
    Assertions:
      - Assert: !Equals [!Ref AWS::AccountId, "111122223333"]
  SubnetsInVpc:
    Assertions:
      - Assert: !EachMemberEquals [!ValueOfAll ["AWS::EC2::Subnet::Id", VpcId], !Ref Vpc]
Resources: {}
"""
    document = render_text(text, parameters={"Env": "prod"})
    assert document["Deployment"]["RegionsAllowedByTemplateRules"] == ["us-east-1"]


def test_parameters_used_only_inside_a_dynamic_reference_say_so():
    text = """
Parameters:
  SecretArn: {Type: String}
Resources:
  Db:
    Type: AWS::RDS::DBInstance
    Properties:
      MasterUserPassword: !Sub "{{resolve:secretsmanager:${SecretArn}:SecretString:password}}"
"""
    assert render_text(text)["Parameters"]["SecretArn"]["UsedBy"] == [
        {"Resource": "Db", "Type": "AWS::RDS::DBInstance", "Property": "MasterUserPassword",
         "InDynamicReference": True}]
