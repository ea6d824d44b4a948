"""What fixes cost: `checker fix` and a scan that writes reports with patches, against a plain scan and the floor.

    python benchmarks/fix_speed.py [--runs 9]

Every command runs as a whole process from the repository (its checker.yaml: three environments),
interleaved with the others, `--runs` times; the floor is starting Python and parsing the template with
libyaml's C loader (scan_speed.py). Each fix is verified by rendering and evaluating every rule in every
environment: made alone (reports) and with the others (`checker fix`, and a report's whole patch), the two
sharing every fix and verification they have in common.
"""
from __future__ import annotations

import argparse
import atexit
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from scan_speed import FLOOR, ROOT, measure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    python = sys.executable
    seed = str(ROOT / "tests" / "fixtures" / "seed-flawed.yaml")
    out = Path(tempfile.mkdtemp(prefix="fix-speed-"))
    atexit.register(shutil.rmtree, out, True)
    reports = ["--sarif", str(out / "r.sarif"), "--html", str(out / "r.html"), "--markdown", str(out / "r.md")]
    commands = {
        "floor: seed template": (ROOT, [python, "-c", FLOOR, seed]),
        "scan: seed, 3 environments": (ROOT, [python, "-m", "checker", "scan", seed, "-q"]),
        "scan: seed, with reports and fixes": (ROOT, [python, "-m", "checker", "scan", seed, "-q", *reports]),
        "fix: seed (10 fixes verified)": (ROOT, [python, "-m", "checker", "fix", seed]),
    }
    import checker

    subprocess.run([python, "-m", "compileall", "-q", str(Path(checker.__file__).parent)], check=True)
    times = measure(commands, args.runs)
    print(f"{args.runs} runs each, interleaved")
    for name, values in times.items():
        print(f"{name:<38} min {min(values) * 1000:7.1f} ms   median {statistics.median(values) * 1000:7.1f} ms")
    floor, scan = (statistics.median(times[n]) for n in ("floor: seed template", "scan: seed, 3 environments"))
    for name in ("scan: seed, 3 environments", "scan: seed, with reports and fixes", "fix: seed (10 fixes verified)"):
        median = statistics.median(times[name])
        print(f"{name:<38} {median / floor:5.2f}x the floor, {median / scan:5.2f}x the plain scan (medians)")


if __name__ == "__main__":
    main()
