"""The driver: runs discovery and stack scans as Dask tasks and hands back each outcome as it arrives.

Work goes to Dask (`dask.distributed`): an embedded LocalCluster of worker processes sized to the machine,
or an existing cluster by its scheduler's address. The driver submits an account's tasks only while fewer
than `spec.concurrency` of them are in flight, taking accounts in turn, so that a large organisation
neither throttles one account nor waits on it. A task that fails (its worker died more often than the
scheduler allows, the cluster went away) is an outcome with its cause, never a silence.
"""
from __future__ import annotations

import logging
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from checker.errors import InputError
from checker.org.options import DEFAULT_TASKS_PER_WORKER
from checker.org.targets import RegionTarget, StackTarget
from checker.org.work import OrgSpec, RegionOutcome, StackOutcome
from checker.org.worker import discover_region, scan_stack

Job = RegionTarget | StackTarget
Progress = Callable[[int, int, str], None]


@dataclass
class Cluster:
    client: Any  # distributed.Client
    description: str  # for the report: where the work ran

    @property
    def threads(self) -> int:
        return sum(w["nthreads"] for w in self.client.scheduler_info()["workers"].values())


@contextmanager
def dask_cluster(address: str | None, workers: int | None = None,
                 tasks_per_worker: int = DEFAULT_TASKS_PER_WORKER) -> Iterator[Cluster]:
    """A client of the cluster at `address`, or of a LocalCluster of `workers` processes (default: one per
    core), each running `tasks_per_worker` tasks at once."""
    from distributed import Client, LocalCluster

    for name in ("distributed", "tornado"):  # scheduling chatter is not the report's business
        logging.getLogger(name).setLevel(logging.ERROR)
    if address:
        try:
            client = Client(address, timeout=30)
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError("--scheduler", f"cannot reach the Dask scheduler at {address}: {exc}") from None
        with client:
            yield Cluster(client, f"Dask cluster {address}")
        return
    count = workers or os.cpu_count() or 1
    with LocalCluster(n_workers=count, threads_per_worker=tasks_per_worker, processes=True,
                      dashboard_address=None, silence_logs=logging.CRITICAL) as cluster, Client(cluster) as client:
        yield Cluster(client, f"local Dask cluster of {count} worker processes x {tasks_per_worker} tasks")


@dataclass
class Tally:
    """What the driver saw: targets found, done and abandoned."""

    stacks_found: int = 0
    skipped: int = 0  # scanned by an earlier run (resumed)
    abandoned: list[tuple[Job, str]] = field(default_factory=list)  # never run: interrupted, deadline
    interrupted: bool = False


def scan_organization(cluster: Cluster, spec: OrgSpec, accounts: Sequence[str], regions: Sequence[str],
                      on_region: Callable[[RegionOutcome], None], on_stack: Callable[[StackOutcome], None],
                      done_before: frozenset[tuple[str, str, str]] = frozenset(),
                      progress: Progress | None = None) -> Tally:
    """Discover every account's stacks in every Region, then scan each (except those in `done_before`);
    `on_region` and `on_stack` receive each outcome as soon as it arrives. Ctrl-C cancels what is in flight."""
    from distributed import as_completed

    client = cluster.client
    shared = client.scatter(spec, broadcast=True, hash=False)
    queues: dict[str, deque[Job]] = {a: deque(RegionTarget(a, r) for r in regions) for a in accounts}
    running: Counter[str] = Counter()
    jobs: dict[Any, Job] = {}
    arrived = as_completed()
    tally = Tally()
    finished = 0

    def submit(account: str, limit: int) -> None:
        queue = queues[account]
        while queue and running[account] < limit:
            job = queue.popleft()
            if spec.deadline_at is not None and time.time() >= spec.deadline_at:
                tally.abandoned.append((job, "the run's deadline passed before it was scanned"))
                continue
            task, kind = (discover_region, "discover") if isinstance(job, RegionTarget) else (scan_stack, "scan")
            future = client.submit(task, shared, job, key=f"checker-{kind}-{spec.run}-{job.label}")
            jobs[future] = job
            running[account] += 1
            arrived.add(future)

    for level in range(1, spec.concurrency + 1):  # accounts in turn: everyone's first task before anyone's second
        for account in queues:
            submit(account, level)
    try:
        for future in arrived:
            job = jobs.pop(future)
            running[job.account] -= 1
            outcome = _outcome(future, job)
            if isinstance(outcome, RegionOutcome):
                fresh = [s for s in outcome.stacks if s.key not in done_before]
                tally.stacks_found += len(outcome.stacks)
                tally.skipped += len(outcome.stacks) - len(fresh)
                queues[job.account].extend(fresh)
                on_region(outcome)
            else:
                finished += 1
                on_stack(outcome)
                if progress:
                    progress(finished, tally.stacks_found - tally.skipped, job.label)
            submit(job.account, spec.concurrency)
    except KeyboardInterrupt:
        tally.interrupted = True
        client.cancel(list(jobs))
        tally.abandoned += [(job, "the scan was interrupted") for job in jobs.values()]
        tally.abandoned += [(job, "the scan was interrupted") for queue in queues.values() for job in queue]
    return tally


def _outcome(future: Any, job: Job) -> RegionOutcome | StackOutcome:
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - a lost task is reported as a target not scanned
        first = (str(exc).splitlines() or [""])[0]
        cause = f"the task failed: {type(exc).__name__}: {first[:300]}"
        return RegionOutcome(job, failure=cause) if isinstance(job, RegionTarget) else StackOutcome(job, failure=cause)
