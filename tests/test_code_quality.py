"""The code base stays lint- and type-clean: ruff on the package and tests, mypy on the package (strict on the
engine and template packages)."""
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


def test_engine_and_template_packages_are_strictly_typed():
    pytest.importorskip("mypy", reason="mypy is a test dependency; install .[test]")
    completed = subprocess.run([sys.executable, "-m", "mypy", "--strict", "checker/engine", "checker/template"],
                               capture_output=True, text=True, cwd=ROOT)
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


# The stages in import order: a module may import its own layer and those before it, never a later one.
_LAYERS = ["errors cache version", "template", "engine patch", "fix live", "decision", "project", "scans", "report",
           "org", "cli", "__init__ __main__"]


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_no_stage_imports_a_later_one():
    import ast

    layer = {name: index for index, names in enumerate(_LAYERS) for name in names.split()}
    upward = []
    for path in (ROOT / "checker").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        importer = parts[1] if len(parts) > 1 else "__init__"
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "checker":
                imported = _stage(node.module)
                if layer[imported] > layer[importer]:
                    upward.append(f"{path.relative_to(ROOT)}: {node.module}")
    assert upward == []
