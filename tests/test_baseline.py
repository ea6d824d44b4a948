"""Baselines: only failures a previous run did not have block; the report still shows them all."""
from __future__ import annotations

import json
import os

import pytest

from checker.cli import main
from checker.decision.baseline import finding_key, load_baseline
from checker.engine.results import FAIL, Result
from checker.errors import InputError
from tests.test_waivers import RULES, TEMPLATE, write

NEW_BUCKET = "  Uploads:\n    Type: AWS::S3::Bucket\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A checkout: rules/, templates/app.yaml, run from its root."""
    write(tmp_path / "rules" / "test.yaml", RULES)
    write(tmp_path / "templates" / "app.yaml", TEMPLATE)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def scan_args(*extra: str) -> list[str]:
    return ["scan", "templates", "--rules", "rules", "--env", "prod", *extra]


def result(file: str | None, resource: str | None = "Logs", status: str = FAIL) -> Result:
    return Result("TEST-BUCKET-ENC-001", "encryption-at-rest", "high", status, "prod", "template", resource,
                  "AWS::S3::Bucket", file, 3, "BucketEncryption is missing", None)


def test_a_finding_is_identified_by_rule_environment_source_resource_and_file_name():
    relative = finding_key(result("templates/app.yaml"))
    assert relative == ("TEST-BUCKET-ENC-001", "prod", "template", "Logs", "app.yaml")
    assert finding_key(result("/home/ci/work/templates/app.yaml")) == relative
    assert finding_key(result("C:\\build\\templates\\app.yaml")) == relative
    assert finding_key(result("templates/app.yaml").to_dict()) == relative
    assert finding_key(result("templates/other.yaml")) != relative
    assert finding_key(result("templates/app.yaml", resource="Archive")) != relative


def test_checker_baseline_writes_the_current_failures_and_a_scan_against_it_passes(project, capsys):
    assert main(["baseline", "templates", "--rules", "rules", "--env", "prod", "-o", "baseline.json"]) == 0
    document = json.loads((project / "baseline.json").read_text())
    assert [(f["rule_id"], f["resource"], f["file"]) for f in document["findings"]] == [
        ("TEST-BUCKET-ENC-001", "Logs", "app.yaml"), ("TEST-TEMPLATE-DESC-001", None, "app.yaml")]
    assert "baseline baseline.json: 2 findings" in capsys.readouterr().out

    assert main(scan_args()) == 1
    assert main(scan_args("--baseline", "baseline.json", "--json", "report.json")) == 0
    out = capsys.readouterr().out
    assert "baseline baseline.json: 2 known failures do not block, 0 new" in out
    payload = json.loads((project / "report.json").read_text())
    assert sum(r["status"] == FAIL for r in payload["results"]) == 2  # still reported
    assert payload["baseline"] == {"path": "baseline.json", "findings": 2, "known_failures": 2, "new_failures": 0}
    assert payload["gate"]["decision"] == "pass"


def test_only_a_new_failure_blocks(project, capsys):
    assert main(["baseline", "templates", "--rules", "rules", "--env", "prod", "-o", "baseline.json"]) == 0
    (project / "templates" / "app.yaml").write_text(TEMPLATE + NEW_BUCKET)
    capsys.readouterr()
    assert main(scan_args("--baseline", "baseline.json", "--json", "report.json")) == 1
    assert "2 known failures do not block, 1 new" in capsys.readouterr().out
    payload = json.loads((project / "report.json").read_text())
    assert {r["resource"] for r in payload["results"] if r["status"] == FAIL} == {"Logs", "Uploads", None}
    assert payload["baseline"]["new_failures"] == 1 and payload["gate"]["decision"] == "block"


def test_a_saved_json_report_is_a_baseline_whatever_the_paths_it_was_written_with(project, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("ci-workspace")
    write(elsewhere / "templates" / "app.yaml", TEMPLATE)
    saved = elsewhere / "previous.json"
    assert main(["scan", str(elsewhere / "templates" / "app.yaml"), "--rules", "rules", "--env", "prod",
                 "--json", str(saved)]) == 1  # absolute paths, another directory
    baseline = load_baseline(str(saved))
    assert baseline.keys == {("TEST-BUCKET-ENC-001", "prod", "template", "Logs", "app.yaml"),
                             ("TEST-TEMPLATE-DESC-001", "prod", "template", None, "app.yaml")}
    assert main(scan_args("--baseline", os.path.relpath(saved))) == 0


def test_passing_and_waived_results_of_a_saved_report_are_not_baselined(tmp_path):
    saved = tmp_path / "previous.json"
    rows = [result("a.yaml", "Logs", FAIL), result("a.yaml", "Archive", "PASS"), result("a.yaml", "Old", "WAIVED"),
            result("a.yaml", "Lost", "ERROR")]
    saved.write_text(json.dumps({"results": [r.to_dict() for r in rows]}))
    assert {key[3] for key in load_baseline(str(saved)).keys} == {"Logs", "Lost"}


@pytest.mark.parametrize(("text", "message", "line"), [
    ('{"results": [\n  {"rule_id": 1,}\n]}', "malformed JSON", 2),
    ('{"checks": []}', "not a baseline", None),
    ('{"findings": [{"rule_id": "R-1"}]}', "finding 1 needs rule_id, environment and source", None),
])
def test_a_bad_baseline_is_an_input_error(tmp_path, text, message, line):
    path = tmp_path / "baseline.json"
    path.write_text(text)
    with pytest.raises(InputError) as raised:
        load_baseline(str(path))
    assert message in raised.value.message and raised.value.line == line


def test_a_bad_baseline_exits_2_before_scanning(project, capsys):
    (project / "baseline.json").write_text("[]")
    assert main(scan_args("--baseline", "baseline.json")) == 2
    assert capsys.readouterr().err.startswith("checker: error: baseline.json: not a baseline")
    assert main(scan_args("--baseline", "missing.json")) == 2


def test_the_html_report_shows_the_baseline_and_the_gate_decision(project):
    assert main(["baseline", "templates", "--rules", "rules", "--env", "prod", "-o", "baseline.json"]) == 0
    (project / "templates" / "app.yaml").write_text(TEMPLATE + NEW_BUCKET)
    assert main(scan_args("--baseline", "baseline.json", "--html", "report.html")) == 1
    html = (project / "report.html").read_text()
    assert "baseline.json" in html and "2 already in the baseline" in html and "1 blocking" in html
