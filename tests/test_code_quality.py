"""The code base stays lint- and type-clean: ruff on the package and tests, mypy on the package."""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is a test dependency; install .[test]")
def test_ruff_finds_nothing():
    completed = subprocess.run(["ruff", "check", "checker", "tests"], capture_output=True, text=True, cwd=ROOT)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_mypy_finds_nothing():
    pytest.importorskip("mypy", reason="mypy is a test dependency; install .[test]")
    completed = subprocess.run([sys.executable, "-m", "mypy", "checker"], capture_output=True, text=True, cwd=ROOT)
    assert completed.returncode == 0, completed.stdout + completed.stderr
