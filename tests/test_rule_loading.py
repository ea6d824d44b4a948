"""A bad rule file is rejected when the pack loads, with an error naming the file and the rule."""
from __future__ import annotations

import copy

import pytest
import yaml

from checker.engine.cases import run_case
from checker.engine.rules import load_rule_file, load_rules
from checker.errors import InputError

RULE = {
    "id": "T-S3-VERSIONING-001",
    "title": "Buckets keep object versions",
    "control": "replication",
    "severity": "high",
    "target": "AWS::S3::Bucket",
    "sources": ["template", "live"],
    "params": {"default": {"status": "Enabled"}},
    "assert": [{"expr": "Properties.VersioningConfiguration.Status == param('status')",
                "message": "versioning must be {status}"}],
    "remediation": "Enable versioning.",
    "references": ["https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html"],
    "tests": [
        {"name": "enabled", "expect": "PASS",
         "resource": {"Type": "AWS::S3::Bucket", "Properties": {"VersioningConfiguration": {"Status": "Enabled"}}}},
        {"name": "missing", "expect": "FAIL", "resource": {"Type": "AWS::S3::Bucket"}},
    ],
}


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Keep any per-user cache of compiled rules out of the real home directory."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def rule_with(**changes) -> dict:
    """RULE with keys replaced; a value of None removes the key."""
    rule = copy.deepcopy(RULE)
    for key, value in changes.items():
        if value is None:
            rule.pop(key)
        else:
            rule[key.rstrip("_")] = value
    return rule


def write_rules(path, *rules: dict):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"rules": list(rules)}, sort_keys=False))
    return path


def rejection(path) -> InputError:
    with pytest.raises(InputError) as caught:
        load_rule_file(path)
    return caught.value


def test_valid_rule_file_loads(tmp_path):
    [rule] = load_rule_file(write_rules(tmp_path / "s3.yaml", RULE))
    assert (rule.id, rule.control, rule.severity, rule.target, rule.sources, rule.file) == (
        "T-S3-VERSIONING-001", "replication", "high", "AWS::S3::Bucket", ("template", "live"),
        str(tmp_path / "s3.yaml"))
    assert [case.name for case in rule.cases] == ["enabled", "missing"]


def test_params_for_an_environment_fall_back_to_default(tmp_path):
    rule_file = write_rules(tmp_path / "s3.yaml", rule_with(params={"default": {"status": "Enabled", "n": 1},
                                                                    "prod": {"n": 35}}))
    [rule] = load_rule_file(rule_file)
    assert (rule.params_for("prod"), rule.params_for("dev")) == ({"status": "Enabled", "n": 35},
                                                                 {"status": "Enabled", "n": 1})


def test_bad_yaml_is_rejected_with_file_and_line(tmp_path):
    path = tmp_path / "s3.yaml"
    path.write_text("rules:\n  - id: T-S3-VERSIONING-001\n    title: [unclosed\n    control: replication\n")
    error = rejection(path)
    assert (error.source, error.line) == (str(path), 4)
    assert error.message.startswith("malformed YAML: ")


@pytest.mark.parametrize(("changes", "message"), [
    ({"title": None}, "missing title"),
    ({"tests": None}, "missing tests"),
    ({"colour": "red"}, "unknown keys colour"),
    ({"control": "backups"}, "unknown control 'backups' (declared: replication, lifecycle, password-policy, "
                             "pitr-backtrack, backup-retention, encryption-at-rest, kms-rotation, snapshot-copy, "
                             "region-mapping, log-encryption-retention, resource-policy)"),
    ({"severity": "urgent"}, "severity must be one of critical, high, medium, low"),
    ({"target": "S3Bucket"}, "target must be a resource type (e.g. AWS::S3::Bucket), 'parameter' or 'template'"),
    ({"target": "AWS::S3::Buckets"}, "target AWS::S3::Buckets is not a CloudFormation resource type"),
    ({"sources": ["cloud"]}, "sources must be a non-empty list of 'template' and/or 'live'"),
    ({"references": ["http://example.com"]}, "references must be a list of https URLs"),
    ({"assert_": []}, "assert and tests must be non-empty lists"),
    ({"assert_": [{"expr": "Properties.A", "msg": "typo"}]}, "each assert needs 'expr' (and may have 'message', "
                                                              "'evidence')"),
    ({"assert_": [{"expr": "nope(Properties.A)"}]}, "unknown function nope() in 'nope(Properties.A)'"),
    ({"when": "shout(Properties.A)"}, "unknown function shout() in 'shout(Properties.A)'"),
    ({"assert_": [{"expr": "schedule_days(Properties.A, `7`)"}]},
     "schedule_days() takes 1 argument(s), not 2 in 'schedule_days(Properties.A, `7`)'"),
    ({"assert_": [{"expr": "length(Properties.A, `7`)"}]}, "length() takes 1 argument(s), not 2 in "
                                                           "'length(Properties.A, `7`)'"),
    ({"assert_": [{"expr": "param(Properties.A)"}]}, "param() needs a literal name in 'param(Properties.A)'"),
    ({"compliance": {"nist": ["AC-1"]}}, "compliance may only list pci_dss and security_hub identifiers"),
])
def test_invalid_rule_is_rejected_naming_file_and_rule(tmp_path, changes, message):
    path = write_rules(tmp_path / "s3.yaml", rule_with(**changes))
    assert str(rejection(path)) == f"{path}: rule T-S3-VERSIONING-001: {message}"


@pytest.mark.parametrize("changes", [
    {"assert_": [{"expr": "Properties.A =="}]},
    {"when": "Properties.["},
    {"assert_": [{"expr": "Properties.A == `1`", "evidence": "Properties.["}]},
], ids=["assert", "when", "evidence"])
def test_invalid_jmespath_is_rejected_naming_file_rule_and_expression(tmp_path, changes):
    path = write_rules(tmp_path / "s3.yaml", rule_with(**changes))
    error = str(rejection(path))
    assert error.startswith(f"{path}: rule T-S3-VERSIONING-001: invalid JMESPath ")


@pytest.mark.parametrize("changes", [
    {"params": {"prod": {"status": "Enabled"}}},                                      # dev would have none
    {"params": {"prod": {"status": "Enabled"}}, "environments": ["prod", "staging"]},  # staging has none
    {"params": {}},
])
def test_param_not_defined_for_every_environment_is_rejected(tmp_path, changes):
    expression = {"expr": "Properties.VersioningConfiguration.Status == param('status')"}
    path = write_rules(tmp_path / "s3.yaml", rule_with(assert_=[expression], **changes))
    assert str(rejection(path)) == (f"{path}: rule T-S3-VERSIONING-001: "
                                    "param('status') is not defined for every environment")


def test_param_defined_for_every_listed_environment_is_accepted(tmp_path):
    path = write_rules(tmp_path / "s3.yaml", rule_with(params={"prod": {"status": "Enabled"}}, environments=["prod"]))
    assert [rule.id for rule in load_rule_file(path)] == ["T-S3-VERSIONING-001"]


def test_message_field_that_is_not_a_param_is_rejected(tmp_path):
    path = write_rules(tmp_path / "s3.yaml", rule_with(assert_=[
        {"expr": "Properties.VersioningConfiguration.Status == param('status')", "message": "must be {wanted}"}]))
    assert str(rejection(path)) == (f"{path}: rule T-S3-VERSIONING-001: "
                                    "message field 'wanted' is not a param of every environment")


def test_a_lone_brace_in_a_message_is_rejected_saying_how_to_write_one(tmp_path):
    path = write_rules(tmp_path / "s3.yaml", rule_with(assert_=[
        {"expr": "Properties.VersioningConfiguration.Status == 'Enabled'", "message": "set {} on the bucket"}]))
    assert str(rejection(path)) == (
        f"{path}: rule T-S3-VERSIONING-001: message 'set {{}} on the bucket' has a brace that is not a param "
        "field (Format string contains positional fields); write a literal brace twice: {{ or }}")


def test_a_rule_without_a_message_shows_its_expression_braces_and_all(tmp_path):
    expr = "Properties.VersioningConfiguration == `{\"Status\": \"Enabled\"}`"
    [rule] = load_rule_file(write_rules(tmp_path / "s3.yaml", rule_with(params=None, assert_=[{"expr": expr}])))
    outcome = run_case(rule, next(case for case in rule.cases if case.name == "missing"))
    assert (outcome.actual, outcome.message) == ("FAIL", f"expected: {expr}")


@pytest.mark.parametrize(("case", "message"), [
    ({"name": "both", "expect": "PASS", "resource": {"Type": "AWS::S3::Bucket"}, "template": {"Resources": {}}},
     "test case 'both': give either a resource or a template"),
    ({"name": "neither", "expect": "PASS"}, "test case 'neither': give either a resource or a template"),
    ({"name": "odd", "expect": "OK", "resource": {"Type": "AWS::S3::Bucket"}},
     "test case 'odd': expect must be PASS, FAIL, NOT_APPLICABLE or ERROR"),
    ({"name": "typo", "expect": "PASS", "resource": {"Type": "AWS::S3::Bucket"}, "paramaters": {}},
     "test case keys must be among decided_by, environment, expect, name, parameters, peers, region, resource, "
     "rule_params, subject, template"),
    ({"name": "unknown param", "expect": "PASS", "resource": {"Type": "AWS::S3::Bucket"},
      "rule_params": {"replicate_to": ["staging"]}},
     "test case 'unknown param': rule_params sets replicate_to, which the rule does not declare"),
    ({"name": "not a mapping", "expect": "PASS", "resource": {"Type": "AWS::S3::Bucket"}, "rule_params": ["x"]},
     "test case 'not a mapping': rule_params maps param names to values, as an environment's rule_params"),
    ({"name": "pinned pass", "expect": "PASS", "resource": {"Type": "AWS::S3::Bucket"}, "decided_by": [1]},
     "test case 'pinned pass': decided_by lists the numbers of the assertions (from 1; 0 for when) that decide a "
     "FAIL or ERROR"),
    ({"name": "pinned", "expect": "FAIL", "resource": {"Type": "AWS::S3::Bucket"}, "decided_by": ["first"]},
     "test case 'pinned': decided_by lists the numbers of the assertions (from 1; 0 for when) that decide a "
     "FAIL or ERROR"),
])
def test_invalid_test_case_is_rejected_naming_file_and_rule(tmp_path, case, message):
    path = write_rules(tmp_path / "s3.yaml", rule_with(tests=[case]))
    assert str(rejection(path)) == f"{path}: rule T-S3-VERSIONING-001: {message}"


def test_a_fail_case_of_a_rule_with_several_assertions_must_pin_the_ones_deciding_it(tmp_path):
    two = [{"expr": "Properties.VersioningConfiguration.Status == 'Enabled'"},
           {"expr": "Properties.BucketName != `null`"}]
    case = {"name": "unpinned", "expect": "FAIL", "resource": {"Type": "AWS::S3::Bucket"}}
    path = write_rules(tmp_path / "s3.yaml", rule_with(assert_=two, tests=[case]))
    assert str(rejection(path)) == (f"{path}: rule T-S3-VERSIONING-001: test case 'unpinned': a FAIL case of a rule "
                                    "with several assertions pins the ones that decide it with decided_by")


def test_rule_id_in_the_wrong_form_is_rejected_naming_it(tmp_path):
    path = write_rules(tmp_path / "s3.yaml", rule_with(id="s3-versioning"))
    assert str(rejection(path)) == (f"{path}: rule s3-versioning: "
                                    "id must be upper-case words joined by dashes, e.g. PAY-S3-REPL-001")


@pytest.mark.parametrize("text", ["rules: {}\n", "- id: T-A-001\n", "", "rules: []\nextra: 1\n"])
def test_file_that_is_not_a_list_of_rules_is_rejected(tmp_path, text):
    path = tmp_path / "s3.yaml"
    path.write_text(text)
    assert str(rejection(path)) == (f"{path}: a rule file holds 'rules' (a list of rules), 'controls' (a list "
                                    "of controls) and/or 'case_environments' (the environments of its test cases)")


def test_cases_render_in_the_environments_the_rule_file_declares(tmp_path):
    path = tmp_path / "s3.yaml"
    path.write_text(yaml.safe_dump({"case_environments": {"qa": "eu-west-1", "live": "eu-central-1"},
                                    "rules": [rule_with()]}, sort_keys=False))
    [rule] = load_rule_file(path)
    assert {(case.environment, case.region) for case in rule.cases} == {("qa", "eu-west-1")}
    assert rule.cases[0].regions == {"qa": "eu-west-1", "live": "eu-central-1"}


def test_a_case_environment_in_no_region_is_rejected(tmp_path):
    path = tmp_path / "s3.yaml"
    path.write_text(yaml.safe_dump({"case_environments": {"qa": "eu-west-9"}, "rules": [rule_with()]}))
    assert str(rejection(path)).startswith(f"{path}: case_environments: qa: ")


def test_when_that_is_not_a_string_is_rejected(tmp_path):
    path = write_rules(tmp_path / "s3.yaml", rule_with(when=5))
    assert str(rejection(path)) == f"{path}: rule T-S3-VERSIONING-001: when must be text"


def test_title_that_is_a_mapping_is_rejected(tmp_path):
    path = write_rules(tmp_path / "s3.yaml", rule_with(title={"a": 1}))
    assert str(rejection(path)) == f"{path}: rule T-S3-VERSIONING-001: title must be text"


def test_assert_expression_that_is_null_is_rejected(tmp_path):
    path = write_rules(tmp_path / "s3.yaml", rule_with(**{"assert": [{"expr": None}]}))
    assert str(rejection(path)) == f"{path}: rule T-S3-VERSIONING-001: expr, message and evidence must be text"


# --- the pack -------------------------------------------------------------------------------------------

def test_rules_of_several_directories_are_loaded_together(tmp_path):
    write_rules(tmp_path / "a" / "s3.yaml", RULE)
    write_rules(tmp_path / "b" / "more.yaml", rule_with(id="T-S3-VERSIONING-002"))
    rules = load_rules([tmp_path / "a", tmp_path / "b"])
    assert [rule.id for rule in rules] == ["T-S3-VERSIONING-001", "T-S3-VERSIONING-002"]


def test_duplicate_rule_id_across_files_is_rejected_naming_both_files(tmp_path):
    first = write_rules(tmp_path / "rules" / "a.yaml", RULE)
    second = write_rules(tmp_path / "rules" / "b.yaml", rule_with(title="Another"))
    with pytest.raises(InputError) as caught:
        load_rules([tmp_path / "rules"])
    assert str(caught.value) == f"{second}: rule T-S3-VERSIONING-001: id already defined in {first}"


def test_empty_rules_directory_is_an_input_error(tmp_path):
    (tmp_path / "rules").mkdir()
    with pytest.raises(InputError) as caught:
        load_rules([tmp_path / "rules"])
    assert caught.value.message == "no rules found; nothing would be checked"


def test_rules_directory_whose_files_hold_no_rules_is_an_input_error(tmp_path):
    write_rules(tmp_path / "rules" / "empty.yaml")
    with pytest.raises(InputError) as caught:
        load_rules([tmp_path / "rules"])
    assert caught.value.message == "no rules found; nothing would be checked"


def test_missing_rules_directory_is_an_input_error(tmp_path):
    with pytest.raises(InputError) as caught:
        load_rules([tmp_path / "absent"])
    assert (caught.value.source, caught.value.message) == (str(tmp_path / "absent"), "rule directory does not exist")


def test_bad_rule_file_in_a_directory_rejects_the_pack(tmp_path):
    write_rules(tmp_path / "rules" / "a.yaml", RULE)
    bad = write_rules(tmp_path / "rules" / "b.yaml", rule_with(id="T-S3-VERSIONING-002", severity="urgent"))
    with pytest.raises(InputError) as caught:
        load_rules([tmp_path / "rules"])
    assert str(caught.value) == (f"{bad}: rule T-S3-VERSIONING-002: "
                                 "severity must be one of critical, high, medium, low")


def test_bare_null_in_an_expression_is_rejected_as_a_field_name(tmp_path):
    path = write_rules(tmp_path / "s3.yaml", rule_with(when="Properties.VersioningConfiguration != null"))
    assert str(rejection(path)) == (f"{path}: rule T-S3-VERSIONING-001: 'Properties.VersioningConfiguration != null' "
                                    "reads a field named null; write the literal as `null`")


def test_a_rule_file_added_to_the_pack_can_declare_its_own_control(tmp_path):
    from checker.engine.rules import bundled_rule_dirs, controls_of

    rule = rule_with(control="data-residency")
    (tmp_path / "extra.yaml").write_text(yaml.safe_dump({
        "controls": [{"id": "data-residency", "title": "Data stays in the EU", "description": "Buckets stay home."}],
        "rules": [rule]}))
    rules = load_rules(bundled_rule_dirs() + [tmp_path])
    assert controls_of(rules)[-1].title == "Data stays in the EU"
    assert next(r for r in rules if r.id == RULE["id"]).metadata()["control_title"] == "Data stays in the EU"


def test_a_control_declared_twice_is_rejected(tmp_path):
    from checker.engine.rules import bundled_rule_dirs

    (tmp_path / "extra.yaml").write_text(yaml.safe_dump({"controls": [
        {"id": "replication", "title": "Again", "description": "Declared by the pack already."}]}))
    with pytest.raises(InputError, match="control replication: already declared"):
        load_rules(bundled_rule_dirs() + [tmp_path])


@pytest.mark.parametrize("control", [{"id": "x"}, {"id": "Bad Id", "title": "t", "description": "d"},
                                     {"id": "x", "title": "", "description": "d"}])
def test_a_control_without_an_id_title_and_description_is_rejected(tmp_path, control):
    (tmp_path / "extra.yaml").write_text(yaml.safe_dump({"controls": [control], "rules": [RULE]}))
    with pytest.raises(InputError, match="control"):
        load_rules([tmp_path])
