"""Discovery: which resources a deployment has, and where each one is.

Sources, in order: the stack (ListStackResources, DescribeStacks), the CI outputs file with the template's
Outputs, then the names the rendered template fully determines (a log group's LogGroupName, a bucket's
BucketName, a key's alias through `DescribeKey alias/...`). Discovery that cannot tell what to check (no
such stack, an empty outputs file, outputs the template does not declare, nothing located) is bad input:
a scan that checks nothing must never pass.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from checker.errors import InputError
from checker.live.collectors import COLLECTORS
from checker.live.outputs import locate, read_flat_outputs
from checker.live.runner import CallFailed, Runner
from checker.template.environment import Environment
from checker.template.load import Template
from checker.template.mask import MASK
from checker.template.render import render
from checker.template.values import Reference

_GONE = ("DELETE_COMPLETE", "CREATE_FAILED", "DELETE_IN_PROGRESS")
_ACCOUNT = re.compile(r"^arn:[^:]+:[^:]*:[^:]*:(\d{12}):")


@dataclass(frozen=True)
class LiveSource:
    """Where a deployment is described: its stack, and/or CI outputs with the template they came from."""

    stack_name: str | None = None
    outputs: str | None = None  # path of a flat outputs JSON file
    template: Template | None = None
    declared: tuple[Environment, ...] = ()  # the configuration's environments, for rules that compare them


@dataclass
class Plan:
    """One environment's deployment: the resources expected, where each one is, and stack facts."""

    env: Environment
    region: str
    types: dict[str, str] = field(default_factory=dict)  # logical id -> type
    located: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # logical id -> (physical, ARN)
    deployment: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    rendered: dict[str, Any] = field(default_factory=dict)  # logical id -> the template's resource, rendered
    unused_outputs: list[str] = field(default_factory=list)  # outputs that located nothing
    failure: str | None = None  # nothing of this environment could be checked


def discover(env: Environment, region: str, source: LiveSource, runner: Runner, account: str | None) -> Plan:
    plan = Plan(env, region, deployment={"Environment": env.name, "Region": region, "Source": "live",
                                         "Parameters": {}, "RuleParams": dict(env.rule_params)})
    rendered = render(source.template, replace(env, region=region)) if source.template else None
    if rendered:
        plan.rendered = rendered["Resources"]
        plan.types = {lid: r["Type"] for lid, r in rendered["Resources"].items()}
        plan.deployment["Parameters"] = rendered["Deployment"]["Parameters"]
        plan.deployment["SecretParameters"] = rendered["Deployment"]["SecretParameters"]
    stack_name = source.stack_name or env.stack_name
    if stack_name:
        try:
            _from_stack(plan, stack_name, runner)
        except CallFailed as exc:
            raise InputError("--stack-name", f"stack {stack_name} in {region} cannot be read: {exc}") from None
    if source.outputs and source.template and rendered:
        _from_outputs(plan, source.outputs, source.template, stack_name)
    if rendered:
        _by_name(plan, runner, account)
    if plan.types and not plan.located:
        where = f"stack {stack_name}" if stack_name else source.outputs
        raise InputError(str(where), f"locates none of the {len(plan.types)} resources of {env.name}: "
                         "nothing could be checked")
    found = next((m.group(1) for _, arn in plan.located.values() if arn and (m := _ACCOUNT.match(arn))), None)
    plan.deployment.setdefault("AccountId", found or account or env.account_id)
    return plan


def _from_stack(plan: Plan, stack_name: str, runner: Runner) -> None:
    stack = runner.call("cloudformation", plan.region, "DescribeStacks", {"StackName": stack_name})["Stacks"][0]
    plan.deployment.update({"StackName": stack_name, "Parameters": {
        p["ParameterKey"]: p.get("ResolvedValue", p.get("ParameterValue")) for p in stack.get("Parameters", [])}})
    account = _ACCOUNT.match(stack.get("StackId", ""))
    if account:
        plan.deployment["AccountId"] = account.group(1)
    plan.outputs = {o["OutputKey"]: {"Value": o.get("OutputValue")} for o in stack.get("Outputs", [])}
    listing = runner.call("cloudformation", plan.region, "ListStackResources", {"StackName": stack_name},
                          paginate=True)
    for row in listing.get("StackResourceSummaries", []):
        lid, kind, physical = row["LogicalResourceId"], row.get("ResourceType", ""), row.get("PhysicalResourceId")
        if not lid:  # a row naming nothing (an emulator's trace of a resource it skipped)
            continue
        plan.types.setdefault(lid, kind)
        if physical and row.get("ResourceStatus") not in _GONE:
            plan.located[lid] = (physical, physical if physical.startswith("arn:") else None)


def _from_outputs(plan: Plan, path: str, template: Template, stack_name: str | None) -> None:
    values, not_text = read_flat_outputs(path, stack_name)
    declared = template.body.get("Outputs") or {}
    if not values:
        raise InputError(path, "holds no outputs: nothing could be located")
    if not set(values) & set(declared):
        raise InputError(path, f"none of its outputs ({', '.join(sorted(values)[:5])}) is declared in the "
                         f"Outputs of {template.path}: is it the outputs of another stack?")
    plan.outputs = {name: {"Value": value} for name, value in values.items()}
    found, used = locate(declared, values, plan.rendered, COLLECTORS)
    for lid, identity in found.items():
        plan.located.setdefault(lid, identity)
    plan.unused_outputs = sorted((set(values) - used) | set(not_text))


def _by_name(plan: Plan, runner: Runner, account: str | None) -> None:
    """Locate what is still unlocated by the name its template properties fully determine."""
    for lid, resource in plan.rendered.items():
        collector = COLLECTORS.get(resource.get("Type"))
        if lid in plan.located or collector is None or collector.named is None:
            continue
        name = (resource.get("Properties") or {}).get(collector.named)
        physical = collector.from_name(name, plan.region, account) if isinstance(name, str) and _determined(name) \
            else None
        if physical:
            plan.located[lid] = (physical, physical if physical.startswith("arn:") else None)
    for resource in plan.rendered.values():
        properties = resource.get("Properties") or {}
        target = properties.get("TargetKeyId")
        key = target.logical_id if isinstance(target, Reference) else None
        alias = properties.get("AliasName")
        if resource.get("Type") != "AWS::KMS::Alias" or key not in plan.rendered or key in plan.located \
                or not _determined(alias):
            continue
        try:
            metadata = runner.call("kms", plan.region, "DescribeKey", {"KeyId": alias})["KeyMetadata"]
        except CallFailed:
            continue  # stays NOT_FOUND, with the reason in the report's notes
        plan.located[key] = (metadata["KeyId"], metadata.get("Arn"))


def _determined(value: Any) -> bool:
    """A name the rendered template knows in full (no parameter left open, no masked or dynamic value)."""
    return isinstance(value, str) and bool(value) and "{{resolve:" not in value and MASK not in value
