"""The patcher on every public template of the shared corpus: untouched when nothing is asked, exact when
an edit is made and undone, and fixes that never break a template."""
from __future__ import annotations

import pytest

from checker.engine.rules import bundled_rule_dirs, load_rules
from checker.errors import InputError
from checker.fix.plan import FIXED, fix_template
from checker.fix.report import read_source
from checker.patch import MISSING
from checker.scans import find_templates
from checker.template.environment import Environment
from checker.template.load import load_template, read_bytes
from tests.conftest import CORPUS

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")

RULES = load_rules(bundled_rule_dirs())
ENVIRONMENTS = [Environment("prod", "us-east-1", "123456789012"), Environment("dev", None)]


def _templates() -> list:
    found = []
    for path in find_templates([CORPUS]).candidates if CORPUS.is_dir() else []:
        try:
            load_template(path)
        except InputError:
            continue
        found.append(path)
    return found


TEMPLATES = _templates()


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_a_template_comes_back_byte_for_byte_when_no_fix_is_requested(path):
    plan = fix_template(read_source(path), RULES, ENVIRONMENTS, lambda *_: False)
    assert plan.fixed.encode() == read_bytes(path)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_a_property_added_then_removed_leaves_the_template_byte_for_byte(path):
    source = read_source(path)
    original = source.full_text
    for logical_id, resource in list(source.mapping(("Resources",)).items())[:5]:
        if isinstance(resource.get("Properties"), dict) and resource["Properties"]:
            path_to = ("Resources", logical_id, "Properties", "CheckerProbe")
            source.set(path_to, {"Nested": [1, {"Ref": "AWS::Region"}], "Text": "a: b"})
            assert source.value(path_to + ("Text",)) == "a: b"
            source.remove(path_to)
            assert source.value(path_to) is MISSING
    assert source.full_text == original


def test_fixing_the_whole_corpus_fixes_these_rules_and_never_trips_on_a_template():
    fixed: set[str] = set()
    for path in TEMPLATES:
        plan = fix_template(read_source(path), RULES, ENVIRONMENTS)
        assert not [o.reason for o in plan.outcomes if "could not be made" in o.reason]
        fixed |= {o.rule_id for o in plan.outcomes if o.status == FIXED}
    # The corpus has no environment parameter (two environments told apart by nothing), few KMS keys
    # and no transaction logs: what it can be fixed in is the settings that hold everywhere.
    assert fixed == {"PAY-DB-PWD-002", "PAY-DB-PWD-003", "PAY-DDB-PITR-001", "PAY-LOGS-002", "PAY-RDS-BACKUP-001",
                     "PAY-RDS-BACKUP-002", "PAY-S3-ENC-001", "PAY-S3-LIFE-005"}
