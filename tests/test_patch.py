"""The template patcher: edits change only the lines they must, in the file's own style."""
from __future__ import annotations

import difflib

import pytest

from checker.patch import PatchError, SourceText

YAML = """\
# Payment bucket
Resources:
  Bucket:  # the transaction logs
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub '${Environment}-logs'
      VersioningConfiguration: {Status: Enabled}
      Tags:
        - Key: Team
          Value: payments
  Topic:
    Type: AWS::SNS::Topic
"""

JSON = """\
{
    "Resources" : {
        "Bucket" : {
            "Type" : "AWS::S3::Bucket",
            "Properties" : {
                "BucketName" : "logs",
                "Tags" : [ { "Key" : "Team", "Value" : "payments" } ]
            }
        }
    }
}
"""


def changed(before: str, after: str) -> tuple[list[str], list[str]]:
    """(removed lines, added lines) of a line diff."""
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


def test_a_new_property_is_added_below_the_last_one_and_nothing_else_changes():
    source = SourceText(YAML)
    source.set(("Resources", "Bucket", "Properties", "ObjectLockEnabled"), True)
    assert changed(YAML, source.full_text) == ([], ["      ObjectLockEnabled: true"])
    assert source.full_text.index("ObjectLockEnabled") > source.full_text.index("Value: payments")


def test_a_replaced_scalar_keeps_the_comment_on_its_line():
    text = "Resources:\n  Key:\n    Type: AWS::KMS::Key\n    Properties:\n      EnableKeyRotation: false  # todo\n"
    source = SourceText(text)
    source.set(("Resources", "Key", "Properties", "EnableKeyRotation"), True)
    assert changed(text, source.full_text) == (["      EnableKeyRotation: false  # todo"],
                                               ["      EnableKeyRotation: true  # todo"])


def test_a_removed_property_takes_only_its_own_lines():
    source = SourceText(YAML)
    source.remove(("Resources", "Bucket", "Properties", "Tags"))
    assert changed(YAML, source.full_text) == (["      Tags:", "        - Key: Team", "          Value: payments"], [])


def test_removing_the_first_key_of_a_list_item_moves_the_next_key_onto_the_dash():
    source = SourceText(YAML)
    source.remove(("Resources", "Bucket", "Properties", "Tags", 0, "Key"))
    assert changed(YAML, source.full_text) == (["        - Key: Team", "          Value: payments"],
                                               ["        - Value: payments"])


def test_a_key_added_to_a_flow_mapping_stays_on_its_line():
    source = SourceText(YAML)
    source.set(("Resources", "Bucket", "Properties", "VersioningConfiguration", "MfaDelete"), "Disabled")
    added = changed(YAML, source.full_text)[1]
    assert added == ["      VersioningConfiguration: {Status: Enabled, MfaDelete: Disabled}"]


def test_a_block_added_to_a_flow_mapping_turns_that_mapping_into_block_style():
    text = "Resources:\n  Bucket: {Type: AWS::S3::Bucket, Properties: {}}\n"
    source = SourceText(text)
    source.set(("Resources", "Bucket", "Properties", "LifecycleConfiguration", "Rules"),
               [{"Id": "expire", "Status": "Enabled", "ExpirationInDays": 30}])
    assert source.value(("Resources", "Bucket", "Properties", "LifecycleConfiguration", "Rules", 0, "Id")) == "expire"
    assert source.full_text.splitlines()[0] == "Resources:"


def test_keys_added_one_by_one_to_a_short_flow_mapping_never_make_a_line_past_the_inline_limit():
    text = "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      Tags: {Team: payments}\n"
    source = SourceText(text)
    for index in range(12):
        source.set(("Resources", "Bucket", "Properties", "Tags", f"CostCentre{index}"), f"value-{index}")
    assert max(len(line) for line in source.full_text.splitlines()) <= 100
    assert source.value(("Resources", "Bucket", "Properties", "Tags", "CostCentre11")) == "value-11"


def test_a_flow_mapping_the_template_writes_long_stays_flow_when_a_key_is_added():
    tags = ", ".join(f"Key{index}: value-{index}" for index in range(12))
    text = f"Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      Tags: {{{tags}}}\n"
    source = SourceText(text)
    source.set(("Resources", "Bucket", "Properties", "Tags", "Team"), "payments")
    assert changed(text, source.full_text)[1] == [f"      Tags: {{{tags}, Team: payments}}"]


def test_list_items_follow_the_file_dash_indentation():
    unindented = ("Resources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n"
                  "      ManagedPolicyArns:\n      - arn:a\n")
    source = SourceText(unindented)
    source.append(("Resources", "Role", "Properties", "ManagedPolicyArns"), "arn:b")
    assert changed(unindented, source.full_text) == ([], ["      - arn:b"])


def test_intrinsics_are_written_in_the_short_form_a_yaml_file_uses():
    source = SourceText(YAML)
    source.set(("Resources", "Topic", "Properties", "KmsMasterKeyId"), {"Fn::GetAtt": ["Key", "Arn"]})
    source.set(("Resources", "Topic", "Properties", "TopicName"),
               {"Fn::FindInMap": ["Config", {"Ref": "Environment"}, "Topic"]})
    assert changed(YAML, source.full_text)[1] == [
        "    Properties:", "      KmsMasterKeyId: !GetAtt Key.Arn",
        "      TopicName: !FindInMap [Config, !Ref Environment, Topic]"]


def test_intrinsics_are_written_in_the_long_form_a_yaml_file_uses():
    text = "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName:\n        Ref: Name\n"
    source = SourceText(text)
    source.set(("Resources", "Topic", "Properties", "KmsMasterKeyId"), {"Ref": "Key"})
    assert changed(text, source.full_text)[1] == ["      KmsMasterKeyId:", "        Ref: Key"]


@pytest.mark.parametrize(("value", "written"), [
    ("2012-10-17", "'2012-10-17'"), ("true", "'true'"), ("*", "'*'"), ("", "''"), ("a: b", "'a: b'"),
    ("arn:aws:s3:::logs/*", "arn:aws:s3:::logs/*"), (35, "35"), (False, "false"),
])
def test_scalars_are_quoted_only_when_yaml_would_read_them_otherwise_in_the_file_quote_style(value, written):
    source = SourceText(YAML)
    source.set(("Resources", "Topic", "Properties", "DisplayName"), value)
    assert changed(YAML, source.full_text)[1][-1] == f"      DisplayName: {written}"
    assert source.value(("Resources", "Topic", "Properties", "DisplayName")) == value


def test_a_multi_line_string_becomes_a_literal_block():
    source = SourceText(YAML)
    source.set(("Resources", "Topic", "Properties", "Code"), "import os\n\nprint(os.name)\n")
    assert changed(YAML, source.full_text)[1][-4:] == ["      Code: |", "        import os", "",
                                                       "        print(os.name)"]


def test_a_json_member_is_added_in_the_file_indentation_and_separator_style():
    source = SourceText(JSON)
    source.set(("Resources", "Bucket", "Properties", "VersioningConfiguration"), {"Status": "Enabled"})
    removed, added = changed(JSON, source.full_text)
    assert removed == ['                "Tags" : [ { "Key" : "Team", "Value" : "payments" } ]']
    assert added == ['                "Tags" : [ { "Key" : "Team", "Value" : "payments" } ],',
                     '                "VersioningConfiguration" : {',
                     '                    "Status" : "Enabled"', '                }']


@pytest.mark.parametrize("key", ["Type", "Properties"])
def test_a_json_member_is_removed_with_its_comma(key):
    source = SourceText(JSON)
    source.remove(("Resources", "Bucket", key))
    assert key not in source.value(("Resources", "Bucket"))
    assert set(source.value(("Resources", "Bucket"))) == {"Type", "Properties"} - {key}


def test_windows_line_endings_are_kept_on_new_lines():
    text = YAML.replace("\n", "\r\n")
    source = SourceText(text)
    source.set(("Resources", "Topic", "Properties", "TopicName"), "alarms")
    assert source.full_text.count("\r\n") == text.count("\r\n") + 2 and "\n" not in source.full_text.replace("\r\n", "")


def test_a_byte_order_mark_is_kept():
    source = SourceText("\ufeff" + YAML)
    source.set(("Resources", "Topic", "Properties", "TopicName"), "alarms")
    assert source.full_text.startswith("\ufeffResources:") or source.full_text.startswith("\ufeff# Payment")


def test_a_new_section_goes_before_the_sections_that_follow_it():
    source = SourceText(YAML)
    source.insert((), "Conditions", {"IsProd": {"Fn::Equals": [{"Ref": "Environment"}, "prod"]}},
                  before="Resources", blank_line=True)
    assert source.full_text.startswith("Conditions:\n  IsProd: !Equals [!Ref Environment, prod]\n\n# Payment bucket\n")


def test_an_edit_the_text_cannot_take_is_refused_and_the_text_left_alone():
    source = SourceText(YAML)
    with pytest.raises(PatchError, match="BucketName"):
        source.set(("Resources", "Bucket", "Properties", "BucketName", "Fn::Sub", "Extra"), "x")
    assert source.full_text == YAML


def test_adding_then_removing_a_property_gives_back_the_text_byte_for_byte():
    source = SourceText(JSON)
    source.set(("Resources", "Bucket", "Properties", "ObjectLockEnabled"), True)
    source.remove(("Resources", "Bucket", "Properties", "ObjectLockEnabled"))
    assert source.full_text == JSON
