"""Organisation scan throughput on Dask: a simulated organisation, latency on a local proxy, 1 to N workers.

    python benchmarks/org_speed.py [--accounts 20] [--stacks 10] [--latency-ms 50] [--workers 1,2,4]
                                   [--tasks-per-worker 4] [--calls-per-task 8]
                                   [--report-stacks 1000] [--report-dir reports/org-bench]

Starts moto's server and the fault-injecting proxy on 127.0.0.1 (nothing leaves the machine), creates
`accounts` member accounts through AWS Organizations, an audit role in each, and `stacks` stacks in each of
two Regions (tests/live/org_env.py), then runs the organisation scan on a local Dask cluster of 1, 2, ...
worker processes, each scanning `tasks-per-worker` stacks at once with `calls-per-task` calls in flight
each, with the proxy adding `latency-ms` to every request (the account budgets are lifted: the emulator
has no quota to protect). It
prints API calls, wall time, calls a second and the speed-up against one worker. The emulator answers from
this process, so its own CPU (about 200 calls a second on one core) caps every run: the speed-up shows
where the cluster stops being the limit. Finally it writes the paged HTML report of the scan's results
repeated to `report-stacks` stacks, and prints the size of its pages.
"""
from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.live_speed import start_emulator  # noqa: E402

REGIONS = ["us-east-1", "us-west-2"]


def scaled(payload: dict, stacks: int) -> dict:
    """The payload with its stacks repeated under new account ids until it holds `stacks` stacks."""
    copies = -(-stacks // max(1, len(payload["org"]["stacks"])))
    grown = copy.deepcopy(payload)
    grown["results"], grown["org"]["stacks"], grown["org"]["accounts"] = [], [], []
    for index in range(copies):
        rename = {a["id"]: f"{index:04d}{a['id'][4:]}" for a in payload["org"]["accounts"]}
        grown["org"]["accounts"] += [{**a, "id": rename[a["id"]]} for a in payload["org"]["accounts"]]
        grown["org"]["stacks"] += [{**s, "account": rename[s["account"]], "environment": rename.get(
            s["environment"], s["environment"])} for s in payload["org"]["stacks"]]
        grown["results"] += [{**r, "account": rename[r["account"]], "environment": rename.get(r["environment"],
                              r["environment"])} for r in payload["results"]]
    grown["org"]["stacks"] = grown["org"]["stacks"][:stacks]
    kept = {(s["account"], s["region"], s["stack"]) for s in grown["org"]["stacks"]}
    grown["results"] = [r for r in grown["results"] if (r["account"], r["region"], r["stack"]) in kept]
    grown["org"]["stacks_scanned"] = len(grown["org"]["stacks"])
    return grown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--stacks", type=int, default=10, help="stacks per account and Region")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--tasks-per-worker", type=int, default=4)
    parser.add_argument("--calls-per-task", type=int, default=8)
    parser.add_argument("--report-stacks", type=int, default=1000)
    parser.add_argument("--report-dir", default=None)
    args = parser.parse_args()
    server, upstream = start_emulator()
    from moto.iam.models import get_account_id_from

    from checker.engine.rules import bundled_rule_dirs, load_rules
    from checker.org.run import scan_org
    from checker.org.schedule import dask_cluster
    from checker.org.targets import Account
    from checker.org.work import OrgSpec, pack_rules
    from checker.report import write_reports
    from checker.report.payload import build_payload, rule_pack_version
    from checker.scans import ScanReport
    from tests.live import org_env
    from tests.live.proxy import start

    proxy, proxy_server, url = start(upstream, get_account_id_from)
    rules = load_rules(bundled_rule_dirs())
    pack = pack_rules(bundled_rule_dirs(), rule_pack_version(rules))
    try:
        started = time.perf_counter()
        suffix = uuid.uuid4().hex[:8]
        members = org_env.create_accounts(upstream, args.accounts, suffix)
        org_env.provision(upstream, members, REGIONS, args.stacks, suffix)
        accounts = [Account(a) for a in members]
        took = time.perf_counter() - started
        print(f"{len(members)} accounts x {len(REGIONS)} Regions x {args.stacks} stacks = "
              f"{len(members) * len(REGIONS) * args.stacks} stacks, provisioned in {took:.0f} s; "
              f"{args.latency_ms:.0f} ms per request on the proxy")
        print(f"{'workers':>7} {'stacks':>6} {'calls':>6} {'wall s':>7} {'calls/s':>8} {'speed-up':>8}")
        first = None
        scan = None
        for workers in map(int, args.workers.split(",")):
            proxy.reset(latency_s=args.latency_ms / 1000)
            spec = OrgSpec(run=uuid.uuid4().hex[:12], role_name=org_env.ROLE, rules=pack, endpoint_url=url,
                           calls_per_task=args.calls_per_task, budgets={"default": (1000.0, 1000.0)})
            with dask_cluster(None, workers, args.tasks_per_worker) as cluster:
                cluster.client.run(lambda: None)  # the workers are up before the clock starts
                scan = scan_org(cluster, spec, rules, accounts, REGIONS)
            calls = scan.live["api_calls_total"]
            first = first or scan.wall_time_s
            print(f"{workers:>7} {len(scan.stacks):>6} {calls:>6} {scan.wall_time_s:>7.1f} "
                  f"{calls / scan.wall_time_s:>8.1f} {first / scan.wall_time_s:>7.2f}x")
        assert scan is not None
        payload = build_payload(ScanReport(results=scan.results), rules, [], None, scan.live,
                                sections={"org": scan.summary()})
        grown = scaled(payload, args.report_stacks)
        with tempfile.TemporaryDirectory() as temporary:
            directory = Path(args.report_dir or temporary)
            began = time.perf_counter()
            write_reports(grown, {"html": str(directory / "org.html")})
            pages = sorted((directory / "org-accounts").iterdir(), key=lambda p: p.stat().st_size)
            total = sum(p.stat().st_size for p in pages) + (directory / "org.html").stat().st_size
            print(f"HTML report of {len(grown['org']['stacks'])} stacks ({len(grown['results'])} results, "
                  f"{len(pages)} accounts) in {time.perf_counter() - began:.1f} s: summary "
                  f"{(directory / 'org.html').stat().st_size / 1024:.0f} KiB, largest account page "
                  f"{pages[-1].stat().st_size / 1024:.0f} KiB, {total / 1024 / 1024:.1f} MiB in all")
    finally:
        proxy_server.shutdown()
        server.stop()


if __name__ == "__main__":
    main()
