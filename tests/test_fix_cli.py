"""`checker fix`: the diff on standard output, --write, --rule and --env, exit codes and bad input."""
from __future__ import annotations

import shutil

import pytest

from checker.cli import main
from tests.conftest import ROOT

SEED = ROOT / "tests" / "fixtures" / "seed-flawed.yaml"


@pytest.fixture
def seed(in_repo, tmp_path):
    copy = tmp_path / "seed.yaml"
    shutil.copy(SEED, copy)
    return copy


def _changes(diff: str) -> tuple[list[str], list[str]]:
    body = [line for line in diff.splitlines() if not line.startswith(("---", "+++"))]
    return [line[1:] for line in body if line.startswith("-")], [line[1:] for line in body if line.startswith("+")]


def test_fix_prints_a_unified_diff_and_leaves_the_file_alone(seed, capsys):
    before = seed.read_text()
    assert main(["fix", str(seed)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith(f"--- a/{seed}\n+++ b/{seed}\n@@ ")
    assert f"{seed}: 8 fix(es) verified in each environment; --write applies them" in err
    assert seed.read_text() == before


def test_fix_write_applies_the_patch_and_a_second_run_finds_nothing(seed, capsys):
    assert main(["fix", str(seed), "--write"]) == 0
    assert "8 fix(es) written" in capsys.readouterr().err
    assert main(["fix", str(seed)]) == 0
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"{seed}: nothing to fix\n")


def test_fix_of_one_rule_changes_only_what_that_rule_needs(seed, capsys):
    assert main(["fix", str(seed), "--rule", "PAY-RDS-BACKTRACK-001"]) == 0
    out, err = capsys.readouterr()
    assert _changes(out) == ([], ["      BacktrackWindowSeconds: 259200", "      BacktrackWindowSeconds: 86400",
                                  "      BacktrackWindowSeconds: 3600",
                                  "      BacktrackWindow: !FindInMap [EnvironmentConfig, !Ref Environment, "
                                  "BacktrackWindowSeconds]"])
    assert err.splitlines()[0] == "fixed     PAY-RDS-BACKTRACK-001  AuroraCluster in prod, staging, dev"


def test_fix_of_one_environment_leaves_the_failures_of_the_others(seed, capsys):
    assert main(["fix", str(seed), "--env", "dev"]) == 0
    err = capsys.readouterr().err
    assert "PAY-S3-REPL-001" not in err and "PAY-SNAP-001" not in err
    assert "fixed     PAY-S3-LIFE-001  TransactionLogsBucket in dev" in err


def test_without_a_configuration_the_environment_named_is_the_one_fixed(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    shutil.copy(SEED, tmp_path / "seed.yaml")
    main(["fix", "seed.yaml", "--env", "prod"])
    err = capsys.readouterr().err
    assert "fixed     PAY-S3-LIFE-001  TransactionLogsBucket in prod" in err and "nothing to fix" not in err


def test_an_environment_the_template_does_not_deploy_to_is_refused(in_repo, tmp_path, capsys):
    (tmp_path / "checker.yaml").write_text("environments:\n  prod: {region: us-east-1}\n  dev: {region: us-west-2}\n"
                                           "templates:\n  seed.yaml: [prod]\n")
    shutil.copy(SEED, tmp_path / "seed.yaml")
    assert main(["fix", str(tmp_path / "seed.yaml"), "--config", str(tmp_path / "checker.yaml"), "--env", "dev"]) == 2
    assert "is not deployed to dev (it deploys to prod)" in capsys.readouterr().err


def test_a_failure_without_a_fix_is_named_with_its_reason_and_exits_1(seed, capsys):
    assert main(["fix", str(seed), "--region", "eu-west-1", "--rule", "PAY-REGION-001"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("no fix    PAY-REGION-001  (template) in prod, staging, dev: The Region is chosen")


def test_a_json_template_is_fixed_as_json(in_repo, tmp_path, capsys):
    template = tmp_path / "key.json"
    template.write_text('{\n  "Resources": {\n    "Key": {\n      "Type": "AWS::KMS::Key",\n'
                        '      "Properties": {"Description": "data"}\n    }\n  }\n}\n')
    assert main(["fix", str(template), "--rule", "PAY-KMS-ROT-001", "--write"]) == 0
    assert template.read_text() == ('{\n  "Resources": {\n    "Key": {\n      "Type": "AWS::KMS::Key",\n'
                                    '      "Properties": {"Description": "data", "EnableKeyRotation": true}\n'
                                    '    }\n  }\n}\n')


@pytest.mark.parametrize(("args", "message"), [
    (["--rule", "PAY-NOPE-001"], "checker: error: --rule: unknown rule PAY-NOPE-001 (see 'checker rules')"),
    (["--env", "qa"], "unknown environment 'qa' (declared: prod, staging, dev)"),
])
def test_bad_options_are_one_line_errors_with_exit_2(seed, capsys, args, message):
    assert main(["fix", str(seed), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_file_that_is_no_template_is_refused_with_exit_2(in_repo, tmp_path, capsys):
    notes = tmp_path / "notes.yaml"
    notes.write_text("owner: payments\n")
    assert main(["fix", str(notes)]) == 2
    assert capsys.readouterr().err == f"checker: error: {notes}: not a CloudFormation template (no Resources section)\n"


def test_a_parameter_value_the_template_refuses_is_a_one_line_error(in_repo, tmp_path, capsys):
    template = tmp_path / "sized.yaml"
    template.write_text("Parameters:\n  Size: {Type: Number, MaxValue: 3}\nResources:\n  Key: {Type: AWS::KMS::Key}\n")
    assert main(["fix", str(template), "--param", "Size=9"]) == 2
    assert capsys.readouterr().err == (f"checker: error: {template}: environment 'prod': parameter Size='9' "
                                       "is outside its MaxValue 3\n")
