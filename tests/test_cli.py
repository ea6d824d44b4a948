"""The command line: exit codes, messages and the JSON report, with a tiny rule pack of its own."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from checker import __version__
from checker.cli import main
from tests.conftest import ROOT

VERSIONING_RULE = """\
rules:
  - id: T-S3-VERSIONING-001
    title: Buckets keep object versions
    control: replication
    severity: medium
    target: AWS::S3::Bucket
    sources: [template]
    assert:
      - expr: "Properties.VersioningConfiguration.Status == 'Enabled'"
        message: versioning must be enabled
    remediation: Enable versioning.
    references: [https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html]
    tests:
      - name: enabled
        resource: {Type: AWS::S3::Bucket, Properties: {VersioningConfiguration: {Status: Enabled}}}
        expect: PASS
      - name: missing
        resource: {Type: AWS::S3::Bucket}
        expect: FAIL
"""

GOOD = "Resources:\n  Logs:\n    Type: AWS::S3::Bucket\n    Properties:\n" \
       "      VersioningConfiguration: {Status: Enabled}\n"
UNVERSIONED = "Resources:\n  Logs:\n    Type: AWS::S3::Bucket\n"
UNDECIDABLE = "Parameters:\n  Status: {Type: String}\nResources:\n  Logs:\n    Type: AWS::S3::Bucket\n" \
              "    Properties:\n      VersioningConfiguration: {Status: !Ref Status}\n"
MALFORMED = "Resources:\n  Logs:\n    Type: AWS::S3::Bucket\n    Properties: {VersioningConfiguration: [\n"
NOT_A_TEMPLATE = "environments:\n  prod: {region: us-east-1}\n"


@pytest.fixture(autouse=True)
def workspace(tmp_path, monkeypatch):
    """An empty working directory (no checker.yaml) with a one-rule pack in rules/."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    write("rules/s3.yaml", VERSIONING_RULE)
    return tmp_path


def write(name: str, text: str) -> str:
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return name


def scan(*args: str) -> int:
    return main(["scan", *args, "--rules", "rules", "--region", "us-east-1"])


def report(*args: str) -> tuple[int, dict]:
    code = scan(*args, "--json", "out/report.json")
    return code, json.loads(Path("out/report.json").read_text(encoding="utf-8"))


# --- exit codes ------------------------------------------------------------------------------------------

def test_clean_scan_exits_0(capsys):
    assert scan(write("t/good.yaml", GOOD)) == 0
    assert capsys.readouterr().err == ""


def test_failing_result_exits_1(capsys):
    assert scan(write("t/bad.yaml", UNVERSIONED)) == 1
    out = capsys.readouterr().out
    assert "T-S3-VERSIONING-001" in out
    assert "versioning must be enabled" in out


def test_fail_on_high_lets_a_medium_failure_pass():
    assert scan(write("t/bad.yaml", UNVERSIONED), "--fail-on", "high") == 0


def test_fail_on_medium_still_fails_a_medium_failure():
    assert scan(write("t/bad.yaml", UNVERSIONED), "--fail-on", "medium") == 1


def test_error_result_fails_the_run():
    code, payload = report(write("t/undecidable.yaml", UNDECIDABLE))
    assert [r["status"] for r in payload["results"]] == ["ERROR"]
    assert code == 1


def test_error_result_passes_with_allow_errors():
    assert scan(write("t/undecidable.yaml", UNDECIDABLE), "--allow-errors") == 0


def test_param_gives_a_value_that_decides_the_result():
    assert scan(write("t/undecidable.yaml", UNDECIDABLE), "--param", "Status=Enabled") == 0


def test_malformed_template_exits_2_with_one_line_naming_file_and_line(capsys):
    path = write("t/broken.yaml", MALFORMED)
    assert scan(path) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"checker: error: {path}:5: malformed YAML: ")


def test_duplicate_key_exits_2_naming_its_line(capsys):
    path = write("t/twice.yaml", "Resources:\n  Logs: {Type: AWS::S3::Bucket}\n  Logs: {Type: AWS::S3::Bucket}\n")
    assert scan(path) == 2
    assert capsys.readouterr().err.splitlines() == [f"checker: error: {path}:3: duplicate key 'Logs'"]


def test_unknown_environment_exits_2_naming_it(capsys):
    write("checker.yaml", "environments:\n  prod: {region: us-east-1}\n")
    assert main(["scan", write("t/good.yaml", GOOD), "--rules", "rules", "--env", "qa"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "checker: error: checker.yaml: unknown environment 'qa' (declared: prod)"]


def test_param_without_equals_sign_exits_2(capsys):
    assert scan(write("t/good.yaml", GOOD), "--param", "Status") == 2
    assert capsys.readouterr().err.splitlines() == ["checker: error: --param: expected KEY=VALUE, got 'Status'"]


def test_missing_path_exits_2(capsys):
    assert scan("t/absent.yaml") == 2
    assert "t/absent.yaml" in capsys.readouterr().err


def test_bad_rules_directory_exits_2(capsys):
    assert main(["scan", write("t/good.yaml", GOOD), "--rules", "no-such-rules"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "checker: error: no-such-rules: rule directory does not exist (given with --rules)"]


def test_no_input_error_ever_shows_a_traceback(capsys):
    write("t/broken.yaml", MALFORMED)
    Path("t/latin1.yaml").write_bytes(b"Resources:\n  L\xf6gs: {Type: AWS::S3::Bucket}\n")
    assert scan("t") == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err


def test_value_that_breaks_a_rule_function_is_an_error_result_not_a_crash():
    write("pattern-rules/pattern.yaml", VERSIONING_RULE.replace("T-S3-VERSIONING-001", "T-S3-NAME-001").replace(
        "\"Properties.VersioningConfiguration.Status == 'Enabled'\"",
        "\"pattern_accepts(Properties.Tags[0].Value, 'payments')\""))
    template = write("t/pattern.yaml", "Resources:\n  Logs:\n    Type: AWS::S3::Bucket\n    Properties:\n"
                                       "      Tags: [{Key: pattern, Value: '[unclosed'}]\n")
    code = main(["scan", template, "--rules", "pattern-rules", "--json", "out/report.json"])
    payload = json.loads(Path("out/report.json").read_text(encoding="utf-8"))
    assert [r["status"] for r in payload["results"]] == ["ERROR"]
    assert code == 1


# --- directories ----------------------------------------------------------------------------------------

def test_directory_with_a_bad_template_reports_the_good_one_and_exits_2(capsys):
    write("t/a-good.yaml", GOOD)
    write("t/b-broken.yaml", MALFORMED)
    code, payload = report("t")
    assert code == 2
    assert [(r["file"], r["resource"], r["status"]) for r in payload["results"]] == [
        ("t/a-good.yaml", "Logs", "PASS")]
    assert "t/b-broken.yaml:5: malformed YAML" in capsys.readouterr().err


def test_non_template_yaml_in_a_directory_is_skipped(capsys):
    write("t/good.yaml", GOOD)
    write("t/settings.yaml", NOT_A_TEMPLATE)
    assert scan("t") == 0
    assert "skipped t/settings.yaml: not a CloudFormation template (no Resources section)" in capsys.readouterr().out


def test_non_template_yaml_given_by_name_is_an_error(capsys):
    assert scan(write("t/settings.yaml", NOT_A_TEMPLATE)) == 2
    assert "t/settings.yaml: not a CloudFormation template (no Resources section)" in capsys.readouterr().err


def test_resources_as_a_list_in_a_directory_is_an_error_not_skipped(capsys):
    write("t/good.yaml", GOOD)
    write("t/list.yaml", "Resources:\n  - Type: AWS::S3::Bucket\n")
    assert scan("t") == 2
    assert "t/list.yaml:1: Resources must be a mapping of logical ids, not a list" in capsys.readouterr().err


# --- JSON report ----------------------------------------------------------------------------------------

RESULT_KEYS = {"rule_id", "control", "severity", "status", "environment", "source", "resource", "resource_type",
               "file", "line", "message", "evidence", "decided_by"}


def test_json_report_has_tool_summary_and_results():
    _, payload = report(write("t/bad.yaml", UNVERSIONED))
    assert {"tool", "summary", "results"} <= set(payload)
    assert payload["tool"] == {"name": "checker", "version": __version__}


def test_json_result_has_exactly_the_documented_keys():
    _, payload = report(write("t/bad.yaml", UNVERSIONED))
    [result] = payload["results"]
    assert set(result) == RESULT_KEYS
    assert {key: result[key] for key in RESULT_KEYS - {"evidence"}} == {"decided_by": [1],
        "rule_id": "T-S3-VERSIONING-001", "control": "replication", "severity": "medium", "status": "FAIL",
        "environment": "default", "source": "template", "resource": "Logs", "resource_type": "AWS::S3::Bucket",
        "file": "t/bad.yaml", "line": 2, "message": "versioning must be enabled"}


def test_json_result_of_a_passing_resource_points_at_its_line():
    _, payload = report(write("t/good.yaml", GOOD))
    assert [(r["status"], r["file"], r["line"]) for r in payload["results"]] == [("PASS", "t/good.yaml", 2)]


# --- other commands -------------------------------------------------------------------------------------

def test_rules_command_lists_the_rules(capsys):
    assert main(["rules", "--rules", "rules"]) == 0
    [listing, total] = capsys.readouterr().out.splitlines()
    assert listing.split()[:4] == ["T-S3-VERSIONING-001", "replication", "medium", "AWS::S3::Bucket"]
    assert total == "1 rules"


def test_test_rules_command_runs_every_case(capsys):
    assert main(["test-rules", "--rules", "rules"]) == 0
    assert capsys.readouterr().out.splitlines() == ["2 passed, 0 failed"]


def test_test_rules_command_fails_on_a_case_with_the_wrong_expectation(capsys):
    write("rules/s3.yaml", VERSIONING_RULE.replace("expect: FAIL", "expect: PASS"))
    assert main(["test-rules", "--rules", "rules"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "FAILED T-S3-VERSIONING-001 [missing]: expected PASS, got FAIL: versioning must be enabled"
    assert out[-1] == "1 passed, 2 failed"  # the wrong case, and no case expecting FAIL any more


def test_version_runs_as_a_module():
    completed = subprocess.run([sys.executable, "-m", "checker", "--version"], capture_output=True, text=True,
                               check=False)
    assert (completed.returncode, completed.stdout.strip()) == (0, f"checker {__version__}")


def test_the_readme_shows_the_header_and_summary_the_quick_start_prints(in_repo, capsys):
    shown = re.search(r"how many\ntemplates:\n\n```\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    assert shown and main(["scan", "templates/payment-stack.yaml", "-q"]) == 0
    assert capsys.readouterr().out == shown.group(1)
