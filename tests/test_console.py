"""The console: whole messages wrapped to the terminal, short paths, colour only on a terminal, a progress
line that keeps the file or resource in view, and drift summarised."""
from __future__ import annotations

import contextlib
import os
import re
from dataclasses import replace
from io import StringIO

import pytest

from checker.cli import main
from checker.engine.results import FAIL, Result
from checker.report.console import DRIFT_SHOWN, Console
from checker.report.progress import Progress
from checker.report.terminal import Paint, colour_enabled, width_of
from checker.scans import find_templates
from tests.conftest import ROOT
from tests.test_gate_cli import _stderr_on_a_terminal
from tests.test_waivers import RULES, write

KMS_MESSAGE = ("BucketEncryption must use SSE-KMS (aws:kms or aws:kms:dsse) with a customer managed key; "
               "KmsKeyId is missing, so S3 would use the AWS managed key aws/s3, whose policy the account cannot "
               "change")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Terminal(StringIO):
    def isatty(self) -> bool:
        return True


def failure(message: str = KMS_MESSAGE, file: str | None = "templates/app.yaml") -> Result:
    return Result("T-S3-KMS-001", "encryption-at-rest", "high", FAIL, "prod", "template", "Logs", "AWS::S3::Bucket",
                  file, 12, message, None)


def printed(console: Console, *results: Result) -> list[str]:
    console.findings(list(results))
    return console.out.getvalue().splitlines()  # type: ignore[attr-defined]


def test_a_long_message_is_printed_whole_wrapped_to_the_width():
    lines = printed(Console(StringIO(), StringIO(), width=60), failure())
    wrapped = lines[2:]
    assert all(len(line) <= 60 and line.startswith("    ") for line in wrapped) and len(wrapped) > 1
    assert " ".join(line.strip() for line in wrapped) == KMS_MESSAGE


def test_without_a_terminal_a_message_stays_on_one_line():
    lines = printed(Console(StringIO(), StringIO(), width=None), failure())
    assert lines[2] == "    " + KMS_MESSAGE


def test_a_resource_whose_logical_id_yaml_reads_as_a_number_is_listed():
    lines = printed(Console(StringIO(), StringIO()), replace(failure(), resource=123))
    assert lines[1].split()[4] == "123"


@pytest.mark.parametrize(("columns", "stream", "expected"), [("72", Terminal(), 72), ("", Terminal(), 80),
                                                              ("72", StringIO(), None)])
def test_the_width_is_the_terminals_or_columns_and_none_for_a_pipe(monkeypatch, columns, stream, expected):
    monkeypatch.setenv("COLUMNS", columns)
    assert width_of(stream) == expected


def test_a_path_under_the_working_directory_is_shown_relative(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    lines = printed(Console(StringIO(), StringIO()), failure(file=str(tmp_path / "templates" / "app.yaml")))
    assert lines[1].split()[-1] == "templates/app.yaml:12"


@pytest.mark.parametrize(("stream", "no_color", "expected"), [
    (Terminal(), "", True), (Terminal(), "1", False), (StringIO(), "", False)])
def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch, stream, no_color, expected):
    monkeypatch.setenv("NO_COLOR", no_color)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert colour_enabled(stream) is expected


def test_coloured_rows_line_up_as_the_plain_ones_do():
    plain = printed(Console(StringIO(), StringIO(), width=None), failure())
    coloured = printed(Console(StringIO(), StringIO(), width=None, paint=Paint(True)), failure())
    assert coloured != plain and [ANSI.sub("", line) for line in coloured] == plain
    assert "\x1b[31;1mFAIL" in coloured[1]


def test_a_scan_on_a_terminal_is_coloured_unless_no_color(tmp_path):
    write(tmp_path / "rules" / "test.yaml", RULES)
    write(tmp_path / "app.yaml", "Parameters:\n  Environment: {Type: String}\n"
                                 "Resources:\n  Logs:\n    Type: AWS::S3::Bucket\n")  # run under the repo's config
    # With -o the human-readable output goes to stderr, which is the terminal here.
    args = ("scan", str(tmp_path / "app.yaml"), "--rules", str(tmp_path / "rules"), "-o", "junit")
    code, coloured = _stderr_on_a_terminal(*args)
    assert code == 1 and "\x1b[31;1m2 failed\x1b[0m" in coloured
    code, plain = _stderr_on_a_terminal(*args, env={**os.environ, "NO_COLOR": "1"})
    assert code == 1 and "2 failed" in plain and "\x1b[" not in plain


def test_the_progress_line_keeps_the_end_of_a_long_path_in_view():
    stream = Terminal()
    progress = Progress("scanning", stream)
    long_path = "/".join(["deeply-nested-folder"] * 8) + "/network-stack.yaml"
    progress.step(3, 184, long_path)
    line = stream.getvalue().strip("\r").rstrip()
    assert line.startswith("scanning [3/184] ...") and line.endswith("/network-stack.yaml")
    assert len(line) <= progress.width


def test_a_directory_scan_on_a_terminal_shows_each_file_it_is_on():
    code, terminal = _stderr_on_a_terminal("scan", "templates", "tests/fixtures", "--soft-fail")
    with contextlib.chdir(ROOT):
        files = [str(path) for path in find_templates(["templates", "tests/fixtures"]).candidates]
    assert code == 0 and len(files) > 1
    assert [f"scanning [{index}/{len(files)}] {file}" in terminal for index, file in enumerate(files)] == \
        [True] * len(files)


DRIFT = [
    {"environment": "prod", "rule_id": "PAY-S3-REPL-001", "resource": "TransactionLogsBucket", "kind": "rule",
     "path": "Properties.ReplicationConfiguration.Role", "template": "arn:aws:iam::1:role/r", "live": None,
     "message": "ReplicationConfiguration with a Role is missing"},
    *({"environment": "prod", "rule_id": None, "resource": f"Key{i}", "kind": "property",
       "path": "Properties.EnableKeyRotation", "template": True, "live": False} for i in range(DRIFT_SHOWN + 2)),
]


def test_drift_is_summarised_per_environment_with_the_first_differences():
    console = Console(StringIO(), StringIO())
    console.drift(DRIFT, ["prod", "dev"])
    lines = console.out.getvalue().splitlines()  # type: ignore[attr-defined]
    assert lines[0] == "drift in prod: 1 rule(s) pass on the template but fail live, 12 propert(ies) differ from " \
                       "the template"
    assert lines[1] == "  PAY-S3-REPL-001 TransactionLogsBucket Properties.ReplicationConfiguration.Role: " \
                       "ReplicationConfiguration with a Role is missing"
    assert lines[2] == "  Key0 Properties.EnableKeyRotation: template true, live false"
    assert lines[-2:] == ["  ...and 3 more: the JSON and HTML reports list every one",
                          "drift in dev: none, the deployment matches the template"]


def test_the_summary_counts_every_status_per_environment(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "rules" / "test.yaml", RULES)
    write(tmp_path / "app.yaml", "Resources:\n  Logs:\n    Type: AWS::S3::Bucket\n")
    assert main(["scan", "app.yaml", "--rules", "rules"]) == 1
    assert capsys.readouterr().out.splitlines()[-2:] == [
        "default: 0 passed, 2 failed (1 high, 1 low), 0 errors, 0 not applicable",
        "next: checker fix app.yaml shows a patch for its failures, verified in every environment (--write applies it)"]
