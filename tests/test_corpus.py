"""Robustness: every public template in the shared corpus scans to results or a one-line error."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from checker.engine.rules import bundled_rule_dirs, load_rules
from checker.engine.scan import scan_template
from checker.errors import InputError
from checker.scans import find_templates
from checker.template.environment import Environment
from checker.template.load import load_template
from tests.conftest import CORPUS
from tests.corpus_verdicts import SNAPSHOT, verdict_lines

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")

RULES = load_rules(bundled_rule_dirs())
ENVIRONMENTS = [Environment("prod", "us-east-1", "123456789012"), Environment("dev", None)]
FILES = find_templates([CORPUS]).candidates if CORPUS.is_dir() else []


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_corpus_file_scans_or_fails_with_one_line(path):
    try:
        template = load_template(path)
    except InputError as exc:
        assert str(exc).startswith(str(path)) and "\n" not in str(exc)
        return
    results = scan_template(template, RULES, ENVIRONMENTS).results
    assert {r.environment for r in results} == {"prod", "dev"}


def test_whole_corpus_from_the_command_line_has_no_traceback(tmp_path):
    completed = subprocess.run([sys.executable, "-m", "checker", "scan", str(CORPUS), "--region", "us-east-1"],
                               capture_output=True, text=True, cwd=tmp_path)
    assert completed.returncode == 2  # the corpus holds a template whose Resources is a list
    assert "Traceback" not in completed.stdout + completed.stderr
    assert "Resources must be a mapping of logical ids, not a list" in completed.stderr


def test_corpus_verdicts_match_the_reviewed_snapshot():
    """A change of verdict on real-world templates is a reviewed diff: `python -m tests.corpus_verdicts`."""
    expected = SNAPSHOT.read_text(encoding="utf-8").splitlines()
    actual = verdict_lines()
    changed = sorted(set(expected) ^ set(actual))
    assert not changed, "verdicts changed (- snapshot, + now):\n" + "\n".join(
        ("- " if line in expected else "+ ") + line for line in changed[:40])


def test_corpus_reports_hold_only_plain_data():
    """What is only known at deployment reaches reports in its intrinsic form, never as a Python object."""
    from checker.report import FORMATS, renderer
    from checker.report.payload import build_payload
    from checker.scans import scan

    report = scan([CORPUS], RULES, ENVIRONMENTS)
    payload = build_payload(report, RULES, ENVIRONMENTS)
    text = json.dumps(payload)  # no default=: anything but plain data raises here
    assert "object at 0x" not in text
    assert all("object at 0x" not in renderer(name)(payload) for name in FORMATS)
