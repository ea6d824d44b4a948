"""The template benchmarks still run and report every workload against its floor (one tiny run each; the
numbers themselves are measured by running them in full, not here)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

SMALL_CORPUS = str(ROOT / "tests" / "fixtures" / "orders-service")


@pytest.mark.parametrize(("script", "arguments", "expected"), [
    ("scale.py", ["--sizes", "4,8", "--corpus", SMALL_CORPUS],
     ["corpus ", "corpus, no report", "payment, 3 environments", "8 resources, 30 environments",
      "8 resources, 10x rules", "8 resources x 8 templates", "calls per resource"]),
    ("scan_speed.py", ["--corpus", SMALL_CORPUS], ["x the floor (median)"]),
    ("fix_speed.py", [], ["fix: seed", "x the plain scan"]),
])
def test_a_benchmark_runs_and_reports_each_workload(script, arguments, expected):
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), "--runs", "1", *arguments],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    for text in expected:
        assert text in done.stdout
