"""Command-line fit for pipelines: template gate, thresholds, soft-fail, hook-friendly skipping, progress."""
from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from io import StringIO

import pytest

from checker.cli import main
from checker.report.progress import Progress
from tests.conftest import ROOT
from tests.test_waivers import RULES, write

SEED = "tests/fixtures/seed-flawed.yaml"
PAYMENT = "templates/payment-stack.yaml"
# One high failure (the bucket) and one low (no Description), with the test rules of test_waivers.
HIGH_AND_LOW = "Resources:\n  Logs:\n    Type: AWS::S3::Bucket\n"
LOW_ONLY = "Resources:\n  Logs:\n    Type: AWS::S3::Bucket\n    Properties: {BucketEncryption: {}}\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    write(tmp_path / "rules" / "test.yaml", RULES)
    write(tmp_path / "high.yaml", HIGH_AND_LOW)
    write(tmp_path / "low.yaml", LOW_ONLY)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_template_gate_passes_the_payment_stack_and_blocks_the_seed(in_repo, capsys):
    assert main(["gate", "--template", PAYMENT, "--env", "prod"]) == 0
    assert f"gate: PASS {PAYMENT} for prod (us-east-1): deployment may proceed" in capsys.readouterr().out
    assert main(["gate", "--template", SEED, "--env", "staging"]) == 1
    out = capsys.readouterr().out
    assert f"gate: BLOCK {SEED} for staging (us-east-2)" in out
    assert "FAIL medium PAY-S3-LIFE-001 TransactionLogsBucket [staging]" in out


def test_template_gate_refuses_an_environment_moved_out_of_its_region(in_repo, capsys):
    assert main(["gate", "--template", PAYMENT, "--env", "prod", "--region", "us-west-2"]) == 1
    out = capsys.readouterr().out
    assert "refused: environment 'prod' is deployed to us-east-1 (checker.yaml), not us-west-2" in out
    assert "FAIL high PAY-REGION-001 (template) [prod]: this environment must be deployed to us-east-1" in out


def test_template_gate_needs_one_environment(project, capsys):
    assert main(["gate", "--template", "high.yaml", "--rules", "rules"]) == 2
    assert "--env: name the environment the template is deployed to" in capsys.readouterr().err
    assert main(["gate", "--template", "high.yaml", "--rules", "rules", "--env", "a", "--env", "b"]) == 2
    write(project / "named.yaml", "Parameters:\n  Environment: {Type: String}\n" + LOW_ONLY)
    assert main(["gate", "--template", "named.yaml", "--rules", "rules", "--param", "Environment=dev",
                 "--fail-on", "medium"]) == 0
    assert "gate: PASS named.yaml for dev" in capsys.readouterr().out


@pytest.mark.parametrize(("command", "template", "fail_on", "expected"), [
    ("scan", "high.yaml", "low", 1), ("scan", "high.yaml", "high", 1), ("scan", "high.yaml", "critical", 0),
    ("scan", "low.yaml", "low", 1), ("scan", "low.yaml", "medium", 0),
    ("gate", "high.yaml", "high", 1), ("gate", "high.yaml", "critical", 0), ("gate", "low.yaml", "medium", 0),
])
def test_fail_on_sets_the_lowest_blocking_severity(project, command, template, fail_on, expected):
    source = [template] if command == "scan" else ["--template", template, "--env", "dev"]
    assert main([command, *source, "--rules", "rules", "--fail-on", fail_on]) == expected


def test_soft_fail_reports_but_exits_0_and_bad_input_still_exits_2(project, capsys):
    assert main(["scan", "high.yaml", "--rules", "rules", "--soft-fail"]) == 0
    captured = capsys.readouterr()
    assert "TEST-BUCKET-ENC-001" in captured.out
    assert "checker: --soft-fail: failures reported, exit status 0" in captured.err
    assert main(["gate", "--template", "high.yaml", "--env", "dev", "--rules", "rules", "--soft-fail"]) == 0
    assert "gate: BLOCK" in capsys.readouterr().out
    write(project / "broken.yaml", "Resources: [\n")
    assert main(["scan", "broken.yaml", "--rules", "rules", "--soft-fail"]) == 2


def test_skip_non_templates_lets_a_hook_pass_any_changed_yaml_or_json(project, capsys):
    write(project / "config.yaml", "name: not a template\n")
    write(project / "package.json", '{"name": "web"}\n')
    assert main(["scan", "config.yaml", "low.yaml", "--rules", "rules"]) == 2
    capsys.readouterr()
    assert main(["scan", "config.yaml", "package.json", "low.yaml", "--rules", "rules", "--skip-non-templates",
                 "--fail-on", "medium"]) == 0
    out = capsys.readouterr().out
    assert "skipped config.yaml: not a CloudFormation template" in out
    assert "skipped package.json: not a CloudFormation template" in out
    assert main(["scan", "config.yaml", "--rules", "rules", "--skip-non-templates"]) == 0  # nothing to check


def test_progress_draws_one_line_on_a_terminal_and_erases_it():
    class Terminal(StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    with Progress("scanning", stream) as progress:
        progress.step(0, 2, "a.yaml")
        progress.step(1, 2, "b.yaml")
    text = stream.getvalue()
    assert "\rscanning [0/2] a.yaml" in text and "\rscanning [1/2] b.yaml" in text
    assert text.endswith("\r" + " " * progress.width + "\r")
    quiet = Terminal()
    Progress("scanning", quiet, quiet=True).step(0, 1, "a.yaml")
    piped = StringIO()
    Progress("scanning", piped).step(0, 1, "a.yaml")
    assert quiet.getvalue() == piped.getvalue() == ""


def _stderr_on_a_terminal(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run the checker with stderr attached to a pseudo-terminal (stdout a pipe); return what the terminal got."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "checker", *args], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=terminal, stdin=subprocess.DEVNULL, env=env)
    os.close(terminal)
    received = b""
    while True:
        ready, _, _ = select.select([controller], [], [], 60)
        if not ready:
            process.kill()
            break
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        received += chunk
    os.close(controller)
    process.stdout.read()
    process.stdout.close()
    return process.wait(timeout=60), received.decode()


def test_progress_appears_on_a_terminal_unless_quiet():
    code, terminal = _stderr_on_a_terminal("scan", PAYMENT, SEED, "--soft-fail")
    assert code == 0
    assert f"scanning [0/2] {PAYMENT}" in terminal and f"scanning [1/2] {SEED}" in terminal
    code, terminal = _stderr_on_a_terminal("scan", "templates", "--quiet")
    assert code == 0 and "scanning" not in terminal


def test_no_progress_when_stderr_is_not_a_terminal():
    run = subprocess.run([sys.executable, "-m", "checker", "scan", "templates"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0 and run.stderr == ""
