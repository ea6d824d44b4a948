"""An organisation scan as a library call: targets in, every result and what was not scanned out.

`scan_org` runs discovery and stack scans on a Dask cluster (schedule.py), records each outcome in the
JSON Lines stream as it arrives (stream.py) and gathers them: results carrying their account, Region and
stack, ERROR results for every target that was not scanned (with its cause), and the cost of the run.
"""
from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from checker.engine.results import Result
from checker.engine.rules import Rule
from checker.org.schedule import Cluster, Progress, scan_organization
from checker.org.stream import Stream
from checker.org.targets import Account, RegionTarget
from checker.org.work import OrgSpec, RegionOutcome, StackOutcome, not_scanned
from checker.report.view import worst

_LISTED = ("not_found", "not_collected", "errors", "deleted", "outputs_not_understood")


@dataclass
class OrgScan:
    accounts: list[Account]
    regions: list[str]
    results: list[Result] = field(default_factory=list)
    stacks: list[dict[str, Any]] = field(default_factory=list)  # one entry per stack scanned or not
    not_scanned: list[dict[str, Any]] = field(default_factory=list)  # {account, region, stack, cause}
    live: dict[str, Any] = field(default_factory=dict)  # the stacks' live sections, added up
    scheduler: str = ""
    threads: int = 0
    resumed: int = 0
    interrupted: bool = False
    wall_time_s: float = 0.0

    def summary(self) -> dict[str, Any]:
        """The report's `org` section."""
        calls = self.live.get("api_calls_total", 0)
        scanned = sum(1 for s in self.stacks if s["failure"] is None)
        return {
            "accounts": [{"id": a.id, "name": a.name} for a in self.accounts], "regions": self.regions,
            "stacks": self.stacks, "stacks_scanned": scanned, "stacks_resumed": self.resumed,
            "not_scanned": self.not_scanned, "scheduler": self.scheduler, "worker_threads": self.threads,
            "wall_time_s": round(self.wall_time_s, 3), "api_calls_total": calls,
            "calls_per_s": round(calls / self.wall_time_s, 1) if self.wall_time_s else None,
            "interrupted": self.interrupted,
        }


def scan_org(cluster: Cluster, spec: OrgSpec, rules: list[Rule], accounts: Sequence[Account], regions: Sequence[str],
             stream: Stream | None = None, progress: Progress | None = None) -> OrgScan:
    """Scan every stack of `accounts` in `regions`; never raises for what AWS or a worker does."""
    started = time.perf_counter()
    scan = OrgScan(list(accounts), list(regions), scheduler=cluster.description, threads=cluster.threads)
    totals: dict[str, Counter] = {"api_calls": Counter(), "gave_up": Counter(), "count": Counter()}
    live_lists: dict[str, list] = {key: [] for key in _LISTED}

    def unscanned(account: str, region: str, stack: str | None, environment: str, cause: str) -> None:
        scan.not_scanned.append({"account": account, "region": region, "stack": stack, "cause": cause})
        if stack is None:
            scan.results.extend(not_scanned(rules, account, region, None, environment, cause))

    def on_region(outcome: RegionOutcome) -> None:
        totals["api_calls"].update(outcome.api_calls)
        if outcome.failure is not None:
            target = outcome.target
            unscanned(target.account, target.region, None, spec.organization.environment(target.account,
                      target.region), outcome.failure)
        if stream:
            stream.region(outcome)

    def on_stack(outcome: StackOutcome) -> None:
        if outcome.failure is not None and not outcome.results:  # a task lost by the cluster
            target = outcome.target
            outcome = StackOutcome(target, not_scanned(rules, target.account, target.region, target.stack,
                                   target.environment, outcome.failure), failure=outcome.failure)
        add(outcome)
        if stream:
            stream.stack(outcome)

    def add(outcome: StackOutcome) -> None:
        target = outcome.target
        scan.results.extend(outcome.results)
        if outcome.failure is not None:
            scan.not_scanned.append({"account": target.account, "region": target.region, "stack": target.stack,
                                     "cause": outcome.failure})
        scan.stacks.append({"account": target.account, "region": target.region, "stack": target.stack,
                            "environment": target.environment, "failure": outcome.failure,
                            "status": worst(r.status for r in outcome.results),
                            "counts": dict(Counter(r.status for r in outcome.results)),
                            "seconds": round(outcome.seconds, 3), "resources": (outcome.live or {}).get("resources", 0),
                            "api_calls": (outcome.live or {}).get("api_calls_total", 0)})
        live = outcome.live or {}
        totals["api_calls"].update(live.get("api_calls", {}))
        totals["count"]["requests"] += live.get("api_requests_total", 0)
        totals["gave_up"].update(live.get("gave_up", {}))
        totals["count"]["resources"] += live.get("resources", 0)
        where = {"account": target.account, "region": target.region, "stack": target.stack}
        for key in _LISTED:
            live_lists[key] += [{**where, **entry} for entry in live.get(key, [])]

    resumed = stream.resumed.outcomes if stream else []
    for outcome in resumed:
        add(outcome)
    scan.resumed = len(resumed)
    tally = scan_organization(cluster, spec, [a.id for a in accounts], regions, on_region, on_stack,
                              stream.resumed.keys if stream else frozenset(), progress)
    for job, cause in tally.abandoned:
        environment = getattr(job, "environment", None) or spec.organization.environment(job.account, job.region)
        if isinstance(job, RegionTarget):
            unscanned(job.account, job.region, None, environment, cause)
        else:
            on_stack(StackOutcome(job, failure=cause))
    scan.interrupted = tally.interrupted
    scan.wall_time_s = time.perf_counter() - started
    calls = totals["api_calls"]
    scan.live = {"api_calls": dict(sorted(calls.items())), "api_calls_total": sum(calls.values()),
                 "api_requests_total": totals["count"]["requests"],
                 "gave_up": dict(sorted(totals["gave_up"].items())),
                 "wall_time_s": round(scan.wall_time_s, 3), "workers": scan.threads,
                 "resources": totals["count"]["resources"],
                 "incomplete": "interrupted" if tally.interrupted else None, "interrupted": tally.interrupted,
                 **live_lists}
    return scan
