"""`checker org`: the command-line shell over scan_org (run.py)."""
from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from checker.cli.run import start
from checker.decision.gate import decide
from checker.decision.waivers import live_waivers
from checker.engine.results import FAIL, PASS, UNCHECKED, Result
from checker.engine.rules import bundled_rule_dirs
from checker.errors import InputError
from checker.live.aws import AwsOptions, Clients, check_region, open_session
from checker.live.runner import Runner
from checker.org.assign import load_organization
from checker.org.limits import budgets
from checker.org.run import OrgScan, scan_org
from checker.org.schedule import dask_cluster
from checker.org.stream import Stream
from checker.org.targets import Account, organization_accounts, read_accounts_file
from checker.org.work import OrgSpec, pack_rules
from checker.project.config import parse_overrides
from checker.report.payload import build_payload, rule_pack_version
from checker.report.progress import Progress
from checker.report.view import WORST_FIRST, status_rank, worst
from checker.scans import ScanReport
from checker.template.environment import Environment
from checker.template.mask import Masker


def run_org_command(args: argparse.Namespace) -> int:
    run = start(args)
    _check(args)
    regions = [check_region(r.strip()) for r in args.regions.split(",") if r.strip()]
    selection = run.rule_selection()
    pack = run.pack()
    version = rule_pack_version(pack)
    baseline = run.baseline()
    waivers = run.waivers()
    notes: list[str] = []
    accounts = read_accounts_file(args.accounts) if args.accounts else _organization(args, regions[0], notes)
    directories = [Path(d) for d in args.rules] or bundled_rule_dirs()
    spec = OrgSpec(
        run=uuid.uuid4().hex[:12], role_name=args.role_name,
        rules=pack_rules(directories + [Path(d) for d in args.add_rules], version,
                         tuple(r.id for r in selection.rules)),
        organization=load_organization(run.config.path if run.config else None),
        declared=tuple(run.config.environments.values()) if run.config else (),
        stack_patterns=tuple(args.stack_name), external_id=args.external_id, session_name=args.role_session_name,
        duration_s=args.duration, profile=args.profile, endpoint_url=args.endpoint_url,
        max_attempts=args.max_attempts, read_timeout=args.read_timeout,
        deadline_at=time.time() + args.deadline if args.deadline else None, calls_per_task=args.calls_per_task,
        concurrency=args.account_concurrency,
        budgets=budgets({k: _rate(k, v) for k, v in parse_overrides(args.account_rate).items()}))
    stream = Stream(args.stream, {"rule_pack": version, "role_name": args.role_name, "regions": regions,
                                  "started_at": datetime.now(UTC).isoformat(timespec="seconds")},
                    args.resume) if args.stream else None
    try:
        with dask_cluster(args.scheduler, args.local_workers, args.tasks_per_worker) as cluster, \
                Progress("scanning", sys.stderr, args.quiet) as progress:
            scan = scan_org(cluster, spec, selection.rules, accounts, regions, stream, progress.step)
    finally:
        if stream:
            stream.close()
    results, outcome = live_waivers(scan.results, waivers, set(selection.pack_ids))
    decision = decide(results, args.fail_on, args.allow_errors, baseline)
    for line in describe(scan, results, args.verbose):
        run.console.line(line)
    environments = [Environment(name) for name in dict.fromkeys(s["environment"] for s in scan.stacks)]
    report = ScanReport(results=results, templates=[t.path for t in spec.organization.templates],
                        notes=notes, waivers=outcome)
    payload = None
    if run.report_targets() or run.stdout_format:
        payload = build_payload(report, selection.rules, environments, decision, scan.live,
                                skipped_rules=selection.skipped, sections={"org": scan.summary()})
    return run.finish(decision, payload, False, interrupted=scan.interrupted)


def _check(args: argparse.Namespace) -> None:
    for option in ("local_workers", "tasks_per_worker", "calls_per_task", "account_concurrency", "max_attempts",
                   "read_timeout", "deadline"):
        value = getattr(args, option)
        if value is not None and value <= 0:
            raise InputError(f"--{option.replace('_', '-')}", f"must be positive, not {value}")
    if not 900 <= args.duration <= 43200:  # AssumeRole's DurationSeconds bounds
        raise InputError("--duration", f"must be between 900 and 43200 seconds, not {args.duration}")
    if args.scheduler and args.local_workers:
        raise InputError("--local-workers", "sizes the local cluster: the cluster of --scheduler has its own workers")
    if args.resume and not args.stream:
        raise InputError("--resume", "resumes from the --stream file: name it")
    if args.accounts and (args.ou or args.account_tag):
        raise InputError("--accounts", "--ou and --account-tag select accounts of AWS Organizations, not of a file")


def _rate(service: str, value: str) -> float:
    try:
        rate = float(value)
    except ValueError:
        rate = 0.0
    if rate <= 0:
        raise InputError("--account-rate", f"{service}={value}: expected a positive number of calls a second")
    return rate


def _organization(args: argparse.Namespace, region: str, notes: list[str]) -> list[Account]:
    """The accounts AWS Organizations lists for the identity the scan runs as (checked first)."""
    options = AwsOptions(args.profile, endpoint_url=args.endpoint_url, max_attempts=args.max_attempts,
                         read_timeout=args.read_timeout)
    session, _ = open_session(options, region, getattr(args, "session", None))
    runner = Runner(Clients(session, options), 1, max_attempts=args.max_attempts)
    return organization_accounts(runner, args.ou, parse_overrides(args.account_tag), notes)


def describe(scan: OrgScan, results: list[Result], verbose: bool = False) -> list[str]:
    """Console lines: each account's tally (worst first), the targets not scanned, and the run's cost."""
    by_account: dict[str, Counter] = {a.id: Counter() for a in scan.accounts}
    for result in results:
        by_account.setdefault(result.account or "", Counter())[result.status] += 1
    stacks = Counter(s["account"] for s in scan.stacks if s["failure"] is None)
    lines = []
    if verbose:
        lines += [f"{r.status} {r.severity} {r.rule_id} {r.account}/{r.region}/{r.stack or '-'} "
                  f"{r.resource or '(template)'}: {r.message}" for r in results if r.status in (FAIL, *UNCHECKED)]
    ranked = sorted(by_account.items(), key=lambda item: (_rank(worst(item[1])), -item[1][FAIL],
                                                           -sum(item[1][s] for s in UNCHECKED), item[0]))
    for account, counts in ranked:
        lines.append(f"{account}: {stacks[account]} stacks, {counts[FAIL]} failed, "
                     f"{sum(counts[s] for s in UNCHECKED)} could not be checked, {counts[PASS]} passed")
    for entry in scan.not_scanned:
        where = "/".join(filter(None, (entry["account"], entry["region"], entry["stack"])))
        lines.append(f"not scanned: {where}: {entry['cause']}")
    summary: dict[str, Any] = scan.summary()
    lines.append(f"org: {len(scan.accounts)} accounts x {len(scan.regions)} Regions: {len(scan.stacks)} stacks, "
                 f"{summary['stacks_scanned']} scanned ({scan.resumed} resumed), {len(scan.not_scanned)} targets not "
                 f"scanned; {summary['api_calls_total']} API calls in {summary['wall_time_s']:.1f} s on "
                 f"{scan.scheduler}")
    if scan.interrupted:
        lines.append("org: interrupted: the report holds what was scanned; --resume continues from the --stream file")
    masker = Masker()
    return [masker.text(line) for line in lines]


def _rank(status: str | None) -> int:
    return status_rank(status) if status else len(WORST_FIRST)  # an account without results comes last
