"""Live scans: locate a deployed stack's resources, read them back, and evaluate the same rules.

A live stack becomes the same CloudFormation-shaped document a rendered template is (docs/rules.md), with
`PhysicalId` and `Arn` on each resource. Resources are located by the stack (ListStackResources) and/or by
`cfn-outputs/flat-outputs.json` with the template's Outputs. A resource neither locates is NOT_FOUND; a
type without a collector is NOT_COLLECTED; a resource whose API calls failed is ERROR, naming the call.
What could not be read is an unknown value in the live document (checker.values), naming the resource and
the failed call; only results whose verdict depends on it become ERROR.
"""
from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from checker.collect import COLLECTORS, Collected, Runner, Target, collect
from checker.collect.aws import AwsOptions, Clients, open_session
from checker.collect.outputs import locate, read_flat_outputs
from checker.collect.runner import CallFailed
from checker.config import Environment
from checker.errors import InputError
from checker.evaluate import evaluate
from checker.load import Template
from checker.render import render
from checker.results import ERROR, NOT_COLLECTED, NOT_FOUND, Result
from checker.rules import Rule
from checker.scan import peer_documents
from checker.values import Origin, Reference, Unknown
from checker.waivers import Waiver, WaiverOutcome, apply_waivers

ProgressStep = Callable[[int, int, str], None]

SOURCE = "live"  # the `source` of live results
DISCOVERY_ACTIONS = ("cloudformation:DescribeStacks", "cloudformation:ListStackResources")
_GONE = ("DELETE_COMPLETE", "CREATE_FAILED", "DELETE_IN_PROGRESS")
_ACCOUNT = re.compile(r"^arn:[^:]+:[^:]*:[^:]*:(\d{12}):")


@dataclass(frozen=True)
class LiveSource:
    """Where a deployment is described: its stack, and/or CI outputs with the template they came from."""

    stack_name: str | None = None
    outputs: str | None = None  # path of a flat outputs JSON file
    template: Template | None = None
    declared: tuple[Environment, ...] = ()  # the configuration's environments, for rules that compare them


@dataclass(frozen=True)
class Unreadable:
    """A resource the live scan could not read, wholly (`properties` empty) or in part."""

    resource: str
    type: str
    physical_id: str | None
    status: str  # NOT_FOUND, NOT_COLLECTED or ERROR
    message: str
    properties: tuple[str, ...] = ()

    def entry(self) -> dict[str, Any]:
        if self.properties:
            return {"resource": self.resource, "properties": list(self.properties), "message": self.message}
        return {"resource": self.resource, "type": self.type, "physical_id": self.physical_id, "message": self.message}


@dataclass
class LiveScan:
    results: list[Result] = field(default_factory=list)
    documents: dict[str, dict] = field(default_factory=dict)  # environment -> live document
    unreadable: dict[str, list[Unreadable]] = field(default_factory=dict)  # environment -> what was not read
    api_calls: dict[str, int] = field(default_factory=dict)
    wall_time_s: float = 0.0
    workers: int = 1

    def summary(self) -> dict[str, Any]:
        """The report's `live` section."""
        def listed(status: str) -> list[dict]:
            return [{"environment": env, **item.entry()} for env, items in self.unreadable.items()
                    for item in items if item.status == status]
        return {"api_calls": dict(sorted(self.api_calls.items())), "api_calls_total": sum(self.api_calls.values()),
                "wall_time_s": round(self.wall_time_s, 3), "workers": self.workers,
                "resources": sum(len(d.get("Resources", {})) for d in self.documents.values()),
                "not_found": listed(NOT_FOUND), "not_collected": listed(NOT_COLLECTED), "errors": listed(ERROR)}


@dataclass
class _Plan:
    """One environment's deployment: the resources expected, where each one is, and stack facts."""

    env: Environment
    region: str
    types: dict[str, str] = field(default_factory=dict)  # logical id -> type
    located: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # logical id -> (physical, ARN)
    deployment: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    rendered: dict[str, Any] = field(default_factory=dict)  # logical id -> the template's resource, rendered
    failure: str | None = None  # discovery failed: nothing of this environment can be checked


def run_live(rules: list[Rule], environments: list[Environment], source: LiveSource, options: AwsOptions,
             workers: int = 8, session: Any = None, progress: ProgressStep | None = None) -> LiveScan:
    """A live scan through a session from `options` (or the given boto3 `session`)."""
    session = session or open_session(options, environments[0].region if environments else None)
    return scan_live(rules, environments, source, Clients(session, options, workers), workers, progress)


def live_waivers(results: list[Result], waivers: list[Waiver], rule_ids: set[str],
                 earlier: WaiverOutcome | None = None) -> tuple[list[Result], WaiverOutcome]:
    """Apply waivers to live results; with `earlier` (the template scan's outcome), one outcome for both."""
    results, outcome = apply_waivers(results, waivers, date.today(), rule_ids)
    if earlier is None:
        return results, outcome
    merged = WaiverOutcome(outcome.today)
    for waiver, count in [*earlier.matched.items(), *outcome.matched.items()]:
        merged.matched[waiver] = merged.matched.get(waiver, 0) + count
    merged.applied = list(dict.fromkeys(earlier.applied + outcome.applied))
    merged.expired = list(dict.fromkeys(earlier.expired + outcome.expired))
    merged.stale = [w for w in dict.fromkeys(earlier.stale + outcome.stale) if w not in merged.matched]
    return results, merged


def scan_live(rules: list[Rule], environments: list[Environment], source: LiveSource, clients: Any,
              workers: int = 8, progress: ProgressStep | None = None) -> LiveScan:
    """Evaluate the `live` rules on each environment's deployment. API failures never raise.

    `progress(done, total, logical_id)` is called as each resource has been read.
    """
    unnamed = [e.name for e in environments if not (source.stack_name or e.stack_name or source.outputs)]
    if unnamed:
        raise InputError("live", f"name the deployment of {', '.join(unnamed)}: --stack-name (or stack_name in "
                         "the config), or --outputs with --template")
    if source.stack_name and len(environments) > 1:
        raise InputError("--stack-name", "one stack is one environment: name it with --env")
    if source.outputs and not source.template:
        raise InputError(source.outputs, "--outputs needs the template whose Outputs it holds (--template)")
    if source.outputs and len(environments) != 1:
        raise InputError(source.outputs, "an outputs file describes one environment: name it with --env")
    started = time.perf_counter()
    runner = Runner(clients, workers)
    plans = [_plan(env, source, runner, clients) for env in environments]
    targets = [(plan, _target(plan, lid, physical, arn))
               for plan in plans for lid, (physical, arn) in plan.located.items() if plan.types[lid] in COLLECTORS]
    counted = itertools.count(1)
    lock = threading.Lock()

    def read(item: tuple[_Plan, Target]) -> Collected:
        result = collect(COLLECTORS[item[1].type], item[1], runner)
        if progress:
            with lock:
                progress(next(counted), len(targets), item[1].logical_id)
        return result

    collected = runner.map(read, targets)
    scan = LiveScan(workers=runner.workers)
    for plan in plans:
        mine = {c.target.logical_id: c for (p, _), c in zip(targets, collected, strict=True) if p is plan}
        document, unreadable = _document(plan, mine)
        scan.documents[plan.env.name] = document
        scan.unreadable[plan.env.name] = unreadable
        # With a template, a live finding also points at the template lines that declare what was checked.
        template = source.template
        results = evaluate(rules, document, plan.env.name, SOURCE, template.path if template else None,
                           template.line_of if template else None, _peers(source))
        scan.results += _settled(results, rules, document, unreadable, plan.failure)
    scan.api_calls = dict(clients.calls)
    scan.wall_time_s = time.perf_counter() - started
    return scan


def _peers(source: LiveSource) -> Callable[[str], Mapping[str, Any] | None]:
    """Other environments as the template declares them there, or their configured facts without one."""
    if source.template is not None:
        return peer_documents(source.declared)(source.template)
    facts = {env.name: {"Deployment": {"Environment": env.name, "Region": env.region, "AccountId": env.account_id}}
             for env in source.declared}
    return facts.get


def _plan(env: Environment, source: LiveSource, runner: Runner, clients: Any) -> _Plan:
    region = env.region or clients.default_region()
    if not region:
        raise InputError("--region", f"environment {env.name!r} has no region and the AWS configuration sets none")
    plan = _Plan(env, region, deployment={"Environment": env.name, "Region": region, "Source": SOURCE,
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
            plan.failure = f"stack {stack_name} could not be read: {exc}"
    if source.outputs and source.template and rendered:
        values = read_flat_outputs(source.outputs)
        plan.outputs = {name: {"Value": value} for name, value in values.items()}
        declared = source.template.body.get("Outputs") or {}
        for lid, identity in locate(declared, values, rendered["Resources"], COLLECTORS).items():
            plan.located.setdefault(lid, identity)
    account = next((m.group(1) for _, arn in plan.located.values() if arn and (m := _ACCOUNT.match(arn))), None)
    plan.deployment.setdefault("AccountId", account or env.account_id)
    return plan


def _target(plan: _Plan, logical_id: str, physical: str, arn: str | None) -> Target:
    """What a collector reads a located resource by, with the references it declares (see Target)."""
    kind = plan.types[logical_id]
    references = COLLECTORS[kind].references
    declared: dict[str, Any] = {}
    if logical_id in plan.rendered:
        properties = plan.rendered[logical_id].get("Properties") or {}
        for name in references:
            value = properties.get(name)
            named = _referenced(value)
            declared[name] = plan.located[named][0] if named in plan.located else value
    neighbours = {t: tuple(plan.located[lid][0] for lid, k in plan.types.items() if k == t and lid in plan.located)
                  for t in set(references.values())}
    return Target(logical_id, kind, physical, plan.region, arn, declared, neighbours)


def _referenced(value: Any) -> str | None:
    """The logical id a rendered `Ref` or `Fn::GetAtt` names, or None."""
    return value.logical_id if isinstance(value, Reference) else None


def _from_stack(plan: _Plan, stack_name: str, runner: Runner) -> None:
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


def _document(plan: _Plan, collected: dict[str, Collected]) -> tuple[dict, list[Unreadable]]:
    """The live document of one environment, and what in it could not be read (unknown values there)."""
    unreadable: list[Unreadable] = []
    resources: dict[str, dict] = {}
    for lid, kind in plan.types.items():
        physical, arn = plan.located.get(lid, (None, None))
        item = collected.get(lid)
        resource: dict[str, Any] = {"Type": kind, "LogicalId": lid, "PhysicalId": physical,
                                    "Arn": item.arn if item else arn}
        whole: tuple[str, str, str] | None = None  # (status, origin kind, message)
        if plan.failure:
            whole = (ERROR, "read", plan.failure)
        elif kind not in COLLECTORS:
            whole = (NOT_COLLECTED, "not-collected", f"no collector reads {kind} from AWS")
        elif physical is None:
            whole = (NOT_FOUND, "not-located", "neither the stack nor the outputs locate this resource")
        elif item is not None and item.whole_failure:
            whole = (ERROR, "read", item.whole_failure.message)
        name = f"{lid} ({kind})"
        if whole:
            status, origin_kind, message = whole
            origin = Origin(origin_kind, name, message)
            resource["Properties"] = Unknown([origin], "object")
            if physical is None:
                resource["PhysicalId"] = resource["Arn"] = Unknown([origin], "string")
            unreadable.append(Unreadable(lid, kind, physical, status, message))
        elif item is not None:
            resource["Properties"] = dict(item.properties)
            if item.live or any(name in COLLECTORS[kind].extras for f in item.failures for name in f.names):
                resource["Live"] = dict(item.live)
            for failure in item.failures:
                unknown = Unknown([Origin("read", name, failure.message)])
                for key in failure.names:
                    section = "Live" if key in COLLECTORS[kind].extras else "Properties"
                    resource[section][key] = unknown
                unreadable.append(Unreadable(lid, kind, physical, ERROR, failure.message, tuple(sorted(failure.names))))
        resources[lid] = resource
    document = {"Resources": resources, "Outputs": plan.outputs, "Deployment": plan.deployment}
    return document, unreadable


def _settled(results: list[Result], rules: list[Rule], document: dict, unreadable: list[Unreadable],
             failure: str | None) -> list[Result]:
    """Results with their physical ids; those of a resource that could not be read at all take its status."""
    wholes = {item.resource: item for item in unreadable if not item.properties}
    environments = {rule.id: rule for rule in rules}
    resources = document["Resources"]
    settled = []
    for result in results:
        physical = resources.get(result.resource, {}).get("PhysicalId") if result.resource else None
        result = replace(result, physical_id=physical if isinstance(physical, str) else None)
        applies = environments[result.rule_id].applies_in(result.environment)
        if applies and failure:
            result = replace(result, status=ERROR, message=failure, evidence=None)
        elif applies and result.resource in wholes:
            item = wholes[result.resource]
            result = replace(result, status=item.status, message=item.message, evidence=None)
        settled.append(result)
    return settled


def describe(scan: LiveScan) -> list[str]:
    """Console lines: what the live scan could not check, and what it cost."""
    lines = []
    labels = {NOT_FOUND: "not found", NOT_COLLECTED: "not collected", ERROR: "not read"}
    for env, items in scan.unreadable.items():
        for status, label in labels.items():
            for item in (i for i in items if i.status == status):
                what = ", ".join(item.properties) or item.type
                lines.append(f"{env}: {label}: {item.resource} ({what}): {item.message}")
    calls = sum(scan.api_calls.values())
    lines.append(f"live: {sum(len(d['Resources']) for d in scan.documents.values())} resources, {calls} API calls, "
                 f"{scan.wall_time_s:.2f}s with {scan.workers} workers")
    return lines
