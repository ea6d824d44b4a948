"""Live scans: locate a deployed stack's resources, read them back, and evaluate the same rules.

A live stack becomes the same CloudFormation-shaped document a rendered template is (docs/rules.md), with
`PhysicalId` and `Arn` on each resource. Resources are located by discovery (discover.py). A resource
nothing locates is NOT_FOUND; a type without a collector is NOT_COLLECTED; a resource whose API calls
failed is ERROR, naming the call; a resource the deployment declares but AWS no longer has is FAIL.
What could not be read is an unknown value in the live document (checker.template.values), naming the resource and
the failed call; only results whose verdict depends on it become ERROR.
"""
from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from checker.engine.evaluate import evaluate
from checker.engine.results import ERROR, FAIL, NOT_COLLECTED, NOT_FOUND, Result
from checker.engine.rules import Rule
from checker.engine.scan import peer_documents
from checker.errors import InputError
from checker.live import DEFAULT_WORKERS
from checker.live.aws import AwsOptions, Clients, check_region, open_session
from checker.live.collectors import COLLECTORS, Target
from checker.live.discover import LiveSource, Plan, discover
from checker.live.retry import Pace, Stop
from checker.live.runner import Collected, Runner, collect
from checker.template.environment import Environment
from checker.template.mask import Masker
from checker.template.values import Origin, Reference, Unknown

ProgressStep = Callable[[int, int, str], None]
Notify = Callable[[str], None]

SOURCE = "live"  # the `source` of live results
DISCOVERY_ACTIONS = ("cloudformation:DescribeStacks", "cloudformation:ListStackResources", "sts:GetCallerIdentity")
__all__ = ["LiveScan", "LiveSource", "run_live", "scan_live"]


@dataclass(frozen=True)
class Unreadable:
    """A resource the live scan could not read, wholly (`properties` empty) or in part."""

    resource: str
    type: str
    physical_id: str | None
    status: str  # NOT_FOUND, NOT_COLLECTED, ERROR, or FAIL for a resource that no longer exists
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
    unused_outputs: dict[str, list[str]] = field(default_factory=dict)  # environment -> outputs locating nothing
    api_calls: dict[str, int] = field(default_factory=dict)
    api_requests: dict[str, int] = field(default_factory=dict)  # every attempt and page
    gave_up: dict[str, int] = field(default_factory=dict)  # calls still failing with a transient error
    rate_limits: dict[str, float] = field(default_factory=dict)
    wall_time_s: float = 0.0
    workers: int = 1
    incomplete: str | None = None  # why some resources were not read (interrupted, deadline)
    interrupted: bool = False

    def summary(self) -> dict[str, Any]:
        """The report's `live` section."""
        def listed(status: str) -> list[dict]:
            return [{"environment": env, **item.entry()} for env, items in self.unreadable.items()
                    for item in items if item.status == status]
        return {"api_calls": dict(sorted(self.api_calls.items())), "api_calls_total": sum(self.api_calls.values()),
                "api_requests_total": sum(self.api_requests.values()), "gave_up": dict(sorted(self.gave_up.items())),
                "rate_limits": self.rate_limits, "wall_time_s": round(self.wall_time_s, 3), "workers": self.workers,
                "resources": sum(len(d.get("Resources", {})) for d in self.documents.values()),
                "incomplete": self.incomplete, "interrupted": self.interrupted,
                "deleted": [{"environment": env, "resource": item.resource, "message": item.message}
                            for env, items in self.unreadable.items() for item in items if item.status == FAIL],
                "outputs_not_understood": [{"environment": env, "outputs": names}
                                           for env, names in self.unused_outputs.items() if names],
                "not_found": listed(NOT_FOUND), "not_collected": listed(NOT_COLLECTED), "errors": listed(ERROR)}


def run_live(rules: list[Rule], environments: list[Environment], source: LiveSource, options: AwsOptions,
             workers: int = DEFAULT_WORKERS, session: Any = None, progress: ProgressStep | None = None,
             notify: Notify | None = None) -> LiveScan:
    """A live scan through a session from `options` (or the given boto3 `session`), checked first: a bad
    profile, missing credentials, a role that cannot be assumed, an unreachable endpoint or an unknown
    Region is an InputError before any resource is read."""
    region = next((check_region(e.region) for e in environments if e.region), None)
    session, account = open_session(options, region, session)
    clients = Clients(session, options)
    return scan_live(rules, environments, source, clients, workers, progress, notify, account)


def _check_sources(environments: list[Environment], source: LiveSource) -> None:
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


def scan_live(rules: list[Rule], environments: list[Environment], source: LiveSource, clients: Any,
              workers: int = DEFAULT_WORKERS, progress: ProgressStep | None = None, notify: Notify | None = None,
              account: str | None = None, pace: Pace | None = None) -> LiveScan:
    """Evaluate the `live` rules on each environment's deployment. API failures never raise.

    `progress(done, total, logical_id)` is called as each resource has been read. Ctrl-C stops the reads:
    `notify` is told at once, and the scan comes back with what was read (`interrupted`, `incomplete`).
    `pace`: the call rates to keep, when other scans of the same account run beside this one.
    """
    _check_sources(environments, source)
    started = time.perf_counter()
    options = getattr(clients, "options", AwsOptions())
    runner = Runner(clients, workers, Stop(options.deadline_s), options.max_attempts, pace)
    regions = {env.name: _region(env, clients) for env in environments}
    found = runner.map(lambda env: discover(env, regions[env.name], source, runner, account), environments)
    plans = [plan or Plan(env, regions[env.name], failure="the scan was interrupted before discovery")
             for env, plan in zip(environments, found, strict=True)]
    targets = [(plan, _target(plan, lid, physical, arn))
               for plan in plans for lid, (physical, arn) in plan.located.items() if plan.types[lid] in COLLECTORS]
    counted = itertools.count(1)
    lock = threading.Lock()

    def read(item: tuple[Plan, Target]) -> Collected:
        result = collect(COLLECTORS[item[1].type], item[1], runner)
        if progress:
            with lock:
                progress(next(counted), len(targets), item[1].logical_id)
        return result

    collected = runner.map(read, targets) if not runner.stop.cancelled.is_set() else [None] * len(targets)
    scan = LiveScan(workers=runner.workers)
    if runner.stop.cancelled.is_set():
        scan.interrupted = True
        unread = sum(c is None for c in collected)
        scan.incomplete = f"interrupted: {unread} of {len(targets)} resources not read"
        if notify:
            notify(f"interrupted: abandoning {runner.in_flight} API calls in flight, {unread} of {len(targets)} "
                   "resources not read; writing a partial report (Ctrl-C again to quit at once)")
    elif runner.stop.reason():
        scan.incomplete = f"{runner.stop.reason()}: calls not made are ERROR"
    for plan in plans:
        mine = {c.target.logical_id: c for (p, _), c in zip(targets, collected, strict=True) if p is plan and c}
        document, unreadable = _document(plan, mine, scan.interrupted)
        scan.documents[plan.env.name] = document
        scan.unreadable[plan.env.name] = unreadable
        scan.unused_outputs[plan.env.name] = plan.unused_outputs
        # With a template, a live finding also points at the template lines that declare what was checked.
        template = source.template
        results = evaluate(rules, document, plan.env.name, SOURCE, template.path if template else None,
                           template.line_of if template else None, _peers(source))
        scan.results += _settled(results, rules, document, unreadable, plan.failure)
    scan.api_calls = dict(runner.calls)
    scan.api_requests = dict(getattr(clients, "requests", {}))
    scan.gave_up = dict(runner.gave_up)
    scan.rate_limits = runner.pace.rates()
    scan.wall_time_s = time.perf_counter() - started
    return scan


def _peers(source: LiveSource) -> Callable[[str], Mapping[str, Any] | None]:
    """Other environments as the template declares them there, or their configured facts without one."""
    if source.template is not None:
        return peer_documents(source.declared)(source.template)
    facts = {env.name: {"Deployment": {"Environment": env.name, "Region": env.region, "AccountId": env.account_id}}
             for env in source.declared}
    return facts.get


def _region(env: Environment, clients: Any) -> str:
    region = env.region or clients.default_region()
    if not region:
        raise InputError("--region", f"environment {env.name!r} has no region: give --region, declare region in "
                         "the config, or set AWS_REGION")
    return check_region(region)


def _target(plan: Plan, logical_id: str, physical: str, arn: str | None) -> Target:
    """What a collector reads a located resource by, with the references it declares (see Target)."""
    kind = plan.types[logical_id]
    references = COLLECTORS[kind].references
    declared: dict[str, Any] = {}
    if logical_id in plan.rendered:
        properties = plan.rendered[logical_id].get("Properties") or {}
        for name in references:
            value = properties.get(name)
            named = value.logical_id if isinstance(value, Reference) else None
            declared[name] = plan.located[named][0] if named in plan.located else value
    neighbours = {t: tuple(plan.located[lid][0] for lid, k in plan.types.items() if k == t and lid in plan.located)
                  for t in set(references.values())}
    return Target(logical_id, kind, physical, plan.region, arn, declared, neighbours)


def _document(plan: Plan, collected: dict[str, Collected],
              interrupted: bool) -> tuple[dict, list[Unreadable]]:
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
            whole = (NOT_FOUND, "not-located", "neither the stack, the outputs nor a name the template determines "
                     "locates this resource")
        elif item is None:
            whole = (ERROR, "read", f"not read: {'the scan was interrupted' if interrupted else 'no answer'}")
        elif (failure := item.whole_failure) is not None:
            gone = f"deleted: {kind} {physical} no longer exists ({failure.message})"
            whole = (FAIL, "read", gone) if failure.gone else (ERROR, "read", failure.message)
        if whole:
            status, origin_kind, message = whole
            origin = Origin(origin_kind, f"{lid} ({kind})", message)
            resource["Properties"] = Unknown([origin], "object")
            if physical is None:
                resource["PhysicalId"] = resource["Arn"] = Unknown([origin], "string")
            unreadable.append(Unreadable(lid, kind, physical, status, message))
        elif item is not None:
            resource["Properties"] = dict(item.properties)
            if item.live or any(name in COLLECTORS[kind].extras for f in item.failures for name in f.names):
                resource["Live"] = dict(item.live)
            for failure in item.failures:
                unknown = Unknown([Origin("read", f"{lid} ({kind})", failure.message)])
                for key in failure.names:
                    section = "Live" if key in COLLECTORS[kind].extras else "Properties"
                    resource[section][key] = unknown
                unreadable.append(Unreadable(lid, kind, physical, ERROR, failure.message, tuple(sorted(failure.names))))
        resources[lid] = resource
    document = {"Resources": resources, "Outputs": plan.outputs, "Deployment": plan.deployment}
    return document, unreadable


def _settled(results: list[Result], rules: list[Rule], document: dict, unreadable: list[Unreadable],
             failure: str | None) -> list[Result]:
    """Results with their physical ids; those of a resource that could not be read at all take its status
    (FAIL for one that no longer exists)."""
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
    labels = {NOT_FOUND: "not found", NOT_COLLECTED: "not collected", ERROR: "not read", FAIL: "deleted"}
    for env, items in scan.unreadable.items():
        for status, label in labels.items():
            for item in (i for i in items if i.status == status):
                what = ", ".join(item.properties) or item.type
                lines.append(f"{env}: {label}: {item.resource} ({what}): {item.message}")
        unused = scan.unused_outputs.get(env)
        if unused:
            lines.append(f"{env}: outputs that locate no resource: {', '.join(unused)}")
    calls = sum(scan.api_calls.values())
    lines.append(f"live: {sum(len(d['Resources']) for d in scan.documents.values())} resources, {calls} API calls, "
                 f"{scan.wall_time_s:.2f}s with {scan.workers} workers")
    if scan.incomplete:
        lines.append(f"live: incomplete: {scan.incomplete}")
    masker = Masker()
    return [masker.text(line) for line in lines]
