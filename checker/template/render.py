"""Render a template for one environment into the document that rules evaluate."""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from checker.errors import InputError
from checker.template.conditions import truth
from checker.template.document_types import (
    Deployment,
    Document,
    ParameterSpec,
    ParameterUse,
    RenderedRule,
    Resource,
    TemplateBody,
)
from checker.template.environment import Environment
from checker.template.forms import sub_form, sub_variables
from checker.template.intrinsics import Scope, resolve
from checker.template.load import Template
from checker.template.names import NAME_PROPERTIES, fixed_arn, fixed_name
from checker.template.partitions import partition_of
from checker.template.pseudo import pseudo_parameters
from checker.template.regions import commercial_regions
from checker.template.values import NO_VALUE, Maybe, Unknown, display
from checker.template.worlds import ConditionSpace


def parameter_values(template: Template, env: Environment) -> dict[str, Any]:
    """Declared parameters with their value in `env` (given, else default), checked against their constraints."""
    declared = template.body.get("Parameters") or {}
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        spec = spec if isinstance(spec, dict) else {}
        if name in env.parameters:
            value = env.parameters[name]
            if isinstance(value, Unknown):
                values[name] = value
                continue
            _check_allowed(template, name, spec, value, env)
        elif "Default" in spec:
            value = spec["Default"]
        else:
            continue
        values[name] = _typed(spec, value)
    return values


def _check_allowed(template: Template, name: str, spec: ParameterSpec, value: Any, env: Environment) -> None:
    """CloudFormation refuses a parameter value outside its declared constraints: so does the render."""
    problem = parameter_violation(spec, value)
    if problem:
        shown = " (a NoEcho value)" if _no_echo(spec) else f"={value!r}"
        raise InputError(template.path, f"environment {env.name!r}: parameter {name}{shown} {problem}",
                         template.line_of("Parameters", name))


def parameter_violation(spec: ParameterSpec, value: Any) -> str | None:
    """Which declared constraint (AllowedValues, AllowedPattern, Min/MaxLength, Min/MaxValue) `value` breaks."""
    text = str(value)
    allowed = spec.get("AllowedValues")
    if isinstance(allowed, list) and text not in [str(v) for v in allowed]:
        return f"is not one of its AllowedValues {allowed}"
    kind = str(spec.get("Type", "String"))
    if kind == "String":
        pattern = spec.get("AllowedPattern")
        try:
            compiled = re.compile(pattern) if isinstance(pattern, str) else None
        except re.error:
            compiled = None  # a pattern only Java's regular expressions read: CloudFormation decides
        if compiled is not None and not compiled.fullmatch(text):
            return f"does not match its AllowedPattern {pattern}"
        return _out_of_bounds(spec, len(text), "MinLength", "MaxLength", "characters")
    if kind == "Number":
        try:
            return _out_of_bounds(spec, float(text), "MinValue", "MaxValue", "")
        except ValueError:
            return "is not a number"
    return None


def _out_of_bounds(spec: ParameterSpec, measure: float, low: str, high: str, unit: str) -> str | None:
    beyond: tuple[tuple[str, Callable[[float], bool]], ...] = (
        (low, lambda limit: measure < limit), (high, lambda limit: measure > limit))
    for bound, too_far in beyond:
        try:
            limit = float(spec[bound])
        except (KeyError, TypeError, ValueError):
            continue
        if too_far(limit):
            return f"is outside its {bound} {spec[bound]}{' ' + unit if unit else ''}"
    return None


def _typed(spec: ParameterSpec, value: Any) -> Any:
    kind = str(spec.get("Type", "String"))
    if kind == "Number" and isinstance(value, str):
        try:
            return int(value) if value.strip().lstrip("-").isdigit() else float(value)
        except ValueError:
            return value
    if (kind.startswith("List<") or kind == "CommaDelimitedList") and isinstance(value, str):
        return [item.strip() for item in value.split(",")]
    return value


def render(template: Template, env: Environment) -> Document:
    """The template as deployed in `env`: intrinsics resolved, absent resources removed.

    Rules see real parameter values, NoEcho ones included; `Deployment.SecretParameters` names the NoEcho
    parameters, whose values every output masks. A template renders each environment once (the scan, the
    rules that compare environments, a live scan's discovery and drift share the document), so the
    document is read, never changed.
    """
    key = (env.name, env.region, env.account_id, env.stack_name, repr(sorted(env.parameters.items())),
           repr(sorted(env.rule_params.items())))
    document = template.renders.get(key)
    if document is None:
        document = template.renders[key] = _render(template, env)
    return document


def _render(template: Template, env: Environment) -> Document:
    body = template.body
    resources = body["Resources"]
    mappings, conditions = body.get("Mappings") or {}, body.get("Conditions") or {}
    declared = body.get("Parameters") or {}
    parameters = parameter_values(template, env)
    known = {**parameters, **pseudo_parameters(env.region, env.account_id, env.stack_name)}
    scope = Scope(known, mappings, conditions, set(resources),
                  env.region, declared)
    _fix_names(resources, scope, env.region)

    rendered_resources: dict[str, Resource] = {}
    for logical_id, resource in resources.items():
        if "Condition" in resource and scope.condition(resource["Condition"]) is False:
            continue
        rendered: Resource = {"Type": resource["Type"], "LogicalId": logical_id}
        for key, value in resource.items():
            if key != "Type":
                item = resolve(value, scope)
                if item is not NO_VALUE:
                    rendered[key] = item
        rendered_resources[logical_id] = rendered

    document = Document({key: body[key] for key in ("AWSTemplateFormatVersion", "Description", "Transform")
                         if key in body})
    document["Parameters"] = _declarations(declared, resources, body)
    document["Resources"] = rendered_resources
    document["Outputs"] = _render_outputs(body.get("Outputs") or {}, scope)
    document["Rules"] = render_rules(body.get("Rules") or {}, scope)
    deployment: Deployment = {
        "Environment": env.name,
        "Region": resolve({"Ref": "AWS::Region"}, scope),
        "AccountId": resolve({"Ref": "AWS::AccountId"}, scope),
        "Parameters": {name: resolve({"Ref": name}, scope) for name in declared},
        "SecretParameters": [name for name, spec in declared.items() if isinstance(spec, dict) and _no_echo(spec)],
        "Conditions": {name: _condition_state(scope, name) for name in conditions},
        "RuleParams": dict(env.rule_params),
        "RegionsAllowedByTemplateRules": regions_allowed(template, env, parameters),
    }
    document["Deployment"] = deployment
    if any(isinstance(state, Unknown) for state in deployment["Conditions"].values()):
        document.space = ConditionSpace(conditions, scope)
    return document


def _fix_names(resources: dict[str, Resource], scope: Scope, region: str | None) -> None:
    """Record the names (and ARNs) the template fixes, so references to those resources carry them."""
    partition = partition_of(region) if region else None
    for logical_id, resource in resources.items():
        prop = NAME_PROPERTIES.get(str(resource.get("Type")))
        properties = resource.get("Properties")
        if not prop or not isinstance(properties, dict) or prop not in properties:
            continue
        named = {"Type": resource["Type"], "Properties": {prop: resolve(properties[prop], scope)}}
        name, arn = fixed_name(named), fixed_arn(named, partition)
        if name:
            scope.names[(logical_id, None)] = name
        if arn:
            scope.names[(logical_id, "Arn")] = arn


def _condition_state(scope: Scope, name: str) -> bool | Unknown:
    decided = scope.condition(name)
    return decided if isinstance(decided, bool) else Unknown([scope.condition_origin(name)], "boolean")


def _render_outputs(outputs: dict[str, Any], scope: Scope) -> dict[str, Any]:
    rendered = {}
    for name, output in outputs.items():
        if isinstance(output, dict) and "Condition" in output and scope.condition(output["Condition"]) is False:
            continue
        rendered[name] = resolve(output, scope)
    return rendered


# id(body) -> (body, declarations): the same in every environment
_USAGE: dict[int, tuple[TemplateBody, dict[str, Any]]] = {}


def _declarations(parameters: dict[str, Any], resources: dict[str, Resource], body: TemplateBody) -> dict[str, Any]:
    """Parameter declarations as written, each with `UsedBy` (the resource properties that reference it)."""
    cached = _USAGE.get(id(body))
    if cached is not None and cached[0] is body:
        return cached[1]
    usage: dict[str, list[ParameterUse]] = {name: [] for name in parameters}
    for logical_id, resource in resources.items():
        for key, value in (resource.get("Properties") or {}).items():
            found: dict[str, bool] = {}
            _parameter_uses(value, usage, False, found)
            for name in sorted(found):
                use: ParameterUse = {"Resource": logical_id, "Type": resource["Type"], "Property": key}
                usage[name].append({**use, "InDynamicReference": True} if found[name] else use)
    declarations = {name: {**spec, "UsedBy": usage[name]} if isinstance(spec, dict) else spec
                    for name, spec in parameters.items()}
    _USAGE.clear()  # one template at a time: its environments render one after the other
    _USAGE[id(body)] = (body, declarations)
    return declarations


def referenced_parameters(value: Any, names: Any) -> set[str]:
    """Names among `names` that `value` references through Ref or a Fn::Sub variable."""
    found: dict[str, bool] = {}
    _parameter_uses(value, names, False, found)
    return set(found)


def _parameter_uses(value: Any, names: Any, inside: bool, found: dict[str, bool]) -> None:
    """Record in `found` each parameter `value` references, and whether every use is inside a dynamic
    reference the value builds (e.g. the secret's ARN in !Sub '{{resolve:secretsmanager:${Arn}::password}}')."""
    if isinstance(value, list):
        for item in value:
            _parameter_uses(item, names, inside, found)
        return
    if not isinstance(value, dict):
        return
    text, _ = sub_form(value.get("Fn::Sub"))
    joined = value.get("Fn::Join")
    inside = inside or (isinstance(text, str) and "{{resolve:" in text) or (
        isinstance(joined, list) and any(isinstance(p, str) and "{{resolve:" in p
                                         for p in (joined[1] if len(joined) == 2 and isinstance(joined[1], list)
                                                   else [])))
    referenced = [value["Ref"]] if isinstance(value.get("Ref"), str) else []
    referenced += sub_variables(text) if isinstance(text, str) else []
    for name in referenced:
        if name in names:
            found[name] = found.get(name, True) and inside
    for item in value.values():
        _parameter_uses(item, names, inside, found)


def _no_echo(spec: ParameterSpec) -> bool:
    return str(spec.get("NoEcho", "")).lower() == "true"


def render_rules(rules: dict[str, Any], scope: Scope) -> dict[str, RenderedRule]:
    """The Rules section with each condition and assertion resolved."""
    rendered = {}
    for name, rule in rules.items():
        if not isinstance(rule, dict):
            continue
        assertions = rule["Assertions"] if isinstance(rule.get("Assertions"), list) else []
        entry: RenderedRule = {"Assertions": [
            {**a, "Assert": resolve(a.get("Assert"), scope)} if isinstance(a, dict) else a for a in assertions
        ]}
        if "RuleCondition" in rule:
            entry["RuleCondition"] = resolve(rule["RuleCondition"], scope)
        rendered[name] = entry
    return rendered


def rules_accept(rendered_rules: dict[str, RenderedRule]) -> bool | Unknown:
    """Whether a rendered Rules section lets the deployment proceed (an Unknown: cannot tell, and why)."""
    verdicts: list[bool | Unknown] = []
    for rule in rendered_rules.values():
        applies = truth(rule["RuleCondition"]) if "RuleCondition" in rule else True
        if applies is False:
            continue
        for assertion in rule["Assertions"]:
            holds = truth(assertion.get("Assert")) if isinstance(assertion, dict) else truth(assertion)
            if holds is False and applies is True:
                return False
            if holds is not True:
                verdicts.append(holds if isinstance(holds, Unknown) else applies)
    undecided = [v for v in verdicts if isinstance(v, Unknown)]
    return Unknown(frozenset().union(*(u.origins for u in undecided)), "boolean") if undecided else True


def regions_allowed(template: Template, env: Environment, values: dict[str, Any]) -> list[str | Maybe]:
    """Regions in which the template's own Rules section accepts this environment's parameter `values`.

    Only assertions whose outcome depends on the Region are judged: an account pin or a check of the
    parameters' resources says nothing about Regions. A region whose acceptance rests on something
    unknown is listed as `Maybe`.
    """
    body = template.body
    rules = body.get("Rules") or {}
    if not rules:
        return list(commercial_regions())
    by_region = {}
    for region in commercial_regions():  # where a template's own Rules section is tried
        known = {**values, **pseudo_parameters(region, env.account_id, env.stack_name)}
        scope = Scope(known, body.get("Mappings") or {}, body.get("Conditions") or {}, set(body["Resources"]), region,
                      body.get("Parameters"))
        by_region[region] = render_rules(rules, scope)
    about_region = _region_dependent(by_region)
    allowed: list[str | Maybe] = []
    for region, rendered in by_region.items():
        judged: dict[str, RenderedRule] = {
            name: {**rule, "Assertions": [a for index, a in enumerate(rule["Assertions"])
                                          if (name, index) in about_region]}
            for name, rule in rendered.items()}
        accepted = rules_accept(judged)
        if accepted is True:
            allowed.append(region)
        elif isinstance(accepted, Unknown):
            allowed.append(Maybe(region, accepted.origins))
    return allowed


def _region_dependent(by_region: dict[str, dict[str, RenderedRule]]) -> set[tuple[str, int]]:
    """(rule name, assertion index) of the assertions whose rendered outcome differs between Regions."""
    outcomes: dict[tuple[str, int], set[str]] = {}
    for rendered in by_region.values():
        for name, rule in rendered.items():
            for index, assertion in enumerate(rule["Assertions"]):
                shown = assertion.get("Assert") if isinstance(assertion, dict) else assertion
                outcomes.setdefault((name, index), set()).add(json.dumps(display(shown), sort_keys=True,
                                                                         default=str))
    return {key for key, seen in outcomes.items() if len(seen) > 1}
