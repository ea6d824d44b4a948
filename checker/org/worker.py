"""The tasks a Dask worker runs: discover an account's stacks in a Region, and scan one stack.

A worker process keeps, per account, one assumed-role session (refreshed before it expires), one client per
service and Region (boto3 clients are thread-safe, and a client costs tens of milliseconds to create) and one
pace (limits.py), shared by every task of that account the worker runs. A stack is scanned by the library
function `checker live` runs (checker.live.scan.scan_live), so verdicts are the same. Tasks never raise for what
AWS answers: a target that cannot be scanned comes back with its cause.
"""
from __future__ import annotations

import functools
import threading
import time
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from checker.errors import InputError
from checker.live.aws import AwsOptions, client_config, open_session
from checker.live.retry import Stop
from checker.live.runner import CallFailed, Runner
from checker.live.scan import LiveSource, scan_live
from checker.org.limits import AccountPace
from checker.org.targets import RegionTarget, StackTarget, parameters_of, tags_of, wanted
from checker.org.work import OrgSpec, RegionOutcome, StackOutcome, not_scanned, unpack_rules
from checker.template.environment import Environment
from checker.template.load import Template, template_from_body
from checker.template.mask import MASK
from checker.template.values import Origin, Unknown

DEPLOYED = "stack:"  # how a template read from a stack is named (in messages)


class AccountClients:
    """One client per service and Region of an account, lent to every thread of every task on this worker.
    A request is counted in the `requests` of the task whose thread borrowed the client."""

    def __init__(self, session: Any, options: AwsOptions, connections: int) -> None:
        from botocore.config import Config

        self._session = session
        self._options = options
        self._config = client_config(options).merge(Config(max_pool_connections=max(2, connections)))
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self._borrower = threading.local()

    def lend(self, service: str, region: str, requests: Counter[str]) -> Any:
        self._borrower.requests = requests  # the calls this thread makes next are this task's
        with self._lock:
            client = self._clients.get((service, region))
            if client is None:
                client = self._session.client(service, region_name=region, endpoint_url=self._options.endpoint_url,
                                              config=self._config)
                client.meta.events.register("before-call", self._count)
                self._clients[service, region] = client
            return client

    def _count(self, model: Any, **_: Any) -> None:
        with self._lock:
            self._borrower.requests[f"{model.service_model.service_name}:{model.name}"] += 1


@dataclass
class TaskClients:
    """What a task's Runner sees (the interface of checker.live.aws.Clients): the account's shared clients,
    the task's options (its share of the run's deadline) and its own request counts."""

    shared: AccountClients
    options: AwsOptions
    requests: Counter[str]

    def get(self, service: str, region: str) -> Any:
        return self.shared.lend(service, region, self.requests)

    def default_region(self) -> str | None:
        return None


@dataclass
class Account:
    clients: AccountClients
    pace: AccountPace
    options: AwsOptions


_accounts: dict[tuple[str, str], Account] = {}  # (run, account id) -> its access on this worker
_opening: dict[tuple[str, str], threading.Lock] = {}
_registry = threading.Lock()
_runs: list[str] = []
_RUNS_KEPT = 4  # a long-lived cluster serves run after run: the oldest runs' sessions are dropped


def _partition(region: str) -> str:
    import botocore.session

    return botocore.session.get_session().get_partition_for_region(region)


def account_access(spec: OrgSpec, account: str, region: str) -> Account:
    """The account's session, clients and pace on this worker; an InputError when its role cannot be assumed."""
    import boto3

    key = (spec.run, account)
    with _registry:
        if spec.run not in _runs:
            _runs.append(spec.run)
            for stale in [k for k in _opening if k[0] in _runs[:-_RUNS_KEPT]]:
                _opening.pop(stale)
                _accounts.pop(stale, None)
            del _runs[:-_RUNS_KEPT]
        lock = _opening.setdefault(key, threading.Lock())
    with lock:
        if key not in _accounts:
            options = AwsOptions(spec.profile, f"arn:{_partition(region)}:iam::{account}:role/{spec.role_name}",
                                 spec.external_id, spec.duration_s, spec.endpoint_url, spec.max_attempts,
                                 read_timeout=spec.read_timeout, session_name=spec.session_name)
            # Checked in the profile's (or the default) Region: an account is not refused because one of
            # its Regions is disabled; that Region's own calls fail, and only its stacks go unscanned.
            session, _ = open_session(options, None, boto3.Session(profile_name=spec.profile))
            # Every session would load its own copy of each service's model: with many accounts on a worker that
            # is hundreds of megabytes and a third of a client's creation. One loader serves them all.
            session._session.register_component("data_loader", _models())
            _accounts[key] = Account(AccountClients(session, options, _tasks_at_once() * spec.calls_per_task),
                                     AccountPace(spec.budgets, spec.concurrency), options)
        return _accounts[key]


@functools.cache
def _models() -> Any:
    """This process's loader of the AWS service models (botocore caches what it loads, per loader)."""
    import botocore.loaders

    return botocore.loaders.create_loader()


def _tasks_at_once() -> int:
    """How many tasks this worker runs at once (its threads); one outside a Dask worker."""
    from distributed import get_worker

    try:
        return int(get_worker().state.nthreads)
    except ValueError:
        return 1


def _task(spec: OrgSpec, account: Account) -> tuple[TaskClients, Runner]:
    """Clients and a runner for one task, within what is left of the run's deadline."""
    remaining = None if spec.deadline_at is None else max(0.001, spec.deadline_at - time.time())
    clients = TaskClients(account.clients, replace(account.options, deadline_s=remaining), Counter())
    return clients, Runner(clients, spec.calls_per_task, Stop(remaining), spec.max_attempts, account.pace)


def discover_region(spec: OrgSpec, target: RegionTarget) -> RegionOutcome:
    """The stacks of one account in one Region that the scan covers (DescribeStacks, every page)."""
    try:
        account = account_access(spec, target.account, target.region)
        _, runner = _task(spec, account)
        listing = runner.call("cloudformation", target.region, "DescribeStacks", {}, paginate=True)
    except InputError as exc:
        return RegionOutcome(target, failure=exc.message)
    except CallFailed as exc:
        return RegionOutcome(target, failure=f"the stacks could not be listed: {exc}")
    stacks = []
    for stack in listing.get("Stacks", []):
        if not wanted(stack, spec.stack_patterns):
            continue
        tags = tags_of(stack)
        environment = spec.organization.environment(target.account, target.region, stack["StackName"], tags)
        stacks.append(StackTarget(target.account, target.region, stack["StackName"], environment,
                                  stack.get("StackId"), stack.get("StackStatus"), parameters_of(stack), tags))
    return RegionOutcome(target, tuple(stacks), api_calls=dict(runner.calls))


def scan_stack(spec: OrgSpec, target: StackTarget) -> StackOutcome:
    """Scan one stack against its template, as `checker live --stack-name --template` does."""
    started = time.perf_counter()
    rules = unpack_rules(spec.rules)
    env = _environment(spec, target)
    try:
        account = account_access(spec, target.account, target.region)
        clients, runner = _task(spec, account)
        template = _template(spec, target, runner)
        source = LiveSource(target.stack, None, template, spec.declared)
        scan = scan_live(rules, [env], source, clients, spec.calls_per_task, account=target.account,
                         pace=account.pace)
    except InputError as exc:
        cause = exc.message
        return StackOutcome(target, not_scanned(rules, target.account, target.region, target.stack, env.name, cause),
                            failure=cause, seconds=time.perf_counter() - started)
    in_repository = not template.path.startswith(DEPLOYED)  # a deployed template has no file to point at
    results = tuple(replace(r, account=target.account, region=target.region, stack=target.stack,
                            file=r.file if in_repository else None, line=r.line if in_repository else None)
                    for r in scan.results)
    live = scan.summary()
    live["api_calls"] = dict(Counter(live["api_calls"]) + runner.calls)
    return StackOutcome(target, results, live, seconds=time.perf_counter() - started)


def _template(spec: OrgSpec, target: StackTarget, runner: Runner) -> Template:
    """The repository template the configuration maps the stack to, else the one it was deployed with."""
    mapped = spec.organization.template(target.account, target.region, target.stack, target.tags)
    if mapped is not None:
        return template_from_body(mapped.text, mapped.path)
    label = f"{DEPLOYED}{target.label}"
    try:
        body = runner.call("cloudformation", target.region, "GetTemplate",
                           {"StackName": target.stack_id or target.stack, "TemplateStage": "Processed"})
    except CallFailed as exc:
        raise InputError(label, f"its template could not be read: {exc}") from None
    return template_from_body(body["TemplateBody"], label)


def _environment(spec: OrgSpec, target: StackTarget) -> Environment:
    """The stack's environment: its deployed parameter values (NoEcho ones unknown), the configured rule
    params of the environment it is assigned."""
    declared = next((e for e in spec.declared if e.name == target.environment), None)
    parameters = {name: value if value != MASK else Unknown(
        [Origin("parameter", name, "is NoEcho: DescribeStacks shows its value masked")], "string",
        form={"Ref": name}) for name, value in target.parameters.items()}
    return Environment(target.environment, target.region, target.account, target.stack, parameters,
                       declared.rule_params if declared else {})
