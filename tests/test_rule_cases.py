"""Every rule's own test cases, each its own test id, plus meta-checks over the rule pack."""
from __future__ import annotations

import re

import pytest

from checker.engine.cases import coverage_problems, run_case
from checker.engine.rules import (
    PARAMETER_TARGET,
    TEMPLATE_TARGET,
    bundled_controls,
    bundled_rule_dirs,
    known_resource_types,
    load_rules,
)

RULES = load_rules(bundled_rule_dirs())
CASES = [pytest.param(rule, case, id=f"{rule.id}[{case.name}]") for rule in RULES for case in rule.cases]


@pytest.mark.parametrize(("rule", "case"), CASES)
def test_rule_case(rule, case):
    outcome = run_case(rule, case)
    assert outcome.ok, outcome.describe()


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_has_a_passing_and_a_failing_case(rule):
    assert coverage_problems(rule) == []


WHOLE_DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:[^{}]+\}\}")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_messages_show_braces_only_in_whole_dynamic_references(rule):
    """Messages are filled with str.format_map, which reads a doubled brace as one: CloudFormation's
    {{resolve:...}} is written {{{{resolve:...}}}}. Filled in every environment, no message shows a brace
    outside a dynamic reference written whole (a half-written {resolve:...} included)."""
    environments = {"prod", "staging", "dev", *rule.params}
    shown = {a.message.format_map(rule.params_for(env)) for env in environments for a in rule.assertions}
    assert [text for text in shown if set("{}") & set(WHOLE_DYNAMIC_REFERENCE.sub("", text))] == []


def test_every_declared_control_has_a_rule():
    assert {rule.control for rule in RULES} == set(bundled_controls())


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_targets_a_real_resource_type(rule):
    assert rule.target in (TEMPLATE_TARGET, PARAMETER_TARGET) or rule.target in known_resource_types()


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_cites_aws_documentation_and_explains_itself(rule):
    assert any(ref.startswith("https://docs.aws.amazon.com/") for ref in rule.references)
    assert rule.rationale and rule.remediation


def test_every_custom_function_is_documented_for_rule_authors():
    from checker.engine.expressions import CUSTOM_FUNCTIONS
    from tests.conftest import ROOT

    documented = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert CUSTOM_FUNCTIONS and [f for f in CUSTOM_FUNCTIONS if f"`{f}(" not in documented] == []
