"""Render a template for one environment into the document that rules evaluate."""
from __future__ import annotations

import re
from typing import Any

from checker.config import Environment
from checker.errors import InputError
from checker.intrinsics import NO_VALUE, UNKNOWN, Scope, resolve, sub_variables, truth
from checker.load import Template
from checker.mask import MASK

# Commercial regions in which a template's own Rules section is tried (see RegionsAllowedByTemplateRules).
REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-east-1", "ap-east-2",
    "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
    "ap-southeast-5", "ap-southeast-7", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3",
    "eu-south-1", "eu-south-2", "eu-north-1", "il-central-1", "me-south-1", "me-central-1",
    "mx-central-1", "sa-east-1",
)


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def pseudo_parameters(env: Environment, region: str | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if region:
        values["AWS::Region"] = region
        values["AWS::Partition"] = partition_of(region)
        values["AWS::URLSuffix"] = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    if env.account_id:
        values["AWS::AccountId"] = env.account_id
    if env.stack_name:
        values["AWS::StackName"] = env.stack_name
    return values


def parameter_values(template: Template, env: Environment) -> dict[str, Any]:
    """Declared parameters with their value in `env` (given, else default), checked against their constraints."""
    declared = template.body.get("Parameters") or {}
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        spec = spec if isinstance(spec, dict) else {}
        if name in env.parameters:
            value = env.parameters[name]
            _check_allowed(template, name, spec, value, env)
        elif "Default" in spec:
            value = spec["Default"]
        else:
            continue
        values[name] = _typed(spec, value)
    return values


def _masked(template: Template, values: dict[str, Any]) -> dict[str, Any]:
    """`values` with those of NoEcho parameters replaced by the mask."""
    declared = template.body.get("Parameters") or {}
    return {name: MASK if isinstance(declared.get(name), dict) and _no_echo(declared[name]) else value
            for name, value in values.items()}


def _check_allowed(template: Template, name: str, spec: dict, value: Any, env: Environment) -> None:
    """CloudFormation refuses a parameter value outside its declared constraints: so does the render."""
    problem = parameter_violation(spec, value)
    if problem:
        shown = " (a NoEcho value)" if _no_echo(spec) else f"={value!r}"
        raise InputError(template.path, f"environment {env.name!r}: parameter {name}{shown} {problem}",
                         template.line_of("Parameters", name))


def parameter_violation(spec: dict, value: Any) -> str | None:
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


def _out_of_bounds(spec: dict, measure: float, low: str, high: str, unit: str) -> str | None:
    for bound, too_far in ((low, lambda limit: measure < limit), (high, lambda limit: measure > limit)):
        try:
            limit = float(spec[bound])
        except (KeyError, TypeError, ValueError):
            continue
        if too_far(limit):
            return f"is outside its {bound} {spec[bound]}{' ' + unit if unit else ''}"
    return None


def _typed(spec: dict, value: Any) -> Any:
    kind = str(spec.get("Type", "String"))
    if kind == "Number" and isinstance(value, str):
        try:
            return int(value) if value.strip().lstrip("-").isdigit() else float(value)
        except ValueError:
            return value
    if (kind.startswith("List<") or kind == "CommaDelimitedList") and isinstance(value, str):
        return [item.strip() for item in value.split(",")]
    return value


def render(template: Template, env: Environment) -> dict:
    """The template as deployed in `env`: intrinsics resolved, absent resources removed."""
    body = template.body
    resources = body["Resources"]
    mappings, conditions = body.get("Mappings") or {}, body.get("Conditions") or {}
    parameters = parameter_values(template, env)
    values = {**parameters, **pseudo_parameters(env, env.region)}
    # Conditions are decided on the real values; the document shows NoEcho values only masked.
    decider = Scope(values, mappings, conditions, set(resources), env.region)
    decided = {name: decider.condition(name) for name in conditions}
    values = {**values, **_masked(template, parameters)}
    scope = Scope(values, mappings, {name: conditions[name] if value is UNKNOWN else value
                                     for name, value in decided.items()}, set(resources), env.region)

    rendered_resources = {}
    for logical_id, resource in resources.items():
        if "Condition" in resource and scope.condition(resource["Condition"]) is False:
            continue
        rendered = {"Type": resource["Type"], "LogicalId": logical_id}
        for key, value in resource.items():
            if key != "Type":
                item = resolve(value, scope)
                if item is not NO_VALUE:
                    rendered[key] = item
        rendered_resources[logical_id] = rendered

    document: dict[str, Any] = {
        key: body[key] for key in ("AWSTemplateFormatVersion", "Description", "Transform") if key in body
    }
    document["Parameters"] = _declarations(body.get("Parameters") or {}, resources)
    document["Resources"] = rendered_resources
    document["Outputs"] = _render_outputs(body.get("Outputs") or {}, scope)
    document["Rules"] = render_rules(body.get("Rules") or {}, scope, decider)
    document["Deployment"] = {
        "Environment": env.name,
        "Region": env.region if env.region else {"Ref": "AWS::Region"},
        "AccountId": env.account_id if env.account_id else {"Ref": "AWS::AccountId"},
        "Parameters": {name: values.get(name, {"Ref": name}) for name in body.get("Parameters") or {}},
        "RegionsAllowedByTemplateRules": regions_allowed(template, env, parameters),
    }
    return document


def _render_outputs(outputs: dict, scope: Scope) -> dict:
    rendered = {}
    for name, output in outputs.items():
        if isinstance(output, dict) and "Condition" in output and scope.condition(output["Condition"]) is False:
            continue
        rendered[name] = resolve(output, scope)
    return rendered


def _declarations(parameters: dict, resources: dict) -> dict:
    """Parameter declarations as written, each with `UsedBy` (the resource properties that reference it);
    a NoEcho parameter's Default is masked."""
    usage: dict[str, list[dict]] = {name: [] for name in parameters}
    for logical_id, resource in resources.items():
        for key, value in (resource.get("Properties") or {}).items():
            for name in sorted(referenced_parameters(value, usage)):
                usage[name].append({"Resource": logical_id, "Type": resource["Type"], "Property": key})
    declarations = {}
    for name, spec in parameters.items():
        if not isinstance(spec, dict):
            declarations[name] = spec
            continue
        masked = {"Default": MASK} if "Default" in spec and _no_echo(spec) else {}
        declarations[name] = {**spec, **masked, "UsedBy": usage[name]}
    return declarations


def referenced_parameters(value: Any, names: Any) -> set[str]:
    """Names among `names` that `value` references through Ref or a Fn::Sub variable."""
    if isinstance(value, list):
        return set().union(*(referenced_parameters(v, names) for v in value))
    if not isinstance(value, dict):
        return set()
    found = set().union(*(referenced_parameters(v, names) for v in value.values()))
    if isinstance(value.get("Ref"), str) and value["Ref"] in names:
        found.add(value["Ref"])
    text = value.get("Fn::Sub")
    text = text[0] if isinstance(text, list) and text else text
    if isinstance(text, str):
        found |= {name for name in sub_variables(text) if name in names}
    return found


def _no_echo(spec: dict) -> bool:
    return str(spec.get("NoEcho", "")).lower() == "true"


def render_rules(rules: dict, scope: Scope, decider: Scope | None = None) -> dict:
    """The Rules section with each condition and assertion resolved.

    `decider`, when given, holds real (unmasked) values: a decided outcome comes from it, while an
    undecided expression is shown as rendered with `scope`, so no secret reaches the document.
    """
    def outcome(value: Any) -> Any:
        decided = resolve(value, decider) if decider is not None else None
        return decided if isinstance(decided, bool) else resolve(value, scope)

    rendered = {}
    for name, rule in rules.items():
        if not isinstance(rule, dict):
            continue
        assertions = rule["Assertions"] if isinstance(rule.get("Assertions"), list) else []
        entry: dict[str, Any] = {"Assertions": [
            {**a, "Assert": outcome(a.get("Assert"))} if isinstance(a, dict) else a for a in assertions
        ]}
        if "RuleCondition" in rule:
            entry["RuleCondition"] = outcome(rule["RuleCondition"])
        rendered[name] = entry
    return rendered


def rules_accept(rendered_rules: dict) -> bool | None:
    """Whether a rendered Rules section lets the deployment proceed (UNKNOWN: cannot tell)."""
    undecided = False
    for rule in rendered_rules.values():
        applies = truth(rule["RuleCondition"]) if "RuleCondition" in rule else True
        if applies is False:
            continue
        for assertion in rule["Assertions"]:
            holds = truth(assertion.get("Assert")) if isinstance(assertion, dict) else UNKNOWN
            if holds is False and applies is True:
                return False
            undecided = undecided or holds is not True
    return UNKNOWN if undecided else True


def regions_allowed(template: Template, env: Environment, values: dict[str, Any]) -> list[str]:
    """Regions in which the template's own Rules section accepts this environment's parameter `values`.

    Undecidable Rules count as not accepting: the list only holds regions the template provably admits.
    """
    body = template.body
    rules = body.get("Rules") or {}
    if not rules:
        return list(REGIONS)
    allowed = []
    for region in REGIONS:
        scope = Scope({**values, **pseudo_parameters(env, region)}, body.get("Mappings") or {},
                      body.get("Conditions") or {}, set(body["Resources"]), region)
        if rules_accept(render_rules(rules, scope)) is True:
            allowed.append(region)
    return allowed
