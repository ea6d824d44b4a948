"""Live scans under faults: a fault matrix, and the speed of the pool by worker count at real latency.

    python benchmarks/live_faults.py [--scale 4] [--latency-ms 50] [--workers 8,16,32,64]

Starts moto's server and a fault-injecting proxy in front of it, both on 127.0.0.1 (nothing leaves the
machine), creates `scale` x 50 resources with direct API calls, then runs the checker's live scan through
the proxy once per fault kind. For each it prints: API calls, HTTP attempts, ERROR results, collateral
ERRORs (results that read nothing the failed calls would have produced), calls given up after transient
faults, the longest ERROR message, and the scan's wall time. Each scan runs in its own process, so that the
emulator's work does not take the scanning threads' interpreter lock. The targets: no collateral ERROR, no call given up
on a fault that clears within three attempts, ERROR messages under 1 KB.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.live_speed import provision, start_emulator  # noqa: E402
from tests.live.proxy import Fault, start  # noqa: E402

_TYPE = re.compile(r"[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+")

# name -> (faults, the proxy's latency in seconds, read timeout)
MATRIX = {
    "none": ([], 0.0, 10.0),
    "latency 50 ms": ([], 0.05, 10.0),
    "throttling: 30% twice, then fine": ([Fault("throttle", share=0.3, times=2)], 0.0, 10.0),
    "500s: 30% once, then fine": ([Fault("error500", share=0.3, times=1)], 0.0, 10.0),
    "resets: 20% once, then fine": ([Fault("reset", share=0.2, times=1)], 0.0, 10.0),
    "slow: 5% answer in 3 s once (timeout 1 s)": ([Fault("slow", share=0.05, times=1, seconds=3)], 0.0, 1.0),
    "AccessDenied: kms:GetKeyRotationStatus": ([Fault("denied", "kms", "GetKeyRotationStatus")], 0.0, 10.0),
    "AccessDenied: one key's DescribeKey": ([Fault("denied", "kms", "DescribeKey", share=0.05)], 0.0, 10.0),
}


def _scan(url: str, directory: Path, workers: int, read_timeout: float) -> dict:
    """The JSON report of `checker live` run in its own process (the emulator and the proxy keep this one)."""
    report = directory / "report.json"
    report.unlink(missing_ok=True)
    completed = subprocess.run([sys.executable, "-m", "checker", "live", "--config", str(directory / "checker.yaml"),
                    "--outputs", str(directory / "flat-outputs.json"), "--template", str(directory / "stack.json"),
                    "--endpoint-url", url, "--workers", str(workers), "--read-timeout", str(read_timeout), "-q",
                    "--json", str(report)], check=False, capture_output=True, cwd=directory,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    if not report.exists():
        raise SystemExit(f"the scan wrote no report (exit {completed.returncode}): {completed.stderr.strip()}")
    return json.loads(report.read_text())


def collateral(payload: dict, rules: dict) -> int:
    """ERROR results that read nothing a failed call would have produced: not a resource that could not
    be read at all, no property a failed call fills, no type of a resource with a failed call."""
    failed: dict[str, set[str] | None] = {}
    types: dict[str, str] = {}
    for entry in payload["live"]["errors"]:
        names = failed.setdefault(entry["resource"], set())
        if "type" in entry or names is None:
            failed[entry["resource"]] = None  # wholly unread
            types[entry["resource"]] = entry["type"]
        else:
            names.update(entry["properties"])
    types.update({r["resource"]: r["resource_type"] for r in payload["results"] if r["resource"]})
    count = 0
    for result in payload["results"]:
        if result["status"] != "ERROR":
            continue
        rule = rules[result["rule_id"]]
        text = " ".join(([rule.when.text] if rule.when else []) + [a.expression.text for a in rule.assertions])
        own = failed.get(result["resource"] or "", set())
        direct = (result["resource"] in failed and (own is None or any(name in text for name in own))) or any(
            types.get(lid) in _TYPE.findall(text) for lid in failed)
        count += not direct
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=4, help="resources: scale x 50 (default: 4)")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--workers", default="8,16,32,64")
    parser.add_argument("--matrix-workers", type=int, default=32)
    args = parser.parse_args()
    from checker.engine.rules import bundled_rule_dirs, load_rules

    rules = {rule.id: rule for rule in load_rules(bundled_rule_dirs())}
    server, upstream = start_emulator()
    proxy, proxy_server, url = start(upstream)
    try:
        with tempfile.TemporaryDirectory() as temporary:
            directory = Path(temporary)
            template, outputs = provision(upstream, args.scale)
            (directory / "stack.json").write_text(json.dumps(template))
            (directory / "flat-outputs.json").write_text(json.dumps(outputs))
            (directory / "checker.yaml").write_text(json.dumps({"environments": {"prod": {
                "region": "us-east-1", "account_id": "123456789012"}}}))
            _scan(upstream, directory, 8, 10.0)  # warm up: the emulator loads each service's backend on first use
            print(f"{len(template['Resources'])} resources, {args.matrix_workers} workers")
            print(f"{'fault':<44} {'calls':>6} {'attempts':>8} {'injected':>8} {'ERRORs':>6} {'collateral':>10} "
                  f"{'gave up':>7} {'max msg B':>9} {'wall s':>7}")
            for name, (faults, latency, read_timeout) in MATRIX.items():
                proxy.reset(faults, latency)
                payload = _scan(url, directory, args.matrix_workers, read_timeout)
                live = payload["live"]
                errors = [r for r in payload["results"] if r["status"] == "ERROR"]
                longest = max((len(r["message"].encode()) for r in errors), default=0)
                print(f"{name:<44} {live['api_calls_total']:>6} {proxy.requests:>8} "
                      f"{sum(proxy.injected.values()):>8} {len(errors):>6} {collateral(payload, rules):>10} "
                      f"{sum(live['gave_up'].values()):>7} {longest:>9} {live['wall_time_s']:>7.2f}")
            print(f"\nworkers at {args.latency_ms:.0f} ms per request, no faults:")
            times = {}
            for workers in map(int, args.workers.split(",")):
                proxy.reset([], args.latency_ms / 1000)
                times[workers] = _scan(url, directory, workers, 10.0)["live"]["wall_time_s"]
            first = next(iter(times.values()))
            for workers, elapsed in times.items():
                print(f"  {workers:>3} workers: {elapsed:6.2f} s  (x{first / elapsed:.2f} against {next(iter(times))})")
    finally:
        proxy_server.shutdown()
        server.stop()


if __name__ == "__main__":
    main()
