"""Waivers: declared inline or in files, expiring, reported as applied, expired or stale."""
from __future__ import annotations

import json
import textwrap
from datetime import date, timedelta
from pathlib import Path

import pytest

from checker.cli import main
from checker.decision.waivers import WAIVER_FILE, apply_waivers, load_waiver_file
from checker.engine.results import FAIL, PASS, WAIVED, Result
from checker.engine.rules import load_rules
from checker.errors import InputError
from checker.project.config import load_config
from checker.project.plan import plan_environments
from checker.scans import scan
from checker.template.environment import Environment

TODAY = date(2025, 6, 15)
ENVIRONMENTS = [Environment("prod", "us-east-1"), Environment("dev", "us-west-2")]

RULES = """\
rules:
  - id: TEST-BUCKET-ENC-001
    title: Buckets are encrypted
    control: encryption-at-rest
    severity: high
    target: AWS::S3::Bucket
    sources: [template, live]
    assert:
      - expr: Properties.BucketEncryption != `null`
        message: BucketEncryption is missing
    remediation: Add BucketEncryption.
    references: [https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-bucket-encryption.html]
    tests:
      - {name: encrypted, resource: {Type: AWS::S3::Bucket, Properties: {BucketEncryption: {}}}, expect: PASS}
      - {name: plain, resource: {Type: AWS::S3::Bucket}, expect: FAIL}
  - id: TEST-TEMPLATE-DESC-001
    title: Templates say what they deploy
    control: encryption-at-rest
    severity: low
    target: template
    sources: [template]
    assert:
      - expr: Description != `null`
        message: the template has no Description
    remediation: Add a Description.
    references: [https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-description-structure.html]
    tests:
      - {name: described, template: {Description: x, Resources: {}}, expect: PASS}
      - {name: bare, template: {Resources: {}}, expect: FAIL}
"""

TEMPLATE = """\
Resources:
  Logs:
    Type: AWS::S3::Bucket
  Archive:
    Type: AWS::S3::Bucket
    Properties:
      BucketEncryption: {ServerSideEncryptionConfiguration: []}
"""


@pytest.fixture
def rules(tmp_path, monkeypatch):
    """The test rules, run from an empty folder outside any repository (no checker.yaml applies)."""
    monkeypatch.chdir(tmp_path)
    directory = tmp_path / "rules"
    directory.mkdir()
    (directory / "test.yaml").write_text(RULES)
    return load_rules([directory])


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def waiver_file(path: Path, *entries: str) -> Path:
    return write(path, "waivers:\n" + "".join(textwrap.indent(textwrap.dedent(e), "  ") for e in entries))


LOGS_WAIVER = """\
- rule: TEST-BUCKET-ENC-001
  resource: Logs
  reason: bucket holds only public price lists
  approved_by: jane.doe@example.com
  expires: 2025-06-30
"""


def statuses(report) -> dict[tuple[str, str | None, str], str]:
    return {(r.environment, r.resource, r.rule_id): r.status for r in report.results if r.status != "NOT_APPLICABLE"}


def test_an_unexpired_waiver_turns_the_failure_into_waived_with_its_reason(tmp_path, rules):
    template = write(tmp_path / "stack" / "app.yaml", TEMPLATE)
    waivers = load_waiver_file(waiver_file(tmp_path / "waivers.yaml", LOGS_WAIVER))
    report = scan([template], rules, ENVIRONMENTS, waivers=waivers, today=TODAY)
    assert statuses(report) == {
        ("prod", "Logs", "TEST-BUCKET-ENC-001"): WAIVED, ("dev", "Logs", "TEST-BUCKET-ENC-001"): WAIVED,
        ("prod", "Archive", "TEST-BUCKET-ENC-001"): PASS, ("dev", "Archive", "TEST-BUCKET-ENC-001"): PASS,
        ("prod", None, "TEST-TEMPLATE-DESC-001"): FAIL, ("dev", None, "TEST-TEMPLATE-DESC-001"): FAIL,
    }
    waived = next(r for r in report.results if r.status == WAIVED)
    assert waived.message == ("BucketEncryption is missing [waived until 2025-06-30 by jane.doe@example.com: "
                              "bucket holds only public price lists]")
    assert [w.resource for w in report.waivers.applied] == ["Logs"]
    assert report.waivers.matched[report.waivers.applied[0]] == 2
    assert report.waivers.expired == [] and report.waivers.stale == []


@pytest.mark.parametrize(("today", "status"), [
    (date(2025, 6, 30), WAIVED),   # the expiry day is the last day the waiver holds
    (date(2025, 7, 1), FAIL),
])
def test_a_waiver_holds_through_its_expiry_day_and_not_after(tmp_path, rules, today, status):
    template = write(tmp_path / "app.yaml", TEMPLATE)
    waivers = load_waiver_file(waiver_file(tmp_path / "w.yaml", LOGS_WAIVER))
    report = scan([template], rules, ENVIRONMENTS[:1], waivers=waivers, today=today)
    logs = next(r for r in report.results if r.resource == "Logs")
    assert logs.status == status
    if status == FAIL:
        assert logs.message == f"BucketEncryption is missing [waiver expired on 2025-06-30: {tmp_path / 'w.yaml'}:2]"
        assert [w.resource for w in report.waivers.expired] == ["Logs"]
        assert report.waivers.applied == [] and report.waivers.stale == []


def test_a_waiver_limited_to_some_environments_leaves_the_others_failing(tmp_path, rules):
    template = write(tmp_path / "app.yaml", TEMPLATE)
    waivers = load_waiver_file(waiver_file(tmp_path / "w.yaml", LOGS_WAIVER + "  environments: [dev]\n"))
    report = scan([template], rules, ENVIRONMENTS, waivers=waivers, today=TODAY)
    logs = {r.environment: r.status for r in report.results if r.resource == "Logs"}
    assert logs == {"prod": FAIL, "dev": WAIVED}


def test_inline_waivers_in_resource_and_template_metadata(tmp_path, rules):
    template = write(tmp_path / "app.yaml", """\
        Metadata:
          checker:
            waivers:
              - rule: TEST-TEMPLATE-DESC-001
                resource: template
                reason: generated template, described in the pipeline
                approved_by: ops-lead
                expires: 2025-12-31
        Resources:
          Logs:
            Type: AWS::S3::Bucket
            Metadata:
              checker:
                waivers:
                  - rule: TEST-BUCKET-ENC-001
                    environments: dev
                    reason: scratch bucket
                    approved_by: dev-lead
                    expires: 2025-12-31
        """)
    report = scan([template], rules, ENVIRONMENTS, today=TODAY)
    assert statuses(report) == {
        ("prod", "Logs", "TEST-BUCKET-ENC-001"): FAIL, ("dev", "Logs", "TEST-BUCKET-ENC-001"): WAIVED,
        ("prod", None, "TEST-TEMPLATE-DESC-001"): WAIVED, ("dev", None, "TEST-TEMPLATE-DESC-001"): WAIVED,
    }
    assert {w.origin for w in report.waivers.applied} == {f"{template}:4", f"{template}:15"}


def test_a_waiver_file_beside_templates_covers_only_its_directory_and_named_template(tmp_path, rules):
    covered = write(tmp_path / "team-a" / "app.yaml", TEMPLATE)
    narrowed_out = write(tmp_path / "team-a" / "other.yaml", TEMPLATE)
    elsewhere = write(tmp_path / "team-b" / "app.yaml", TEMPLATE)
    waiver_file(tmp_path / "team-a" / WAIVER_FILE, LOGS_WAIVER + "  template: app.yaml\n")
    report = scan([tmp_path / "team-a", tmp_path / "team-b"], rules, ENVIRONMENTS[:1], today=TODAY)
    logs = {r.file: r.status for r in report.results if r.resource == "Logs"}
    assert logs == {str(covered): WAIVED, str(narrowed_out): FAIL, str(elsewhere): FAIL}
    assert report.skipped == []  # a directory walk does not take the waiver file for a template


def test_a_linked_template_takes_the_waivers_beside_its_real_file(tmp_path, rules):
    real = write(tmp_path / "real" / "app.yaml", TEMPLATE)
    waiver_file(tmp_path / "real" / WAIVER_FILE, LOGS_WAIVER)
    (tmp_path / "links").mkdir()
    (tmp_path / "links" / "app.yaml").symlink_to(real)
    report = scan([tmp_path / "links" / "app.yaml"], rules, ENVIRONMENTS[:1], today=TODAY)
    assert {r.status for r in report.results if r.resource == "Logs"} == {WAIVED}


def test_a_waiver_file_reached_by_two_names_of_its_directory_is_read_once(tmp_path, rules, monkeypatch):
    write(tmp_path / "d" / "a.yaml", TEMPLATE)
    write(tmp_path / "d" / "b.yaml", TEMPLATE)
    waiver_file(tmp_path / "d" / WAIVER_FILE, LOGS_WAIVER)
    monkeypatch.chdir(tmp_path)
    report = scan([Path("d/a.yaml"), tmp_path / "d" / "b.yaml"], rules, ENVIRONMENTS[:1], today=TODAY)
    assert [w.resource for w in report.waivers.applied] == ["Logs"]


def test_stale_waivers_are_those_whose_rule_ran_but_matched_no_failure(tmp_path, rules):
    template = write(tmp_path / "app.yaml", TEMPLATE)
    entries = [
        LOGS_WAIVER,
        LOGS_WAIVER.replace("Logs", "Archive"),                         # Archive passes: nothing to waive
        LOGS_WAIVER.replace("Logs", "Gone") + "  template: app.yaml\n",  # app.yaml has no such resource
        LOGS_WAIVER.replace("Logs", "Elsewhere"),  # may be in a template not scanned this time: not stale
        LOGS_WAIVER + "  environments: [staging]\n",                    # staging was not scanned: not stale
    ]
    waivers = load_waiver_file(waiver_file(tmp_path / "w.yaml", *entries))
    report = scan([template], rules, ENVIRONMENTS, waivers=waivers, today=TODAY)
    assert [(w.rule_id, w.resource) for w in report.waivers.stale] == [
        ("TEST-BUCKET-ENC-001", "Archive"), ("TEST-BUCKET-ENC-001", "Gone")]
    assert [w.resource for w in report.waivers.applied] == ["Logs"]


def test_a_nested_templates_waiver_is_judged_stale_on_the_scan_of_that_template_on_its_own(tmp_path, rules):
    # child.yaml is scanned on its own (prod, dev) before parent.yaml (dev only), which holds it as Net:
    # the waiver reaches the scan a second time as Net/Logs, and its rule ran in prod on child.yaml
    waiver = "{rule: TEST-BUCKET-ENC-001, environments: [prod], reason: public, approved_by: jd, expires: 2025-06-30}"
    write(tmp_path / "tpl" / "child.yaml", f"""\
        Resources:
          Logs: {{Type: AWS::S3::Bucket, Metadata: {{checker: {{waivers: [{waiver}]}}}}}}
        """)
    write(tmp_path / "tpl" / "parent.yaml", """\
        Resources:
          Net: {Type: AWS::CloudFormation::Stack, Properties: {TemplateURL: ./child.yaml}}
        """)
    config = write(tmp_path / "checker.yaml", """\
        environments: {prod: {region: us-east-1}, dev: {region: us-west-2}}
        templates: {tpl/child.yaml: {prod: {}, dev: {}}, tpl/parent.yaml: {dev: {}}}
        """)
    report = scan([tmp_path / "tpl"], rules, plan_environments(load_config(config), []), today=TODAY)
    assert [w.resource for w in report.waivers.applied] == ["Logs"]
    assert [w.resource for w in report.waivers.stale] == ["Net/Logs"]


def test_a_waiver_of_a_rule_the_pack_does_not_have_is_an_input_error_at_the_waiver(tmp_path, rules):
    template = write(tmp_path / "app.yaml", TEMPLATE)
    path = waiver_file(tmp_path / "w.yaml", LOGS_WAIVER.replace("TEST-BUCKET-ENC-001", "TEST-BUCKET-ENC-01"))
    report = scan([template], rules, ENVIRONMENTS, waivers=load_waiver_file(path), today=TODAY)
    assert [str(e) for e in report.errors] == [
        f"{path}:2: waiver names rule TEST-BUCKET-ENC-01, which the rule pack does not have "
        "(did you mean TEST-BUCKET-ENC-001?)"]
    assert report.waivers.stale == [] and {r.status for r in report.results if r.resource == "Logs"} == {FAIL}


def test_a_waiver_of_a_skipped_rule_is_neither_stale_nor_an_error(tmp_path, rules, capsys):
    template = write(tmp_path / "app.yaml", TEMPLATE)
    path = waiver_file(tmp_path / "w.yaml", LOGS_WAIVER)
    code = main(["scan", str(template), "--rules", "rules", "--waivers", str(path), "--skip-rule", "TEST-BUCKET-*",
                 "--fail-on", "high"])
    out = capsys.readouterr().out
    assert code == 0 and "stale waiver" not in out and "TEST-BUCKET-ENC-001" not in out


def test_a_commit_hook_scanning_one_template_does_not_call_its_neighbours_waivers_stale(tmp_path, rules):
    changed = write(tmp_path / "other.yaml", TEMPLATE.replace("Logs", "Uploads"))
    write(tmp_path / "app.yaml", TEMPLATE)
    waiver_file(tmp_path / WAIVER_FILE, LOGS_WAIVER)  # waives app.yaml's Logs bucket
    report = scan([changed], rules, ENVIRONMENTS, today=TODAY)
    assert report.waivers.stale == [] and report.waivers.applied == []


def test_waivers_apply_to_live_results_alike():
    live = Result("TEST-BUCKET-ENC-001", "encryption-at-rest", "high", FAIL, "prod", "live", "Logs",
                  "AWS::S3::Bucket", None, None, "BucketEncryption is missing", None)
    entry = {"rule": "TEST-BUCKET-ENC-001", "resource": "Logs", "reason": "r", "approved_by": "a",
             "expires": "2025-06-30"}
    from checker.decision.waivers import waiver_from
    everywhere = waiver_from(entry, "w.yaml", 1)
    beside_a_template = waiver_from(entry, "w.yaml", 1, directory="/some/templates")
    results, outcome = apply_waivers([live], [everywhere], TODAY)
    assert [r.status for r in results] == [WAIVED] and outcome.applied == [everywhere]
    results, outcome = apply_waivers([live], [beside_a_template], TODAY)
    assert [r.status for r in results] == [FAIL] and outcome.stale == []


@pytest.mark.parametrize(("entry", "problem"), [
    ("- {rule: R-1, resource: Logs, approved_by: a, expires: 2025-06-30}", "needs reason"),
    ("- {rule: R-1, resource: Logs, reason: r, expires: 2025-06-30}", "needs approved_by"),
    ("- {rule: R-1, resource: Logs, reason: r, approved_by: a}", "needs expires"),
    ("- {rule: R-1, resource: Logs, reason: '  ', approved_by: a, expires: 2025-06-30}", "needs reason"),
    ("- {resource: Logs, reason: r, approved_by: a, expires: 2025-06-30}", "needs rule"),
    ("- {rule: R-1, reason: r, approved_by: a, expires: 2025-13-01}", "expiry '2025-13-01' is not a date"),
    ("- {rule: R-1, reason: r, approved_by: a, expires: next week}", "expiry 'next week' is not a date"),
    ("- {rule: R-1, reason: r, approved_by: a, expires: 2025-6-1}", "expiry '2025-6-1' is not a date"),
    ("- {rule: R-1, reason: r, approved_by: a, expires: 2025-06-30, until: x}", "unknown keys: until"),
    ("- {rule: R-1, reason: r, approved_by: a, expires: 2025-06-30, environments: []}", "environments"),
])
def test_an_incomplete_or_malformed_waiver_is_rejected_naming_file_and_line(tmp_path, entry, problem):
    path = write(tmp_path / "w.yaml", f"# waivers for the payment stack\nwaivers:\n  {entry}\n")
    with pytest.raises(InputError) as raised:
        load_waiver_file(path)
    assert (raised.value.source, raised.value.line) == (str(path), 3)
    assert problem in raised.value.message


def test_a_bad_waiver_file_exits_2_with_file_and_line(tmp_path, rules, capsys):
    template = write(tmp_path / "app.yaml", TEMPLATE)
    path = write(tmp_path / "w.yaml", "waivers:\n  - rule: TEST-BUCKET-ENC-001\n    resource: Logs\n    reason: r\n")
    code = main(["scan", str(template), "--rules", str(tmp_path / "rules"), "--waivers", str(path)])
    assert code == 2
    assert f"{path}:2: waiver of TEST-BUCKET-ENC-001 needs approved_by, expires" in capsys.readouterr().err


def test_a_bad_inline_waiver_is_an_input_error_of_its_template(tmp_path, rules, capsys):
    template = write(tmp_path / "app.yaml", """\
        Resources:
          Logs:
            Type: AWS::S3::Bucket
            Metadata:
              checker:
                waivers:
                  - rule: TEST-BUCKET-ENC-001
                    resource: Archive
                    reason: r
                    approved_by: a
                    expires: 2025-06-30
        """)
    code = main(["scan", str(template), "--rules", str(tmp_path / "rules")])
    assert code == 2
    assert f"{template}:7: waiver in the Metadata of Logs names another resource 'Archive'" in capsys.readouterr().err


def _cli_waiver(tmp_path: Path, expires: date) -> Path:
    return waiver_file(tmp_path / "w.yaml", LOGS_WAIVER.replace("2025-06-30", expires.isoformat()),
                       LOGS_WAIVER.replace("TEST-BUCKET-ENC-001", "TEST-TEMPLATE-DESC-001").replace("Logs", "template")
                       .replace("2025-06-30", expires.isoformat()),
                       LOGS_WAIVER.replace("Logs", "Archive").replace("2025-06-30", expires.isoformat()))


def test_cli_waived_findings_do_not_fail_the_run_and_appear_in_every_report(tmp_path, rules, capsys):
    template = write(tmp_path / "app.yaml", TEMPLATE)
    waivers = _cli_waiver(tmp_path, date.today() + timedelta(days=30))
    report = tmp_path / "out.json"
    code = main(["scan", str(template), "--rules", str(tmp_path / "rules"), "--env", "prod", "--region", "us-east-1",
                 "--waivers", str(waivers), "--json", str(report)])
    out = capsys.readouterr().out
    assert code == 0
    assert "stale waiver: TEST-BUCKET-ENC-001 Archive" in out
    assert "prod: 1 passed, 0 failed, 2 waived" in out
    payload = json.loads(report.read_text())
    assert {r["status"] for r in payload["results"] if r["status"] != "NOT_APPLICABLE"} == {PASS, WAIVED}
    assert [(w["rule_id"], w["resource"], w["findings"]) for w in payload["waivers"]["applied"]] == [
        ("TEST-BUCKET-ENC-001", "Logs", 1), ("TEST-TEMPLATE-DESC-001", None, 1)]
    assert [(w["resource"], w["origin"]) for w in payload["waivers"]["stale"]] == [("Archive", f"{waivers}:12")]
    assert payload["waivers"]["expired"] == []


def test_cli_an_expired_waiver_fails_the_run_and_says_so(tmp_path, rules, capsys):
    template = write(tmp_path / "app.yaml", TEMPLATE)
    expired = date.today() - timedelta(days=1)
    waivers = _cli_waiver(tmp_path, expired)
    report = tmp_path / "out.json"
    code = main(["scan", str(template), "--rules", str(tmp_path / "rules"), "--env", "prod",
                 "--waivers", str(waivers), "--json", str(report)])
    out = capsys.readouterr().out
    assert code == 1
    assert f"waiver expired on {expired}: TEST-BUCKET-ENC-001 Logs ({waivers}:2); its findings fail again" in out
    payload = json.loads(report.read_text())
    logs = next(r for r in payload["results"] if r["resource"] == "Logs")
    assert logs["status"] == FAIL and f"waiver expired on {expired}" in logs["message"]
    assert [(w["resource"], w["expired"]) for w in payload["waivers"]["expired"]] == [("Logs", True), (None, True)]


def test_the_html_report_lists_applied_expired_and_stale_waivers(tmp_path, rules):
    from checker.report import FORMATS, renderer
    from checker.report.payload import build_payload

    if "html" not in FORMATS:
        pytest.fail("the HTML report format is not registered")
    template = write(tmp_path / "app.yaml", TEMPLATE)
    waivers = load_waiver_file(waiver_file(
        tmp_path / "w.yaml", LOGS_WAIVER, LOGS_WAIVER.replace("Logs", "Archive"),
        LOGS_WAIVER.replace("TEST-BUCKET-ENC-001", "TEST-TEMPLATE-DESC-001").replace("Logs", "template")
        .replace("2025-06-30", "2025-01-31")))
    report = scan([template], rules, ENVIRONMENTS[:1], waivers=waivers, today=TODAY)
    html = renderer("html")(build_payload(report, rules, ENVIRONMENTS[:1]))
    for text in ("bucket holds only public price lists", "2025-01-31", "waiver expired on 2025-01-31",
                 "Archive", "stale", "WAIVED"):
        assert text.lower() in html.lower(), text
