"""The installed package carries its rule pack: a plain `pip install .` is enough to scan."""
from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest

from tests.conftest import ROOT


def _outside_the_source_tree(tmp_path, *args):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=tmp_path,
                          env={"PATH": "/usr/bin:/bin"})


def test_installed_package_lists_the_bundled_rules(tmp_path):
    probe = _outside_the_source_tree(tmp_path, "-c", "import checker; print(checker.__file__)")
    if probe.returncode != 0:
        pytest.skip("checker is not installed in this interpreter (run `pip install .`)")
    if probe.stdout.startswith(str(ROOT / "checker")):
        pytest.skip("checker is installed in editable mode; this test is about a plain install")
    completed = _outside_the_source_tree(tmp_path, "-m", "checker", "rules")
    assert completed.returncode == 0, completed.stderr
    assert "replication" in completed.stdout


def test_source_tree_ships_only_rule_files_in_rules():
    files = list((ROOT / "rules").iterdir())
    assert files and all(p.suffix == ".yaml" for p in files)


def test_every_package_of_the_source_tree_is_listed_for_installation():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "checker").rglob("__init__.py")}
    assert found <= listed, sorted(found - listed)
