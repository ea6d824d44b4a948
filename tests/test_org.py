"""The parts of an organisation scan that need no cluster and no AWS: accounts files, the configuration's
organization section, rate budgets, the stream, the paged report and the command line's refusals."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from checker.cli import main
from checker.engine.results import Result
from checker.errors import InputError
from checker.live.retry import Stop
from checker.org.assign import load_organization
from checker.org.limits import AccountPace, TokenBucket, budgets
from checker.org.stream import Stream, read_stream
from checker.org.targets import StackTarget, read_accounts_file, wanted
from checker.org.work import StackOutcome
from checker.report.pages import account_rows, write_pages

ROOT = Path(__file__).resolve().parents[1]


class Recorded(Stop):
    """A stop whose sleeps are recorded, not slept."""

    def __init__(self) -> None:
        super().__init__()
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 2))


def test_accounts_file_takes_ids_and_ignores_comments_and_blank_lines(tmp_path):
    path = tmp_path / "accounts.txt"
    path.write_text("# payments\n111111111111\n\n222222222222  # logging\n111111111111\n")
    assert [a.id for a in read_accounts_file(str(path))] == ["111111111111", "222222222222"]


def test_accounts_file_names_the_line_that_is_no_account_id(tmp_path):
    path = tmp_path / "accounts.txt"
    path.write_text("111111111111\n12345\n")
    with pytest.raises(InputError) as raised:
        read_accounts_file(str(path))
    assert (raised.value.line, raised.value.message) == (2, "expected a 12-digit account id, not '12345'")


@pytest.mark.parametrize(("status", "name", "expected"), [
    ("CREATE_COMPLETE", "payments-prod", True), ("UPDATE_ROLLBACK_COMPLETE", "payments-dev", True),
    ("DELETE_COMPLETE", "payments-prod", False), ("REVIEW_IN_PROGRESS", "payments-prod", False),
    ("ROLLBACK_COMPLETE", "payments-prod", False),
    ("CREATE_COMPLETE", "network", False)])
def test_stacks_scanned_are_live_and_named_by_a_pattern(status, name, expected):
    assert wanted({"StackName": name, "StackStatus": status}, ["payments-*"]) is expected


ORGANIZATION = """
environments: {prod: {region: us-east-1}}
organization:
  environments:
    - {account: "111111111111", environment: prod}
    - {region: [us-west-2], stack: "payments-*", environment: dev}
    - {tag: Environment}
    - {tag: "Tier=pci", environment: prod}
  templates:
    - {stack: "payments-*", template: stack.json}
"""


@pytest.mark.parametrize(("account", "region", "stack", "tags", "expected"), [
    ("111111111111", "us-west-2", "payments-1", {}, "prod"),
    ("222222222222", "us-west-2", "payments-1", {}, "dev"),
    ("222222222222", "us-west-2", "network", {"Environment": "staging", "Tier": "pci"}, "staging"),
    ("222222222222", "us-east-1", "network", {"Tier": "pci"}, "prod"),
    ("222222222222", "us-east-1", "network", {}, "222222222222"),
])
def test_the_first_matching_entry_names_a_stacks_environment(tmp_path, account, region, stack, tags, expected):
    (tmp_path / "checker.yaml").write_text(ORGANIZATION)
    (tmp_path / "stack.json").write_text('{"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}')
    organization = load_organization(str(tmp_path / "checker.yaml"))
    assert organization.environment(account, region, stack, tags) == expected
    assert (organization.template(account, region, stack, tags) is not None) is stack.startswith("payments-")


@pytest.mark.parametrize(("entry", "message"), [
    ("{region: us-east-1}", "organization.environments #1: name the environment, or match a tag by its key alone"),
    ("{owner: me, environment: prod}", "organization.environments #1: unknown keys: owner"),
    ("{account: 111111111111, environment: prod}", "organization.environments #1: account must be text"),
])
def test_a_bad_organization_entry_is_bad_input_naming_it(tmp_path, entry, message):
    (tmp_path / "checker.yaml").write_text(f"organization:\n  environments:\n    - {entry}\n")
    with pytest.raises(InputError) as raised:
        load_organization(str(tmp_path / "checker.yaml"))
    assert raised.value.message.startswith(message)


def test_a_token_bucket_lets_a_burst_through_then_paces_at_its_rate():
    bucket, stop = TokenBucket(rate=10.0, burst=2.0), Recorded()
    for _ in range(4):
        bucket.take(stop)
    assert stop.slept == [0.1, 0.2]


def test_an_account_pace_gives_each_worker_its_share_of_the_account_budget():
    pace, stop = AccountPace(budgets({"lambda": 8.0}), share=4), Recorded()
    for _ in range(4):
        pace.wait(("lambda", "us-east-1"), stop)
    assert stop.slept == [0.5, 1.0]  # 8 a second across 4 workers: 2 a second, and a burst of 2


def _outcome(stack: str, status: str) -> StackOutcome:
    target = StackTarget("111111111111", "us-east-1", stack, "prod")
    result = Result("R-1", "encryption-at-rest", "high", status, "prod", "live", "Key", "AWS::KMS::Key", None, None,
                    "checked", None, account="111111111111", region="us-east-1", stack=stack)
    return StackOutcome(target, (result,), {"api_calls": {"kms:DescribeKey": 1}})


def test_the_stream_keeps_finished_stacks_and_drops_a_torn_line_and_an_unfinished_stack(tmp_path):
    path = tmp_path / "org.jsonl"
    stream = Stream(str(path), {"rule_pack": "abc"}, resume=False)
    stream.stack(_outcome("one", "PASS"))
    stream.stack(_outcome("two", "FAIL"))
    stream.close()
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-1]) + '\n{"kind": "res')  # "two" lost its own line, then a torn one
    resumed = read_stream(path, "abc")
    assert [(o.target.stack, [r.status for r in o.results]) for o in resumed.outcomes] == [("one", ["PASS"])]


def test_a_stream_of_another_rule_pack_cannot_be_resumed(tmp_path):
    path = tmp_path / "org.jsonl"
    Stream(str(path), {"rule_pack": "abc"}, resume=False).close()
    with pytest.raises(InputError, match="was written with rule pack abc, this run checks with def"):
        read_stream(path, "def")


def _payload() -> dict:
    def result(account: str, control: str, status: str) -> dict:
        return {"rule_id": f"R-{control}", "control": control, "severity": "high", "status": status,
                "environment": account, "source": "live", "resource": "Key", "resource_type": "AWS::KMS::Key",
                "file": None, "line": None, "message": "m", "evidence": None, "decided_by": [],
                "physical_id": "k", "account": account, "region": "us-east-1", "stack": "s"}
    results = [result("111111111111", "kms-rotation", "PASS"), result("222222222222", "kms-rotation", "FAIL"),
               result("333333333333", "kms-rotation", "ERROR"), result("222222222222", "lifecycle", "FAIL")]
    stacks = [{"account": a, "region": "us-east-1", "stack": "s", "environment": a, "failure": None, "status": None,
               "counts": {}, "seconds": 1.0} for a in ("111111111111", "222222222222", "333333333333")]
    return {"tool": {"name": "checker", "version": "0"}, "generated_at": "now",
            "rule_pack": {"version": "v", "rules": 2}, "results": results, "rules": {}, "controls": [],
            "environments": [], "templates": [],
            "org": {"accounts": [{"id": s["account"], "name": None} for s in stacks], "regions": ["us-east-1"],
                    "stacks": stacks, "stacks_scanned": 3, "stacks_resumed": 0, "not_scanned": [],
                    "scheduler": "test", "worker_threads": 1, "wall_time_s": 1.0, "api_calls_total": 3,
                    "calls_per_s": 3.0, "interrupted": False}}


def test_accounts_are_listed_worst_first_each_linking_to_its_page():
    rows = account_rows(_payload(), "org-accounts")
    assert [(r.id, r.status, r.failed, r.page) for r in rows] == [
        ("222222222222", "FAIL", 2, "org-accounts/222222222222.html"),
        ("333333333333", "ERROR", 0, "org-accounts/333333333333.html"),
        ("111111111111", "PASS", 0, "org-accounts/111111111111.html")]


def test_the_org_report_is_a_summary_and_one_page_per_account_each_holding_only_its_results(tmp_path):
    write_pages(_payload(), tmp_path / "org.html")
    pages = {p.name: p.read_text() for p in (tmp_path / "org-accounts").iterdir()}
    assert set(pages) == {"111111111111.html", "222222222222.html", "333333333333.html"}
    assert pages["222222222222.html"].count('data-status="FAIL"') == 4  # two failures: findings, every check
    assert 'data-status="FAIL"' not in pages["111111111111.html"]
    assert 'href="../org.html#account-222222222222"' in pages["222222222222.html"]
    summary = (tmp_path / "org.html").read_text()
    assert summary.index("222222222222") < summary.index("333333333333") < summary.index("111111111111")


@pytest.mark.parametrize(("extra", "message"), [
    (["--resume"], "--resume: resumes from the --stream file: name it"),
    (["--regions", "mars-north-1"], "--region: unknown AWS Region 'mars-north-1'"),
    (["--scheduler", "tcp://127.0.0.1:1", "--local-workers", "2"], "--local-workers: sizes the local cluster"),
    (["--account-rate", "kms=fast"], "--account-rate: kms=fast: expected a positive number of calls a second"),
])
def test_bad_org_options_are_one_line_and_exit_2(extra, message, capsys, tmp_path):
    accounts = tmp_path / "accounts.txt"
    accounts.write_text("111111111111\n")
    args = ["org", "--role-name", "Audit", "--regions", "us-east-1", "--accounts", str(accounts), *extra]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"checker: error: {message}")


def test_template_scan_never_imports_dask(tmp_path):
    code = ("import sys\nfrom checker.cli import main\n"
            f"rc = main(['scan', {str(ROOT / 'tests' / 'live' / 'payment-live.yaml')!r}, '--env', 'prod', '--region', "
            "'us-east-1', '--param', 'Environment=prod', '--param', 'EnvironmentSuffix=x', '-q'])\n"
            "print(rc, sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                               env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout.strip().splitlines()[-1].split(" ", 1)[1].replace("'", '"')) == []


def test_junit_names_each_org_case_by_its_account_region_and_stack():
    import xml.etree.ElementTree as ET

    from checker.report.junit import render_junit

    cases = ET.fromstring(render_junit(_payload())).iter("testcase")
    assert {case.get("name") for case in cases} == {
        f"Key ({account}/us-east-1/s)" for account in ("111111111111", "222222222222", "333333333333")}
