"""A rule's fix block is checked when the pack loads: a bad one is refused naming the file and the rule."""
from __future__ import annotations

import pytest

from checker.engine.fix_spec import FORMS, VERBS, FixSpecError, parse_path
from checker.engine.rules import load_rule_file
from tests.conftest import ROOT
from tests.test_rule_loading import private_cache, rejection, rule_with, write_rules  # noqa: F401 - fixture

GOOD = {"steps": [{"set": "Properties.VersioningConfiguration.Status", "value": {"$param": "status"}}]}


def test_a_fix_block_loads_with_its_steps(tmp_path):
    [rule] = load_rule_file(write_rules(tmp_path / "r.yaml", rule_with(fix=GOOD)))
    assert rule.fix is not None and rule.fix.offered
    assert [(s.verb, s.target) for s in rule.fix.steps] == [("set", ("Properties", "VersioningConfiguration",
                                                                      "Status"))]


def test_a_rule_without_a_safe_fix_says_why(tmp_path):
    [rule] = load_rule_file(write_rules(tmp_path / "r.yaml", rule_with(fix={"none": "  a decision\n for owners "})))
    assert rule.fix is not None and (rule.fix.offered, rule.fix.none) == (False, "a decision for owners")


@pytest.mark.parametrize(("fix", "message"), [
    ("set it", "fix must be a mapping"),
    ({"none": "x", "steps": []}, "fix: none takes only the reason"),
    ({"steps": []}, "fix needs steps"),
    ({"steps": [{"set": "Properties.A"}]}, "set needs a value"),
    ({"steps": [{"set": "Properties.A", "remove": "Properties.B", "value": 1}]}, "exactly one of"),
    ({"steps": [{"change": "Properties.A", "value": 1}]}, "exactly one of"),
    ({"steps": [{"set": "Properties..A", "value": 1}]}, "malformed path"),
    ({"steps": [{"set": "Properties.A", "value": {"$param": "size"}}]}, "$param 'size' is not a param"),
    ({"steps": [{"set": "Properties.A", "value": {"$secret": "x"}}]}, "unknown value form"),
    ({"steps": [{"set": "Properties.A", "value": {"$item": "x"}}]}, "$item is only meaningful"),
    ({"when": "Properties.A == `1`", "steps": GOOD["steps"]}, "needs 'otherwise'"),
    ({"steps": [{"in_items": "Properties.Rules", "steps": GOOD["steps"]}]}, "in_items needs match"),
    ({"steps": [{"in_item": "Properties.Rules", "match": "`true`", "steps": GOOD["steps"]}]}, "in_item needs new"),
    ({"steps": [{"set": "Properties.A", "value": 1, "when": "Properties.[ == "}]}, "invalid JMESPath"),
    ({"steps": [{"set": "Properties.A", "value": 1, "when": "param('size') == `1`"}]}, "param('size')"),
    ({"steps": GOOD["steps"], "colour": "red"}, "unknown keys colour"),
])
def test_a_bad_fix_block_is_refused_naming_the_rule(tmp_path, fix, message):
    path = write_rules(tmp_path / "r.yaml", rule_with(fix=fix))
    error = rejection(path)
    assert str(error).startswith(f"{path}: rule T-S3-VERSIONING-001: ") and message in str(error)


@pytest.mark.parametrize(("text", "steps"), [
    ("Properties.A", ("Properties", "A")),
    ("Properties.Rules[0].Destination", ("Properties", "Rules", 0, "Destination")),
    ("MinLength", ("MinLength",)),
])
def test_paths_read_keys_and_list_positions(text, steps):
    assert parse_path(text) == steps


@pytest.mark.parametrize("text", ["", ".A", "A.", "A[x]", "A[0]B"])
def test_malformed_paths_are_refused(text):
    with pytest.raises(FixSpecError):
        parse_path(text)


def test_every_step_and_value_form_is_documented_for_rule_authors():
    guide = (ROOT / "docs" / "rules.md").read_text()
    fixes = guide[guide.index("## Fixes"):]
    assert [verb for verb in VERBS if f"`{verb}:" not in fixes] == []
    assert [form for form in FORMS if f"{{{form}:" not in fixes] == []
