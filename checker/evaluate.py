"""Evaluate rules on a document: a pure function of (rules, document, environment, source)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from checker.expressions import Context, EvaluationError
from checker.functions import unresolved_part
from checker.mask import mask
from checker.results import ERROR, FAIL, NOT_APPLICABLE, PASS, Result
from checker.rules import PARAMETER_TARGET, PARAMETER_TYPE, TEMPLATE_TARGET, Rule

LineOf = Callable[..., "int | None"]


def evaluate(rules: list[Rule], document: dict, environment: str, source: str,
             file: str | None = None, line_of: LineOf | None = None) -> list[Result]:
    """One result per rule and target resource (or one per rule for whole-template rules)."""
    resource_ids = set(document.get("Resources") or {})
    results = []
    for rule in rules:
        if source not in rule.sources:
            continue
        context = Context(document, rule.params_for(environment))
        targets = _targets(rule, document)
        if not targets:
            results.append(Result(rule.id, rule.control, rule.severity, NOT_APPLICABLE, environment, source, None,
                                  rule.target, file, None, f"no {rule.target} in this {source}", None))
        for target in targets:
            status, message, evidence, path = _judge(rule, target.subject, context, environment, resource_ids)
            path = target.path + path
            line = line_of(*path) if line_of and path else None
            results.append(Result(rule.id, rule.control, rule.severity, status, environment, source, target.name,
                                  target.kind, file, line, message, evidence))
    return results


@dataclass(frozen=True)
class _Target:
    name: str | None   # logical id or parameter name; None for the whole document
    kind: str | None   # resource type, PARAMETER_TYPE, or None
    subject: dict      # what the rule's expressions see
    path: list         # where the subject sits in the template


def _targets(rule: Rule, document: dict) -> list[_Target]:
    if rule.target == TEMPLATE_TARGET:
        return [_Target(None, None, document, [])]
    if rule.target == PARAMETER_TARGET:
        return [_Target(name, PARAMETER_TYPE, {**spec, "Name": name}, ["Parameters", name])
                for name, spec in (document.get("Parameters") or {}).items() if isinstance(spec, dict)]
    return [_Target(logical_id, resource["Type"], resource, ["Resources", logical_id])
            for logical_id, resource in (document.get("Resources") or {}).items()
            if resource.get("Type") == rule.target]


def _holds(value: Any) -> bool:
    """JMESPath truth: false, null and empty strings, lists and objects are false."""
    return value is not None and value is not False and value != "" and value != [] and value != {}


def _judge(rule: Rule, subject: dict, context: Context, environment: str,
           resource_ids: set[str]) -> tuple[str, str, Any, list]:
    """(status, message, evidence, path of the deciding property) for one target."""
    if not rule.applies_in(environment):
        return NOT_APPLICABLE, f"applies only in {', '.join(rule.environments or ())}", None, []
    if rule.when is not None:
        try:
            selected = rule.when.search(subject, context)
            unresolved = unresolved_part(rule.when.evidence(subject, context), resource_ids)
        except EvaluationError as exc:
            return ERROR, f"'when' could not be evaluated: {exc}", None, []
        if unresolved:
            return ERROR, f"cannot decide whether the rule applies: {unresolved}", None, rule.when.field_path()
        if not _holds(selected):
            return NOT_APPLICABLE, f"not selected by: {rule.when.text}", None, []
    params = rule.params_for(environment)
    failures: list[str] = []
    errors: list[str] = []
    passed: dict[str, Any] = {}
    decisive: dict[str, Any] = {}
    paths: list[list[str]] = []
    for assertion in rule.assertions:
        expression = assertion.expression
        try:
            holds = _holds(expression.search(subject, context))
            seen = expression.evidence(subject, context)
        except EvaluationError as exc:
            errors.append(f"could not evaluate {expression.text!r}: {exc}")
            continue
        label = ".".join(expression.field_path()) or expression.text
        unresolved = unresolved_part(seen, resource_ids)
        if unresolved:
            errors.append(f"cannot decide: {unresolved} ({label})")
        elif holds:
            passed[label] = mask(seen)
            continue
        else:
            failures.append(assertion.message.format_map(params))
        decisive[label] = mask(seen)
        paths.append(expression.field_path())
    path = paths[0] if paths else []
    if errors:
        return ERROR, "; ".join(errors + failures), decisive, path
    if failures:
        return FAIL, "; ".join(failures), decisive, path
    return PASS, rule.title, passed, []
