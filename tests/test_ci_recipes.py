"""The CI recipes, each run the way its CI would run it.

- `.pre-commit-hooks.yaml`: `pre-commit try-repo` from a git copy of this checkout, in a consumer
  repository whose commit changes a template (pre-commit builds the hook's own environment).
- `action.yml`: its steps are `ci/github-action.sh`, run with GITHUB_STEP_SUMMARY and GITHUB_OUTPUT
  pointing at files, in a fresh virtual environment it installs the checker into.
- `ci/buildspec-gate.yml`: its install and build commands, run in a copy of the checkout against
  CloudFormation on the local moto server.

The recipe runs install packages into fresh environments (the buildspec's also starts the AWS emulator):
the fixtures they use mark them slow (tests/conftest.py), so `-m "not slow"` leaves them out while
developing; the full run and CI include them.
"""
from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from tests.test_gate_change_set import (  # noqa: F401 - fixtures
    PROD_PARAMETERS,
    aws,
    create_change_set,
    create_stack,
    keep_environment,
    moto_endpoint,
)

SEED = ROOT / "tests" / "fixtures" / "seed-flawed.yaml"
PAYMENT = ROOT / "templates" / "payment-stack.yaml"
_COPY_IGNORE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache",
                                      "reports", ".benchmarks")


def run(command: list[str], cwd: Path, env: dict | None = None, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def git(cwd: Path, *args: str) -> None:
    command = ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.invalid", "-c", "init.defaultBranch=main",
               "-c", "commit.gpgsign=false", *args]
    run(command, cwd).check_returncode()


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """This repository as CI checks it out: its files (committed or not) in a fresh git repository."""
    copy = tmp_path_factory.mktemp("checkout") / "checker"
    shutil.copytree(ROOT, copy, ignore=_COPY_IGNORE)
    git(copy, "init", "-q")
    git(copy, "add", "-A")
    git(copy, "commit", "-q", "-m", "checkout")
    return copy


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh virtual environment, shared by the tests of this module; returns its bin/.

    It does not see the system's packages: the checker each recipe installs, with its dependencies, is
    the only one it can run (a development install of this checkout stays out of reach).
    """
    where = tmp_path_factory.mktemp("ci") / "venv"
    run([sys.executable, "-m", "venv", str(where)], where.parent).check_returncode()
    return where / "bin"


def ci_env(bin_dir: Path | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "CHECKER_", "PRE_COMMIT"))}
    if bin_dir:
        env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
        env["VIRTUAL_ENV"] = str(bin_dir.parent)
    env["CHECKER_NO_CACHE"] = "1"
    return {**env, **extra}


# --- pre-commit -----------------------------------------------------------------------------------------


def test_the_hook_definition_scans_yaml_json_and_template_files():
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "checker" and hook["language"] == "python"
    assert hook["entry"].split()[:2] == ["checker", "scan"] and "--skip-non-templates" in hook["entry"]
    pattern = re.compile(hook["files"])
    assert all(pattern.search(f) for f in ("a.yaml", "b/c.yml", "d.json", "e.template"))
    assert not any(pattern.search(f) for f in ("README.md", "app.py"))


def test_pre_commit_try_repo_blocks_a_commit_that_breaks_a_template_and_passes_a_clean_one(checkout, tmp_path):
    consumer = tmp_path / "payments-infra"
    (consumer / "templates").mkdir(parents=True)
    shutil.copytree(ROOT / "params", consumer / "params")
    shutil.copy(ROOT / "checker.yaml", consumer / "checker.yaml")
    shutil.copy(PAYMENT, consumer / "templates" / "payment-stack.yaml")
    git(consumer, "init", "-q")
    git(consumer, "add", "-A")
    git(consumer, "commit", "-q", "-m", "compliant stack")
    env = ci_env(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"))
    hook = [sys.executable, "-m", "pre_commit", "try-repo", str(checkout), "checker", "--verbose"]

    # A commit that adds the seed's flawed template: the hook fails and says why.
    shutil.copy(SEED, consumer / "templates" / "legacy-stack.yaml")
    git(consumer, "add", "templates/legacy-stack.yaml")
    broken = run(hook, consumer, env)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "CloudFormation compliance (checker)" in broken.stdout and "Failed" in broken.stdout
    assert "PAY-S3-REPL-001" in broken.stdout and "TransactionLogsBucket" in broken.stdout

    # A clean change, plus a YAML file that is no template: passes.
    git(consumer, "rm", "-q", "--cached", "templates/legacy-stack.yaml")
    (consumer / "templates" / "legacy-stack.yaml").unlink()
    (consumer / "templates" / "payment-stack.yaml").write_text("# reviewed\n" + PAYMENT.read_text())
    (consumer / "templates" / "notes.yaml").write_text("owner: payments-team\n")
    git(consumer, "add", "-A")
    clean = run(hook, consumer, env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "skipped templates/notes.yaml" in clean.stdout and "Passed" in clean.stdout


# --- GitHub Actions -------------------------------------------------------------------------------------


def test_the_action_is_a_composite_whose_scan_step_is_the_ci_script():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    scan = next(s for s in steps if s.get("id") == "scan")
    assert scan["run"] == 'bash "$GITHUB_ACTION_PATH/ci/github-action.sh"'
    assert set(scan["env"]) == {f"CHECKER_{name.upper().replace('-', '_')}" for name in action["inputs"]} - {
        "CHECKER_UPLOAD_SARIF", "CHECKER_PYTHON_VERSION"}
    upload = next(s for s in steps if "upload-sarif" in s.get("uses", ""))
    assert upload["with"]["sarif_file"] == "${{ steps.scan.outputs.sarif }}" and "always()" in upload["if"]


def _workspace(tmp_path: Path, *templates: Path) -> Path:
    workspace = tmp_path / "workspace"
    (workspace / "templates").mkdir(parents=True)
    shutil.copytree(ROOT / "params", workspace / "params")
    shutil.copy(ROOT / "checker.yaml", workspace / "checker.yaml")
    for template in templates:
        shutil.copy(template, workspace / "templates" / template.name)
    return workspace


def test_the_action_script_installs_scans_and_writes_sarif_and_the_step_summary(checkout, venv, tmp_path):
    workspace = _workspace(tmp_path, PAYMENT, SEED)
    summary, outputs = tmp_path / "step-summary.md", tmp_path / "github-output"
    summary.write_text("## Earlier step\n")
    env = ci_env(venv, GITHUB_ACTION_PATH=str(checkout), GITHUB_STEP_SUMMARY=str(summary),
                 GITHUB_OUTPUT=str(outputs), RUNNER_TEMP=str(tmp_path), CHECKER_PATHS="templates",
                 CHECKER_ENVIRONMENTS="prod staging", CHECKER_FAIL_ON="low", CHECKER_SARIF="checker.sarif",
                 CHECKER_SOFT_FAIL="false")
    step = run(["bash", str(checkout / "ci" / "github-action.sh")], workspace, env)
    assert step.returncode == 1, step.stdout + step.stderr
    assert shutil.which("checker", path=env["PATH"]) == str(venv / "checker")  # installed by the step

    sarif = json.loads((workspace / "checker.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    located = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]}
    assert located == {"templates/seed-flawed.yaml"}
    text = summary.read_text()
    assert text.startswith("## Earlier step\n") and "PAY-S3-REPL-001" in text and "| prod |" in text
    assert "| dev |" not in text
    assert outputs.read_text().splitlines() == ["exit-code=1", "sarif=checker.sarif"]


def test_the_action_script_soft_fail_and_a_clean_workspace_exit_0(checkout, venv, tmp_path):
    workspace = _workspace(tmp_path, PAYMENT)
    env = ci_env(venv, GITHUB_ACTION_PATH=str(checkout), GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"),
                 GITHUB_OUTPUT=str(tmp_path / "out"), CHECKER_PATHS="templates")
    assert run(["bash", str(checkout / "ci" / "github-action.sh")], workspace, env).returncode == 0
    shutil.copy(SEED, workspace / "templates")
    env["CHECKER_SOFT_FAIL"] = "true"
    soft = run(["bash", str(checkout / "ci" / "github-action.sh")], workspace, env)
    assert soft.returncode == 0, soft.stdout + soft.stderr
    assert "PAY-S3-REPL-001" in (tmp_path / "summary.md").read_text()


class _FakeGitHub(http.server.BaseHTTPRequestHandler):
    """The two pull-request endpoints the action calls, recording what it posts."""
    posted: list[tuple[str, dict]] = []

    def do_GET(self):  # noqa: N802 - http.server's naming
        self._reply(200, [])

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).posted.append((self.path, body, self.headers["Authorization"]))
        self._reply(200, {"id": 1})

    def _reply(self, status: int, body) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


def test_on_a_pull_request_the_action_posts_the_fixes_as_one_review_of_suggested_changes(checkout, venv, tmp_path):
    workspace = _workspace(tmp_path, SEED)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": "abc123"}}}))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FakeGitHub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = ci_env(venv, GITHUB_ACTION_PATH=str(checkout), GITHUB_EVENT_NAME="pull_request",
                     GITHUB_EVENT_PATH=str(event), GITHUB_REPOSITORY="payments/infra",
                     GITHUB_API_URL=f"http://127.0.0.1:{server.server_port}", CHECKER_GITHUB_TOKEN="t0ken",
                     CHECKER_PATHS="templates", RUNNER_TEMP=str(tmp_path))
        step = run(["bash", str(checkout / "ci" / "github-action.sh")], workspace, env)
    finally:
        server.shutdown()
    assert step.returncode == 1, step.stdout + step.stderr
    [(path, review, authorization)] = _FakeGitHub.posted
    assert (path, review["commit_id"], review["event"], authorization) == (
        "/repos/payments/infra/pulls/7/reviews", "abc123", "COMMENT", "Bearer t0ken")
    assert {c["path"] for c in review["comments"]} == {"templates/seed-flawed.yaml"}
    assert all("```suggestion\n" in c["body"] and c["side"] == "RIGHT" for c in review["comments"])
    assert any("BacktrackWindow: !FindInMap [EnvironmentConfig, !Ref Environment, BacktrackWindowSeconds]"
               in c["body"] for c in review["comments"])
    assert "posted" in step.stdout


# --- CodeBuild / CodePipeline ---------------------------------------------------------------------------


def test_the_documented_buildspec_is_the_one_in_ci():
    documented = re.search(r"```yaml\n(# CodeBuild build run by CodePipeline.*?)```", (ROOT / "docs" / "ci.md")
                           .read_text(), re.DOTALL)
    assert documented and documented.group(1) == (ROOT / "ci" / "buildspec-gate.yml").read_text()


@pytest.mark.usefixtures("aws")
@pytest.mark.parametrize(("template", "expected"), [(SEED, 1), (PAYMENT, 0)])
def test_the_buildspec_gates_a_change_set_before_execution(checkout, venv, template, expected):
    buildspec = yaml.safe_load((checkout / "ci" / "buildspec-gate.yml").read_text())
    assert buildspec["version"] == 0.2
    create_stack("us-east-1", "prod", name="payments-prod")
    create_change_set("us-east-1", "release-7", template.read_text(), keep_environment(PROD_PARAMETERS),
                      stack="payments-prod")
    variables = {**buildspec["env"]["variables"], "CHANGE_SET_NAME": "release-7"}
    env = ci_env(venv, AWS_REGION="us-east-1", **{k: str(v) for k, v in variables.items()})
    for phase in ("install", "build"):
        commands = buildspec["phases"][phase]["commands"]
        result = run(["bash", "-ec", "\n".join(commands)], checkout, env)
        if phase == "install":
            assert result.returncode == 0, result.stderr
    assert result.returncode == expected, result.stdout + result.stderr
    verdict = "BLOCK" if expected else "PASS"
    assert f"gate: {verdict} stack payments-prod change set release-7 for prod (us-east-1)" in result.stdout
    for artifact in [*buildspec["artifacts"]["files"], *buildspec["reports"]["checker-gate"]["files"]]:
        assert (checkout / artifact).is_file(), artifact
    assert json.loads((checkout / "checker-gate.json").read_text())["gate"]["decision"] == verdict.lower()
