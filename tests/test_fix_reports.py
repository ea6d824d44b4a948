"""Fixes where users see findings: SARIF `fixes`, the HTML report, the Markdown summary and the pull-request
suggestions; each, applied to the template, makes the failures it claims to fix pass."""
from __future__ import annotations

import contextlib
import dataclasses
import json

import jsonschema
import pytest

from checker.engine.results import FAIL, WAIVED
from checker.engine.rules import bundled_rule_dirs, load_rules
from checker.engine.scan import scan_template
from checker.fix.plan import fix_template
from checker.fix.report import fix_payload, read_source, suggestions
from checker.project.plan import select_environments
from checker.report.html import render_html
from checker.report.markdown import render_markdown
from checker.report.payload import build_payload
from checker.report.sarif import render_sarif
from checker.scans import scan
from checker.template.load import Template, parse, validate_shape
from tests.conftest import ROOT

RULES = load_rules(bundled_rule_dirs())
ENVIRONMENTS = select_environments(str(ROOT / "checker.yaml"), [], None, {})
SEED = "tests/fixtures/seed-flawed.yaml"
SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())


@pytest.fixture(scope="module")
def payload():
    """The report payload of the seed, scanned from the repository root as CI does."""
    with contextlib.chdir(ROOT):
        report = scan([SEED], RULES, ENVIRONMENTS)
        return build_payload(report, RULES, ENVIRONMENTS, fixes=fix_payload(report.results, RULES, ENVIRONMENTS))


def _failing(text: str, rule_id: str) -> set[str]:
    template = Template(SEED, validate_shape(parse(text, SEED), SEED))
    return {r.environment for r in scan_template(template, RULES, ENVIRONMENTS).results if r.rule_id == rule_id
            and r.status == FAIL}


def _apply(text: str, replacements: list[dict]) -> str:
    for change in sorted(replacements, key=lambda c: c["deletedRegion"]["charOffset"], reverse=True):
        offset, length = change["deletedRegion"]["charOffset"], change["deletedRegion"]["charLength"]
        text = text[:offset] + change.get("insertedContent", {}).get("text", "") + text[offset + length:]
    return text


def test_sarif_with_fixes_is_valid_against_the_schema(payload):
    jsonschema.validate(json.loads(render_sarif(payload)), SCHEMA)


def test_a_sarif_fix_applied_to_the_template_makes_its_result_pass(payload):
    results = [r for r in json.loads(render_sarif(payload))["runs"][0]["results"]
               if r["ruleId"] == "PAY-RDS-BACKTRACK-001"]
    assert [r["properties"]["environments"] for r in results] == [["prod", "staging", "dev"]]  # one per place
    [change] = results[0]["fixes"][0]["artifactChanges"]
    assert change["artifactLocation"]["uri"] == SEED
    original = (ROOT / SEED).read_text()
    assert _failing(original, "PAY-RDS-BACKTRACK-001") == {"prod", "staging", "dev"}
    assert _failing(_apply(original, change["replacements"]), "PAY-RDS-BACKTRACK-001") == set()


def test_a_failure_without_a_fix_carries_no_sarif_fix(payload):
    results = json.loads(render_sarif(payload))["runs"][0]["results"]
    assert {r["ruleId"] for r in results if "fixes" not in r} == {"PAY-SNAP-002"}


def test_the_html_report_shows_each_failure_patch_or_why_there_is_none(payload):
    html = render_html(payload)
    assert html.count('class="fix fix-FIXED"') == 11 and html.count('class="fix fix-WITHHELD"') == 1
    assert '<span class="add">+      BacktrackWindowSeconds: 259200</span>' in html
    assert "No fix is offered: the fix needs the one AWS::Lambda::Function of the template; found 0" in html
    assert f"checker fix {SEED} --rule PAY-RDS-BACKTRACK-001 --write" in html


def test_the_markdown_summary_shows_the_whole_patch_and_how_to_apply_it(payload):
    markdown = render_markdown(payload)
    section = markdown[markdown.index("#### Suggested fixes"):]
    assert f"`checker fix {SEED} --write` fixes" in section
    assert "```diff\n--- a/tests/fixtures/seed-flawed.yaml\n" in section
    assert "+      BacktrackWindow: !FindInMap [EnvironmentConfig, !Ref Environment, BacktrackWindowSeconds]" in section


def test_the_suggestions_applied_together_give_exactly_what_checker_fix_writes(payload):
    lines = (ROOT / SEED).read_text().splitlines(keepends=True)
    comments = suggestions(payload, str)
    for comment in sorted(comments, key=lambda c: c["line"], reverse=True):
        body = comment["body"]
        fence = body[body.index("```"):body.index("suggestion\n")]
        text = body[body.index("suggestion\n") + len("suggestion\n"):body.rindex(fence)]
        lines[comment.get("start_line", comment["line"]) - 1:comment["line"]] = [text] if text else []
    assert "".join(lines) == fix_template(read_source(ROOT / SEED), RULES, ENVIRONMENTS).fixed
    assert {c["path"] for c in comments} == {SEED} and all(c["side"] == "RIGHT" for c in comments)


def test_a_report_of_rules_without_fixes_has_no_fix_sections(payload):
    bare = {**payload, "fixes": [], "patches": []}
    assert "#### Suggested fixes" not in render_markdown(bare) and 'class="fix ' not in render_html(bare)
    assert all("fixes" not in r for r in json.loads(render_sarif(bare))["runs"][0]["results"])


def test_a_waived_failure_is_not_offered_a_fix():
    with contextlib.chdir(ROOT):
        results = [dataclasses.replace(r, status=WAIVED) if r.rule_id == "PAY-RDS-BACKTRACK-001" else r
                   for r in scan([SEED], RULES, ENVIRONMENTS).results]
        fixes = fix_payload(results, RULES, ENVIRONMENTS)
    assert "PAY-RDS-BACKTRACK-001" not in {e["rule_id"] for e in fixes["fixes"]}
    assert "BacktrackWindow" not in fixes["patches"][0]["diff"]


def test_a_template_with_too_many_failures_gets_a_note_instead_of_fixes(tmp_path, monkeypatch):
    from checker.cli import main
    from checker.fix import report as fix_report

    monkeypatch.setattr(fix_report, "REPORT_LIMIT", 1)
    monkeypatch.chdir(ROOT)
    target = tmp_path / "report.json"
    main(["scan", str(SEED), "--env", "prod", "-q", "--json", str(target), "--markdown", str(tmp_path / "r.md")])
    payload = json.loads(target.read_text())
    assert payload["fixes"] == [] and [p["diff"] for p in payload["patches"]] == [""]
    [note] = [n for n in payload["notes"] if "too many to make and verify" in n]
    assert note.endswith(f"checker fix {SEED} makes them")
    assert "too many to make and verify" in (tmp_path / "r.md").read_text()


def test_fixes_made_alone_and_together_in_one_go_equal_the_two_made_apart(monkeypatch):
    import checker.fix.plan as plan_module

    source = read_source(ROOT / SEED)
    apart = (fix_template(source, RULES, ENVIRONMENTS, together=False), fix_template(source, RULES, ENVIRONMENTS))
    texts = []
    assess = plan_module.assess
    monkeypatch.setattr(plan_module, "assess", lambda src, *rest: texts.append(src.full_text) or assess(src, *rest))
    shared = plan_module.fix_alone_and_together(source, RULES, ENVIRONMENTS, lambda *_: True)
    assert [dataclasses.asdict(p) for p in shared] == [dataclasses.asdict(p) for p in apart]
    assert len(texts) == len(set(texts))  # each patched text is rendered and evaluated once
