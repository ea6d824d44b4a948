"""Check a patched template before its fix is offered: every rule again, in every environment.

The fixed rule must no longer fail where it failed, nothing that did not fail may now fail (or become
an error), and the patch must not refer to anything the template does not declare.
"""
from __future__ import annotations

from typing import Any

from checker.engine.evaluate import evaluate, shared_verdicts
from checker.engine.results import ERROR, FAIL, Result
from checker.engine.rules import Rule
from checker.fix.facts import Facts, learn
from checker.patch import SourceText
from checker.template.environment import Environment
from checker.template.forms import get_att_parts, sub_form, sub_variables
from checker.template.pseudo import PSEUDO_PARAMETERS

Key = tuple[str, str, "str | None"]  # rule id, environment, resource
_BROKEN = (FAIL, ERROR)

def assess(source: SourceText, rules: list[Rule], environments: list[Environment],
           examples: dict[str, Any]) -> tuple[Facts, dict[Key, Result]]:
    """The template's facts and every template result, keyed by rule, environment and resource; a resource the
    same in several environments is judged once by each rule that reads only it."""
    facts = learn(source, environments, examples)
    results: dict[Key, Result] = {}
    verdicts = shared_verdicts(environments)
    for env in environments:
        for result in evaluate(rules, facts.documents[env.name], env.name, "template",
                               peers=facts.documents.get, verdicts=verdicts):
            results[(result.rule_id, result.environment, result.resource)] = result
    return facts, results


def problems(before: dict[Key, Result], after: dict[Key, Result], rule_id: str, resource: str | None,
             failing: frozenset[str]) -> list[str]:
    found = []
    for env in sorted(failing):
        result = after.get((rule_id, env, resource))
        if result is not None and result.status in _BROKEN:
            found.append(f"{rule_id} would still be {result.status} in {env}: {result.message}")
    for key, result in after.items():
        earlier = before.get(key)
        if result.status in _BROKEN and (earlier is None or earlier.status not in _BROKEN):
            found.append(f"{result.rule_id} would become {result.status} for {result.resource or 'the template'} "
                         f"in {result.environment}: {result.message}")
    return found


def dangling(body: dict) -> set[str]:
    """References to names the template does not declare (parameters, resources, conditions)."""
    names = set(body.get("Parameters") or {}) | set(body.get("Resources") or {}) | PSEUDO_PARAMETERS
    conditions = set(body.get("Conditions") or {})
    found: set[str] = set()
    for section in ("Resources", "Outputs", "Conditions", "Rules"):
        _walk(body.get(section) or {}, names, conditions, found)
    for resource in (body.get("Resources") or {}).values():
        if isinstance(resource, dict) and isinstance(resource.get("Condition"), str) \
                and resource["Condition"] not in conditions:
            found.add(f"condition {resource['Condition']}")
    return found


def _walk(value: Any, names: set[str], conditions: set[str], found: set[str]) -> None:
    if isinstance(value, list):
        for item in value:
            _walk(item, names, conditions, found)
        return
    if not isinstance(value, dict):
        return
    if len(value) == 1:
        (name, argument), = value.items()
        if name == "Ref" and isinstance(argument, str) and argument not in names:
            found.add(argument)
        elif name == "Fn::GetAtt":
            target = str(get_att_parts(argument)[0]) if argument else ""
            if target not in names:
                found.add(target)
        elif name == "Fn::Sub":
            text, variables = sub_form(argument)
            if isinstance(text, str):
                found |= {v.split(".")[0] for v in sub_variables(text)
                          if v not in variables and v not in names and v.split(".")[0] not in names}
        elif name == "Fn::If" and isinstance(argument, list) and argument and isinstance(argument[0], str) \
                and argument[0] not in conditions:
            found.add(f"condition {argument[0]}")
        elif name == "Condition" and isinstance(argument, str) and argument not in conditions:
            found.add(f"condition {argument}")
    for item in value.values():
        _walk(item, names, conditions, found)
