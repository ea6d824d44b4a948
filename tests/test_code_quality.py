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


def test_the_browser_tests_are_marked_slow():
    from tests import test_reports_browser

    assert "slow" in {mark.name for mark in test_reports_browser.pytestmark}


def test_tests_that_start_the_aws_emulator_or_install_packages_are_marked_slow():
    from tests.conftest import pytest_collection_modifyitems

    class Item:
        def __init__(self, *fixtures: str) -> None:
            self.fixturenames, self.marks = list(fixtures), []

        def add_marker(self, mark) -> None:
            self.marks.append(mark.name)

    live, gate, unit = Item("endpoint", "tmp_path"), Item("aws", "moto_endpoint"), Item("tmp_path")
    recipe, hook = Item("checkout", "venv", "tmp_path"), Item("checkout", "tmp_path")
    pytest_collection_modifyitems([live, gate, unit, recipe, hook])  # type: ignore[list-item]
    assert [item.marks for item in (live, gate, unit, recipe, hook)] == [["slow"], ["slow"], [], ["slow"], ["slow"]]
