"""The package as a library: what the command line does, a CI system or a notebook can call directly."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

import checker
from checker.cli import main
from tests.conftest import ROOT

PAYMENT = ROOT / "templates" / "payment-stack.yaml"
SEED = ROOT / "tests" / "fixtures" / "seed-flawed.yaml"
RULES = checker.load_rules(checker.bundled_rule_dirs())


def _prod() -> checker.EnvironmentPlan:
    return checker.plan_environments(checker.find_config(str(ROOT / "checker.yaml")), ["prod"])


def test_the_payment_stack_passes_the_prod_gate_through_the_library():
    plan = _prod()
    report = checker.scan([PAYMENT], RULES, plan)
    decision = checker.decide(report.results, fail_on="high", allow_errors=False)
    assert not report.errors and not decision.blocked
    assert {r.environment for r in report.results} == {"prod"}


def test_the_flawed_stack_is_blocked_by_its_high_severity_gaps():
    prod = checker.Environment("prod", "us-east-1", parameters={"Environment": "prod"})
    report = checker.scan([SEED], RULES, [prod])
    decision = checker.decide(report.results, fail_on="high", allow_errors=False)
    assert not report.errors
    assert {r.rule_id for r in decision.blocking} == {
        "PAY-DB-PWD-002", "PAY-DB-PWD-003", "PAY-DB-PWD-005", "PAY-RDS-BACKTRACK-001", "PAY-REGION-002",
        "PAY-S3-REPL-001", "PAY-S3-REPL-007"}


def test_a_rendered_document_evaluated_by_hand_gives_the_scan_results():
    env = _prod().for_template(PAYMENT)[0]
    template = checker.load_template(PAYMENT)
    document = checker.render(template, env)
    by_hand = checker.evaluate(RULES, document, env.name, "template", template.path, template.line_of)
    scanned = checker.scan([PAYMENT], RULES, [env], declared=[])
    assert by_hand
    assert sorted((r.rule_id, r.resource, r.status) for r in by_hand) \
        == sorted((r.rule_id, r.resource, r.status) for r in scanned.results)


def test_the_command_line_reports_what_the_library_scan_finds(tmp_path, capsys):
    output = tmp_path / "scan.json"
    main(["scan", str(PAYMENT), "--config", str(ROOT / "checker.yaml"), "--env", "prod", "-q",
          "--json", str(output)])
    written = json.loads(output.read_text())["results"]
    library = checker.scan([PAYMENT], RULES, _prod()).results
    assert sorted((r["rule_id"], r["resource"], r["status"]) for r in written) \
        == sorted((r.rule_id, r.resource, r.status) for r in library)


def test_reports_are_written_from_a_library_scan(tmp_path):
    plan = _prod()
    report = checker.scan([PAYMENT], RULES, plan)
    decision = checker.decide(report.results, fail_on="high", allow_errors=False)
    payload = checker.build_payload(report, RULES, plan.environments, decision)
    failures = checker.write_reports(payload, {"html": str(tmp_path / "r.html"), "sarif": str(tmp_path / "r.sarif")})
    assert failures == []
    assert json.loads((tmp_path / "r.sarif").read_text())["version"] == "2.1.0"
    assert "PAY-S3-REPL-001" in (tmp_path / "r.html").read_text()


def test_bad_input_raises_an_input_error_naming_the_file(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("Resources: [\n")
    with pytest.raises(checker.InputError) as raised:
        checker.load_template(broken)
    assert str(broken) in str(raised.value)


def test_a_template_scan_through_the_library_does_not_import_boto3():
    probe = (f"import sys, checker; checker.scan([{str(PAYMENT)!r}], checker.load_rules(checker.bundled_rule_dirs()),"
             " [checker.Environment('prod', 'us-east-1')]); print('boto3' in sys.modules)")
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert completed.stdout.strip() == "False", completed.stderr


def test_every_exported_name_exists():
    assert all(hasattr(checker, name) for name in checker.__all__)


def test_the_readme_example_runs_and_passes_the_payment_stack(monkeypatch, capsys):
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## As a library"):]
    example = section[section.index("```python\n") + 10:section.index("```\n", section.index("```python"))]
    monkeypatch.chdir(ROOT)
    exec(compile(example, "README.md", "exec"), {})
    assert capsys.readouterr().out == "PASS []\n"
