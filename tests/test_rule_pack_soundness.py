"""The rule pack's own cases keep it honest: unknowns never flip a verdict, and every assertion is pinned."""
from __future__ import annotations

import copy
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.engine.cases import run_case
from checker.engine.results import ERROR, FAIL, NOT_APPLICABLE, PASS
from checker.engine.rules import bundled_rule_dirs, load_rules

RULES = load_rules(bundled_rule_dirs())
CASES = [(rule, case) for rule in RULES for case in rule.cases]
UNKNOWN = {"Ref": "ValueKnownOnlyAtDeployment"}  # declared nowhere: a value of any type, or none
# What a verdict may become once part of its input is unknown: itself, or ERROR; a rule whose `when`
# becomes unknown passes if its assertions hold either way.
ALLOWED = {PASS: {PASS, ERROR}, FAIL: {FAIL, ERROR}, NOT_APPLICABLE: {NOT_APPLICABLE, ERROR, PASS},
           ERROR: {ERROR}}


def leaves(case) -> list[tuple]:
    """Paths of the scalar values a template may compute: resource properties, outputs, template Rules.

    Parameter declarations and Mappings hold no intrinsics; Conditions are left out because an unknown
    condition opens worlds, and a world that fails is a FAIL by design.
    """
    body = _body(case)
    found: list[tuple] = []
    for logical_id, resource in (body.get("Resources") or {}).items():
        if isinstance(resource, dict) and "Properties" in resource:
            _walk(resource["Properties"], ("Resources", logical_id, "Properties"), found)
    for section in ("Outputs", "Rules"):
        if section in body:
            _walk(body[section], (section,), found)
    return found


def _body(case) -> dict:
    return case.template if case.template is not None else {"Resources": {"Subject": case.resource}}


# Names CloudFormation needs literally (what Ref, Fn::GetAtt and a condition refer to) are not values.
_NAMES = ("Ref", "Fn::GetAtt", "Condition")


def _walk(value, path: tuple, found: list) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in _NAMES or (key == "Type" and path[-2:-1] == ("Events",)):  # SAM expands events by Type
                continue
            if key == "Fn::If" and isinstance(item, list):
                for index, branch in enumerate(item[1:], 1):
                    _walk(branch, (*path, key, index), found)
                continue
            _walk(item, (*path, key), found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, (*path, index), found)
    elif value is not None:
        found.append(path)


def with_unknowns(case, paths: list[tuple]):
    body = copy.deepcopy(_body(case))
    for path in paths:
        node = body
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = UNKNOWN
    if case.template is not None:
        return replace(case, template=body)
    return replace(case, template=body, resource=None, subject=case.subject or "Subject")


SINGLE = [pytest.param(rule, case, path, id=f"{rule.id}[{case.name}]@{'.'.join(map(str, path))}")
          for rule, case in CASES for path in leaves(case)]


@pytest.mark.parametrize(("rule", "case", "path"), SINGLE)
def test_an_unknown_leaf_never_turns_a_verdict_into_its_opposite(rule, case, path):
    before = run_case(rule, case).actual
    after = run_case(rule, with_unknowns(case, [path]))
    assert after.actual in ALLOWED[before], f"{before} -> {after.actual}: {after.message}"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_several_unknown_leaves_never_turn_a_verdict_into_its_opposite(data):
    rule, case = data.draw(st.sampled_from([(r, c) for r, c in CASES if len(leaves(c)) >= 2]))
    paths = data.draw(st.lists(st.sampled_from(leaves(case)), min_size=2, max_size=6, unique=True))
    before = run_case(rule, case).actual
    after = run_case(rule, with_unknowns(case, paths))
    assert after.actual in ALLOWED[before], f"{paths}: {before} -> {after.actual}: {after.message}"


def _mutants(rule):
    for number in range(1, len(rule.assertions) + 1):
        yield f"assertion {number}", replace(rule, assertions=rule.assertions[:number - 1] + rule.assertions[number:])
    if rule.when is not None:
        yield "when", replace(rule, when=None)


MUTANTS = [pytest.param(rule, mutant, id=f"{rule.id}-without-{label.replace(' ', '')}")
           for rule in RULES for label, mutant in _mutants(rule) if mutant.assertions]


@pytest.mark.parametrize(("rule", "mutant"), MUTANTS)
def test_deleting_an_assertion_or_when_breaks_one_of_the_rules_cases(rule, mutant):
    assert any(not run_case(mutant, case).ok for case in rule.cases), "no case notices the deletion"


def test_every_rule_with_one_assertion_has_a_case_without_it():
    # A rule of one assertion loses everything when it is deleted: its FAIL cases notice.
    for rule in RULES:
        if len(rule.assertions) == 1:
            assert any(case.expect == FAIL for case in rule.cases), rule.id
