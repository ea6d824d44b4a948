"""Command-line conventions: one format on standard output, rules chosen by id or control, `checker rules`
in JSON or in full, `checker report` deciding as scan does, a closed pipe, baseline findings marked."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from checker.cli import main
from tests.conftest import ROOT
from tests.test_waivers import RULES, TEMPLATE, write

NEW_BUCKET = "  Uploads:\n    Type: AWS::S3::Bucket\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    """rules/ and app.yaml (Logs fails the high rule, the template fails the low one), outside any repository."""
    write(tmp_path / "rules" / "test.yaml", RULES)
    write(tmp_path / "app.yaml", TEMPLATE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


def scan(*args: str) -> int:
    return main(["scan", "app.yaml", "--rules", "rules", *args])


def failing(payload: dict) -> set[tuple[str, str | None]]:
    return {(r["rule_id"], r["resource"]) for r in payload["results"] if r["status"] == "FAIL"}


# --- one format on standard output ----------------------------------------------------------------------

@pytest.mark.parametrize("args", [["-o", "json"], ["--json", "-"], ["--json", "/dev/stdout"]])
def test_a_format_on_standard_output_is_all_that_goes_there(project, capsys, args):
    assert scan(*args) == 1
    captured = capsys.readouterr()
    assert failing(json.loads(captured.out)) == {("TEST-BUCKET-ENC-001", "Logs"), ("TEST-TEMPLATE-DESC-001", None)}
    assert captured.err.splitlines()[0].startswith("checker 0.1.0 · 2 rules · no checker.yaml here")
    assert "default: 1 passed, 2 failed (1 high, 1 low), 0 errors, 0 not applicable" in captured.err
    assert "TEST-BUCKET-ENC-001" not in captured.err  # no table: the format carries the findings


def test_a_format_on_standard_output_may_go_with_report_files(project, capsys):
    assert scan("-o", "sarif", "--json", "out/report.json") == 1
    assert json.loads(capsys.readouterr().out)["version"] == "2.1.0"
    assert failing(json.loads((project / "out" / "report.json").read_text()))


def test_two_formats_cannot_share_standard_output(project, capsys):
    assert scan("-o", "json", "--sarif", "-") == 2
    assert capsys.readouterr().err == ("checker: error: --output: only one format can go to standard output, "
                                       "not json, sarif\n")


def test_the_output_format_may_be_set_in_the_config(project, capsys):
    write(project / "checker.yaml", "output: markdown\n")
    assert scan() == 1
    assert capsys.readouterr().out.startswith("### Compliance check failed")


# --- choosing rules -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "expected"), [
    (["--skip-rule", "TEST-BUCKET-ENC-001"], {("TEST-TEMPLATE-DESC-001", None)}),
    (["--skip-rule", "test-bucket-*"], {("TEST-TEMPLATE-DESC-001", None)}),
    (["--only-rule", "TEST-BUCKET-ENC-001"], {("TEST-BUCKET-ENC-001", "Logs")}),
    (["--only-rule", "control:encryption-at-rest", "--skip-rule", "TEST-TEMPLATE-DESC-001"],
     {("TEST-BUCKET-ENC-001", "Logs")}),
    (["--skip-rule", "TEST-BUCKET-ENC-001,TEST-TEMPLATE-DESC-001", "--only-rule", "TEST-*"], None),
])
def test_rules_are_skipped_or_chosen_by_id_glob_or_control(project, args, expected):
    code = scan(*args, "--json", "out.json")
    if expected is None:
        assert code == 2
        return
    payload = json.loads((project / "out.json").read_text())
    assert failing(payload) == expected
    assert set(payload["rule_pack"]["skipped_rules"]) == {"TEST-BUCKET-ENC-001", "TEST-TEMPLATE-DESC-001"} - {
        rule for rule, _ in expected}


@pytest.mark.parametrize(("args", "message"), [
    (["--skip-rule", "TEST-BUCKET-ENC-01"],
     "--skip-rule: no rule 'TEST-BUCKET-ENC-01' (did you mean TEST-BUCKET-ENC-001?)"),
    (["--only-rule", "control:encryption"], "--only-rule: no rule has control 'encryption' (did you mean "
                                            "encryption-at-rest?)"),
    (["--only-rule", "PAY-*"], "--only-rule: 'PAY-*' matches no rule id"),
    (["--skip-rule", "TEST-*"], "--skip-rule: no rule is left to run"),
])
def test_a_rule_selection_that_matches_nothing_is_an_error(project, capsys, args, message):
    assert scan(*args) == 2
    assert capsys.readouterr().err == f"checker: error: {message}\n"


# --- checker rules --------------------------------------------------------------------------------------

def test_rules_as_json_carry_logic_params_and_cases(project, capsys):
    assert main(["rules", "--rules", "rules", "--json"]) == 0
    documents = json.loads(capsys.readouterr().out)
    assert [d["id"] for d in documents] == ["TEST-BUCKET-ENC-001", "TEST-TEMPLATE-DESC-001"]
    assert documents[0]["assert"] == [{"expr": "Properties.BucketEncryption != `null`",
                                       "message": "BucketEncryption is missing"}]
    assert [(c["name"], c["expect"]) for c in documents[0]["cases"]] == [("encrypted", "PASS"), ("plain", "FAIL")]


def test_one_rule_in_full_with_its_rationale_params_per_environment_and_cases(in_repo, capsys):
    assert main(["rules", "PAY-S3-LIFE-006"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("PAY-S3-LIFE-006  ")
    fields = {line.split()[0] + (" " + line.split()[1] if line.split()[0] == "params" else ""): line
              for line in lines[1:]}
    assert fields["params prod"].endswith('{"min_retention_days": 365}')
    assert fields["params dev"].endswith('{"min_retention_days": 30}')
    assert "PCI DSS v4.0 requirement 10.5.1" in fields["rationale"]
    assert any(line.split()[:2] == ["case", "PASS"] for line in lines)


def test_an_unknown_rule_id_is_an_error_suggesting_the_nearest(project, capsys):
    assert main(["rules", "--rules", "rules", "TEST-BUCKET-ENC-01"]) == 2
    assert capsys.readouterr().err == ("checker: error: rules: no rule 'TEST-BUCKET-ENC-01' "
                                       "(did you mean TEST-BUCKET-ENC-001?)\n")


def test_a_closed_pipe_ends_quietly():
    listing = subprocess.Popen([sys.executable, "-m", "checker", "rules", "--json"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert listing.stdout is not None and listing.stderr is not None
    listing.stdout.read(1)
    listing.stdout.close()  # as `head -c 1` does
    error = listing.stderr.read().decode()
    assert listing.wait(timeout=60) == 141 and error == ""


# --- checker report decides as scan does -----------------------------------------------------------------

def _saved(project, name: str, *args: str) -> str:
    scan(*args, "--json", name)
    return str(project / name)


def test_report_of_a_failed_run_exits_1_and_prints_its_findings(project, capsys):
    saved = _saved(project, "a.json")
    capsys.readouterr()
    assert main(["report", saved]) == 1
    out = capsys.readouterr().out
    assert "TEST-BUCKET-ENC-001" in out and out.splitlines()[-1] == "gate: BLOCK: 2 blocking reason(s)"


def test_merged_reports_keep_the_strictest_threshold_unless_one_is_given(project, capsys):
    strict = _saved(project, "strict.json")
    lenient = _saved(project, "lenient.json", "--fail-on", "high", "--skip-rule", "TEST-BUCKET-ENC-001")
    assert main(["report", lenient]) == 0  # decided again with the threshold it was saved with
    assert main(["report", lenient, strict, "--json", "merged.json"]) == 1
    assert json.loads((project / "merged.json").read_text())["gate"]["fail_on"] == "low"
    assert main(["report", lenient, strict, "--fail-on", "critical"]) == 0
    assert main(["report", lenient, strict, "--soft-fail"]) == 0


def test_report_of_a_run_with_input_errors_exits_2(project):
    write(project / "broken.yaml", "Resources: [\n")
    main(["scan", "app.yaml", "broken.yaml", "--rules", "rules", "--json", "saved.json"])
    assert main(["report", "saved.json", "--allow-errors", "--fail-on", "critical"]) == 2


# --- baselines: new or known everywhere --------------------------------------------------------------------

def test_with_a_baseline_results_are_marked_new_or_known_in_every_output(project, capsys):
    main(["baseline", "app.yaml", "--rules", "rules", "-o", "baseline.json"])
    write(project / "app.yaml", TEMPLATE + NEW_BUCKET)
    capsys.readouterr()
    assert scan("--baseline", "baseline.json", "--json", "r.json", "--markdown", "r.md", "--sarif", "r.sarif") == 1
    out = capsys.readouterr().out.splitlines()
    table = {(line.split()[3], line.split()[4]): line.split()[-1] for line in out if line.startswith("default ")}
    assert table == {("TEST-BUCKET-ENC-001", "Logs"): "known", ("TEST-BUCKET-ENC-001", "Uploads"): "new",
                     ("TEST-TEMPLATE-DESC-001", "(template)"): "known"}
    assert out[-1] == ("baseline baseline.json: 2 known failures do not block, 1 new: "
                       "TEST-BUCKET-ENC-001 Uploads [default]")
    payload = json.loads((project / "r.json").read_text())
    assert {(r["resource"], r.get("baseline_state")) for r in payload["results"]} == {
        ("Logs", "known"), ("Uploads", "new"), (None, "known"), ("Archive", None)}
    markdown = (project / "r.md").read_text()
    assert "Baseline: 1 new, 2 known." in markdown and "| Uploads | app.yaml:8 | BucketEncryption is missing " \
                                                      "| new |" in markdown
    sarif = json.loads((project / "r.sarif").read_text())["runs"][0]["results"]
    assert {(r["locations"][0]["logicalLocations"][0]["name"] if r["locations"][0].get("logicalLocations")
             else None, r["baselineState"]) for r in sarif} == {("Logs", "unchanged"), ("Uploads", "new"),
                                                                (None, "unchanged")}


def test_report_keeps_the_baseline_a_saved_run_accepted(project):
    main(["baseline", "app.yaml", "--rules", "rules", "-o", "baseline.json"])
    saved = _saved(project, "saved.json", "--baseline", "baseline.json")
    assert main(["report", saved]) == 0


def test_the_html_report_names_the_rules_that_did_not_run(project):
    scan("--skip-rule", "TEST-TEMPLATE-DESC-001", "--html", "r.html")
    assert "1 rules); not run: <code>TEST-TEMPLATE-DESC-001</code>" in (project / "r.html").read_text()


def test_report_decides_again_on_unknown_resource_types_with_its_own_allow_errors(project):
    write(project / "app.yaml", TEMPLATE.replace("Archive:\n    Type: AWS::S3::Bucket",
                                                 "Archive:\n    Type: AWS::S3::Bukcet"))
    saved = _saved(project, "saved.json", "--fail-on", "critical")
    assert json.loads((project / "saved.json").read_text())["gate"]["refusals"] == [
        "unknown resource type AWS::S3::Bukcet (Archive)"]
    assert main(["report", saved]) == 1
    assert main(["report", saved, "--allow-errors"]) == 0
