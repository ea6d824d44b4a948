"""Loading templates: YAML short forms, JSON, source lines, and hostile or malformed input."""
from __future__ import annotations

import time
import tracemalloc

import pytest

import checker.template.load
from checker.errors import InputError
from checker.template.load import NotATemplate, Template, load_template, parse


def parse_error(text: str) -> InputError:
    with pytest.raises(InputError) as caught:
        parse(text, "t.yaml")
    return caught.value


def load_error(path) -> InputError:
    with pytest.raises(InputError) as caught:
        load_template(path)
    return caught.value


# --- YAML short forms -------------------------------------------------------------------------------

@pytest.mark.parametrize(("short", "long"), [
    ("!Ref Bucket", {"Ref": "Bucket"}),
    ("!Sub 'arn:${AWS::Partition}:s3:::${Bucket}/*'", {"Fn::Sub": "arn:${AWS::Partition}:s3:::${Bucket}/*"}),
    ("!Sub ['${Name}-logs', {Name: !Ref Env}]", {"Fn::Sub": ["${Name}-logs", {"Name": {"Ref": "Env"}}]}),
    ("!GetAtt Key.Arn", {"Fn::GetAtt": ["Key", "Arn"]}),
    ("!GetAtt Db.Endpoint.Address", {"Fn::GetAtt": ["Db", "Endpoint.Address"]}),
    ("!GetAtt [Key, Arn]", {"Fn::GetAtt": ["Key", "Arn"]}),
    ("!If [IsProd, 35, 7]", {"Fn::If": ["IsProd", 35, 7]}),
    ("!Join ['-', [logs, !Ref Env]]", {"Fn::Join": ["-", ["logs", {"Ref": "Env"}]]}),
    ("!Select [0, !GetAZs '']", {"Fn::Select": [0, {"Fn::GetAZs": ""}]}),
    ("!FindInMap [Regions, !Ref Env, Name]", {"Fn::FindInMap": ["Regions", {"Ref": "Env"}, "Name"]}),
    ("!Base64 echo hi", {"Fn::Base64": "echo hi"}),
    ("!Cidr [10.0.0.0/16, 4, 8]", {"Fn::Cidr": ["10.0.0.0/16", 4, 8]}),
    ("!GetAZs us-east-1", {"Fn::GetAZs": "us-east-1"}),
    ("!Split [',', 'a,b']", {"Fn::Split": [",", "a,b"]}),
    ("!Equals [!Ref Env, prod]", {"Fn::Equals": [{"Ref": "Env"}, "prod"]}),
    ("!Not [!Condition IsProd]", {"Fn::Not": [{"Condition": "IsProd"}]}),
    ("!Condition IsProd", {"Condition": "IsProd"}),
])
def test_yaml_short_form_reads_as_the_long_form(short, long):
    assert parse(f"Value: {short}\n", "t.yaml") == {"Value": long}


def test_getatt_list_form_keeps_an_intrinsic_attribute_name():
    assert parse("Value: !GetAtt [Key, !Ref AttributeName]\n", "t.yaml") == {
        "Value": {"Fn::GetAtt": ["Key", {"Ref": "AttributeName"}]}}


def test_getatt_of_a_mapping_is_an_input_error_with_its_line():
    error = parse_error("A: 1\nValue: !GetAtt {Key: Arn}\n")
    assert (error.line, error.message) == (2, "!GetAtt takes Resource.Attribute or [Resource, Attribute]")


@pytest.mark.parametrize("text", [
    "AWSTemplateFormatVersion: 2010-09-09\n",
    '{"AWSTemplateFormatVersion": "2010-09-09"}',
])
def test_unquoted_date_is_kept_as_text(text):
    assert parse(text, "t.yaml") == {"AWSTemplateFormatVersion": "2010-09-09"}


def test_unquoted_timestamp_is_kept_as_text():
    assert parse("At: 2024-01-31T03:00:00Z\n", "t.yaml") == {"At": "2024-01-31T03:00:00Z"}


def test_json_template_reads_as_plain_data():
    text = '{"Resources": {"Key": {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": true}}}}'
    assert parse(text, "t.json") == {
        "Resources": {"Key": {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": True}}}}


# --- source lines --------------------------------------------------------------------------------------

YAML_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: logs
      Tags:
        - Key: team
          Value: payments
"""

JSON_TEMPLATE = """\
{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Resources": {
    "Bucket": {
      "Type": "AWS::S3::Bucket",
      "Properties": {
        "BucketName": "logs",
        "Tags": [
          {"Key": "team",
           "Value": "payments"}
        ]
      }
    }
  }
}
"""


@pytest.mark.parametrize(("keys", "yaml_line", "json_line"), [
    (("Resources",), 2, 3),
    (("Resources", "Bucket"), 3, 4),
    (("Resources", "Bucket", "Properties"), 5, 6),
    (("Resources", "Bucket", "Properties", "BucketName"), 6, 7),
    (("Resources", "Bucket", "Properties", "Tags", 0, "Value"), 9, 10),
    (("Resources", "Bucket", "Properties", "Missing"), 5, 6),  # the deepest key that exists
])
def test_line_of_a_key_in_yaml_and_in_json(tmp_path, keys, yaml_line, json_line):
    (tmp_path / "t.yaml").write_text(YAML_TEMPLATE)
    (tmp_path / "t.json").write_text(JSON_TEMPLATE)
    assert load_template(tmp_path / "t.yaml").line_of(*keys) == yaml_line
    assert load_template(tmp_path / "t.json").line_of(*keys) == json_line


def test_line_of_a_key_that_is_not_in_the_template_is_none():
    assert Template("t.yaml", parse(YAML_TEMPLATE, "t.yaml")).line_of("Outputs", "Arn") is None


def test_json_lines_are_not_fooled_by_quotes_and_colons_inside_strings():
    text = '{\n"A": "x\\": y",\n"B": {"C\\\\": 1,\n "D": 2}\n}'
    template = Template("t.json", parse(text, "t.json"))
    assert [template.line_of("A"), template.line_of("B", "C\\"), template.line_of("B", "D")] == [2, 3, 4]


# --- malformed input ----------------------------------------------------------------------------------

def test_duplicate_key_in_yaml_names_the_key_and_its_line():
    error = parse_error("Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n  Bucket:\n    Type: AWS::S3::Bucket\n")
    assert (error.source, error.line, error.message) == ("t.yaml", 4, "duplicate key 'Bucket'")


def test_duplicate_key_in_json_names_the_key_and_its_line():
    error = parse_error('{"Resources": {\n"Bucket": {"Type": "AWS::S3::Bucket"},\n"Bucket": {}}\n}')
    assert (error.source, error.line, error.message) == ("t.yaml", 3, "duplicate key 'Bucket'")


def test_duplicate_top_level_key_in_json_is_an_error_at_its_line():
    error = parse_error('{"Resources": {},\n "Outputs": {},\n "Resources": {}}')
    assert (error.line, error.message) == (3, "duplicate key 'Resources'")


def test_malformed_yaml_is_an_input_error_with_its_line():
    error = parse_error("Resources:\n  Bucket:\n    Type: [AWS::S3::Bucket\n  Other: 1\n")
    assert error.line == 4
    assert error.message.startswith("malformed YAML: ")


def test_malformed_json_is_an_input_error_with_its_line():
    error = parse_error('{\n  "Resources": {\n    "Bucket": {"Type": "AWS::S3::Bucket",}\n  }\n}')
    assert (error.line, error.message) == (3, "malformed JSON: Expecting property name enclosed in double quotes")


@pytest.mark.parametrize("text", [
    "[" * 100_000,
    "[" * 100_000 + "]" * 100_000,
    "Resources: " + "{a: " * 100_000 + "}" * 100_000,
    '{"Resources": ' + "[" * 100_000,
    '{"Resources": ' + "[" * 100_000 + "]" * 100_000 + "}",
], ids=["yaml-open", "yaml-closed", "yaml-mappings", "json-open", "json-closed"])
def test_deep_nesting_is_rejected_fast(text):
    started = time.perf_counter()
    error = parse_error(text)
    assert error.message == "nested more than 100 levels deep"
    assert time.perf_counter() - started < 1.0


def _nested(syntax: str, levels: int) -> str:
    """A mapping holding lists nested down to a scalar: `levels` nodes from the top to the leaf."""
    inner = "[" * (levels - 2) + "1" + "]" * (levels - 2)
    return f"a: {inner}\n" if syntax == "yaml" else f'{{"a": {inner}}}'


@pytest.mark.parametrize("syntax", ["yaml", "json"])
def test_one_hundred_levels_of_nesting_are_accepted(syntax):
    assert parse(_nested(syntax, 100), "t")["a"] != []


@pytest.mark.parametrize("syntax", ["yaml", "json"])
def test_one_hundred_and_one_levels_of_nesting_are_rejected(syntax):
    assert parse_error(_nested(syntax, 101)).message == "nested more than 100 levels deep"


def test_json_nested_too_deeply_is_reported_at_the_line_where_it_goes_too_deep():
    text = '{"Resources": {\n"A": ' + "[\n" * 150 + "1" + "]" * 150 + "}}"
    assert parse_error(text).line == 99  # brackets on lines 1, 1, then one per line from line 2


BILLION_LAUGHS = "".join(
    [f"l0: &l0 [{', '.join(['lol'] * 10)}]\n"]
    + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]\n" for i in range(1, 10)]
)


def test_billion_laughs_is_rejected_fast_and_small():
    tracemalloc.start()
    started = time.perf_counter()
    try:
        error = parse_error(BILLION_LAUGHS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (error.line, error.message) == (6, "expands to more than 1,000,000 nodes (YAML aliases)")  # l5: 1.1M
    assert time.perf_counter() - started < 2.0
    assert peak < 50 * 1024 * 1024


def test_alias_within_budget_is_expanded():
    assert parse("a: &tags [x, y]\nb: *tags\n", "t.yaml") == {"a": ["x", "y"], "b": ["x", "y"]}


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {b: *a}\n"])
def test_self_referencing_alias_is_an_input_error(text):
    error = parse_error(text)
    assert (error.line, error.message) == (1, "alias 'a' refers to itself")


def test_undefined_alias_is_an_input_error():
    assert parse_error("a: 1\nb: *missing\n").line == 2


# --- whole files --------------------------------------------------------------------------------------

def test_yaml_file_without_resources_is_not_a_template(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("environments:\n  prod: {region: us-east-1}\n")
    with pytest.raises(NotATemplate):
        load_template(path)


def test_file_mentioning_resources_below_the_top_level_is_not_a_template(tmp_path):
    path = tmp_path / "notes.yaml"
    path.write_text("Description: Resources are listed elsewhere\n")
    with pytest.raises(NotATemplate):
        load_template(path)


def test_resources_as_a_list_is_an_error_not_a_skipped_file(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("Description: x\nResources:\n  - Type: AWS::S3::Bucket\n")
    error = load_error(path)
    assert type(error) is InputError
    assert (error.line, error.message) == (2, "Resources must be a mapping of logical ids, not a list")


def test_resource_without_type_is_an_error_naming_it(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("Resources:\n  Bucket:\n    Properties: {}\n")
    error = load_error(path)
    assert (error.source, error.line, error.message) == (str(path), 2, "resource 'Bucket' has no Type")


def test_non_utf8_file_is_an_input_error(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_bytes(b"Resources:\n  B\xe9cket:\n    Type: AWS::S3::Bucket\n")
    assert load_error(path).message == "not UTF-8 text (byte 14)"


def test_file_larger_than_the_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(checker.template.load, "MAX_BYTES", 10)
    path = tmp_path / "t.yaml"
    path.write_text("Resources: {}\n")
    assert load_error(path).message == "file is 14 bytes; templates over 10 bytes are refused"


def test_missing_file_is_an_input_error(tmp_path):
    assert load_error(tmp_path / "absent.yaml").source == str(tmp_path / "absent.yaml")


@pytest.mark.parametrize("name", ["t.yaml", "t.json"])
def test_utf8_bom_is_ignored_and_lines_still_count_from_the_top(tmp_path, name):
    source = YAML_TEMPLATE if name.endswith("yaml") else JSON_TEMPLATE
    path = tmp_path / name
    path.write_bytes(b"\xef\xbb\xbf" + source.encode())
    template = load_template(path)
    assert template.body["Resources"]["Bucket"]["Type"] == "AWS::S3::Bucket"
    assert template.line_of("Resources", "Bucket") == (3 if name.endswith("yaml") else 4)


def test_bom_before_blank_lines_keeps_json_lines_right():
    template = Template("t.json", parse('\ufeff\n\n{\n"Resources": {}\n}', "t.json"))
    assert template.line_of("Resources") == 4
