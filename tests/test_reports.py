"""Report formats rendered from a payload built by the real engine (tests/data/reports): structure,
escaping, secrets, SARIF schema validity and locations, JUnit outcomes, the Markdown summary."""
from __future__ import annotations

import contextlib
import copy
import json
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import date

import jsonschema
import pytest

from checker.engine.results import ERROR, FAIL, NOT_APPLICABLE, NOT_COLLECTED, NOT_FOUND, PASS, UNCHECKED, WAIVED
from checker.engine.rules import load_rules
from checker.project.plan import select_environments
from checker.report import FORMATS, renderer
from checker.report.payload import build_payload
from checker.report.sarif import artifact_location
from checker.scans import scan
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data"
FIXTURE = DATA / "reports"
STACK = "tests/data/reports/stack.yaml"  # as scanned from the repository root
HOSTILE = "<script>document.title='PWNED'</script>"
SECRETS = ("noecho-6f1e-never-printed", "NoEchoPassw0rd-never-printed")
RESULT_FIELDS = {"rule_id", "control", "severity", "status", "environment", "source", "resource", "resource_type",
                 "file", "line", "message", "evidence", "decided_by"}
SARIF_SCHEMA = json.loads((DATA / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def fixture_payload() -> dict:
    """The payload of the fixture stack scanned from the repository root: its rules, environments, waivers."""
    rules = load_rules([FIXTURE / "rules"])
    with contextlib.chdir(ROOT):
        environments = select_environments(str(FIXTURE / "checker.yaml"), [], None, {})
        report = scan([STACK], rules, environments, today=date(2025, 6, 15))
        return build_payload(report, rules, environments)


@pytest.fixture(scope="module")
def payload():
    return fixture_payload()


@pytest.fixture(scope="module")
def rendered(payload):
    return {name: renderer(name)(payload) for name in FORMATS}


def _attention(payload):
    return [r for r in payload["results"] if r["status"] in (FAIL, *UNCHECKED)]


def test_the_fixture_yields_every_template_status(payload):
    assert {r["status"] for r in payload["results"]} == {PASS, FAIL, ERROR, WAIVED, NOT_APPLICABLE}
    assert all(set(r) == RESULT_FIELDS for r in payload["results"])


def test_json_is_the_payload(payload, rendered):
    assert json.loads(rendered["json"]) == json.loads(json.dumps(payload, default=str))


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_no_noecho_value_appears_in_any_format(rendered, name):
    assert not [secret for secret in SECRETS if secret in rendered[name]]


def test_the_noecho_value_is_shown_masked(payload):
    evidence = [r["evidence"] for r in payload["results"] if r["resource"] == "ArchiveBucket"
                and r["rule_id"] == "RPT-S3-ENCRYPT-001"]
    assert all("****" in json.dumps(e) for e in evidence) and evidence


# --- SARIF ---

def test_sarif_validates_against_the_2_1_0_schema(rendered):
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(json.loads(rendered["sarif"]))


def test_sarif_locates_every_template_finding_at_its_file_and_line(payload, rendered):
    sarif = json.loads(rendered["sarif"])["runs"][0]
    located = set()
    for result in sarif["results"]:
        physical = result["locations"][0]["physicalLocation"]
        for finding in result["properties"]["findings"]:
            located.add((result["ruleId"], finding["environment"], finding["status"],
                         physical["artifactLocation"]["uri"], physical["region"]["startLine"]))
    expected = {(r["rule_id"], r["environment"], r["status"], STACK, r["line"] or 1)
                for r in payload["results"] if r["status"] in (FAIL, ERROR, WAIVED)}
    assert located == expected


def test_sarif_rules_carry_metadata_levels_and_security_severity(rendered):
    run = json.loads(rendered["sarif"])["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    encrypt = rules["RPT-S3-ENCRYPT-001"]
    assert encrypt["shortDescription"]["text"] == "Buckets encrypt with a KMS key"
    assert encrypt["helpUri"].startswith("https://docs.aws.amazon.com/")
    assert "Why it matters" in encrypt["help"]["markdown"] and "3.5.1" in encrypt["help"]["markdown"]
    assert {"security", "encryption-at-rest", "pci-dss-3.5.1"} <= set(encrypt["properties"]["tags"])
    assert encrypt["properties"]["security-severity"] == "9.5"
    levels = {(r["ruleId"], r["level"]) for r in run["results"]}
    assert levels == {("RPT-S3-ENCRYPT-001", "error"), ("RPT-S3-VERSION-001", "error"),
                      ("RPT-RDS-BACKUP-001", "warning"), ("RPT-LOGS-KMS-001", "warning"),
                      ("RPT-LOGS-RETENTION-001", "note")}
    assert all(run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"])


def test_sarif_reports_waived_results_as_suppressed(rendered):
    results = json.loads(rendered["sarif"])["runs"][0]["results"]
    suppressed = [(r["ruleId"], r["suppressions"][0]["kind"]) for r in results if "suppressions" in r]
    assert suppressed == [("RPT-LOGS-RETENTION-001", "external")]


def test_sarif_results_keep_their_identity_across_runs(payload):
    first = json.loads(renderer("sarif")(payload))["runs"][0]["results"]
    again = json.loads(renderer("sarif")(copy.deepcopy(payload) | {"generated_at": "later"}))["runs"][0]["results"]
    prints = [r["partialFingerprints"] for r in first]
    assert prints == [r["partialFingerprints"] for r in again] and len({json.dumps(p) for p in prints}) == len(prints)


def test_sarif_uris_are_relative_to_the_repository_root_else_under_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert artifact_location(str(tmp_path / "t.yaml"), "infra/a dir/t.yaml") == {
        "uri": "infra/a%20dir/t.yaml", "uriBaseId": "%SRCROOT%"}
    assert artifact_location(str(tmp_path / "a dir" / "t.yaml")) == {"uri": "a%20dir/t.yaml", "uriBaseId": "%SRCROOT%"}
    assert artifact_location("/elsewhere/t.yaml") == {"uri": "file:///elsewhere/t.yaml"}


def test_sarif_of_live_results_uses_logical_locations(payload):
    live = copy.deepcopy(payload)
    live["results"] = [{**_attention(payload)[0], "source": "live", "file": None, "line": None,
                        "physical_id": "arn:aws:s3:::ledger-archive"}]
    sarif = json.loads(renderer("sarif")(live))
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(sarif)
    location = sarif["runs"][0]["results"][0]["locations"][0]
    assert "physicalLocation" not in location and location["logicalLocations"][0]["kind"] == "resource"


# --- JUnit ---

def _cases(xml_text):
    root = ET.fromstring(xml_text)
    return root, [(case.get("classname"), case.get("name"), next((c.tag for c in case), "passed"))
                  for suite in root for case in suite]


def test_junit_has_one_case_per_rule_resource_environment_and_source(payload, rendered):
    root, cases = _cases(rendered["junit"])
    outcome = {PASS: "passed", FAIL: "failure", ERROR: "error", WAIVED: "skipped", NOT_APPLICABLE: "skipped"}
    expected = [(f"{r['environment']}.{r['source']}.{r['rule_id']}", r["resource"] or "(template)",
                 outcome[r["status"]]) for r in payload["results"]]
    assert Counter(cases) == Counter(expected)
    totals = Counter(status for *_, status in cases)
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == (
        str(len(cases)), str(totals["failure"]), str(totals["error"]), str(totals["skipped"]))
    assert {suite.get("name") for suite in root} == {"prod.template", "dev.template"}


def test_junit_failures_carry_location_and_evidence(rendered):
    root = ET.fromstring(rendered["junit"])
    case = next(c for c in root.iter("testcase") if c.get("name") == "LedgerCluster" and c.find("failure") is not None)
    assert case.get("file") == STACK and case.get("line") == "41"
    assert "BackupRetentionPeriod" in case.find("failure").text and '"Properties.BackupRetentionPeriod": 7' in \
        case.find("failure").text


def test_junit_maps_live_statuses_and_input_errors(payload):
    live = copy.deepcopy(payload)
    template = _attention(payload)[0]
    live["results"] = [{**template, "source": "live", "status": status} for status in (NOT_FOUND, NOT_COLLECTED)]
    live["input_errors"] = ["broken.yaml:3: malformed YAML\x00"]
    _, cases = _cases(renderer("junit")(live))
    assert [outcome for *_, outcome in cases] == ["error", "error", "error"]
    assert cases[-1][0] == "inputs"


# --- Markdown ---

def test_markdown_summarizes_counts_per_environment(payload, rendered):
    rows = {line.split("|")[1].strip(): line for line in rendered["markdown"].splitlines()
            if line.startswith("| prod ") or line.startswith("| dev ")}
    for env, counts in payload["summary"]["environments"].items():
        cells = [c.strip() for c in rows[env].strip("|").split("|")]
        assert cells[1:4] == [str(counts["status"].get(s, 0)) for s in (PASS, FAIL, ERROR)]
    assert rendered["markdown"].startswith("### Compliance check failed")


def test_markdown_caps_the_failure_list(payload):
    many = copy.deepcopy(payload)
    failure = next(r for r in payload["results"] if r["status"] == FAIL)
    many["results"] = [{**failure, "resource": f"Bucket{i}"} for i in range(27)]
    text = renderer("markdown")(many)
    assert "(first 20 of 27)" in text and "…and 7 more" in text
    assert sum(1 for line in text.splitlines() if line.startswith("| FAIL |")) == 20


def test_markdown_shows_hostile_values_as_text(rendered):
    text = rendered["markdown"]
    assert "<script" not in text and "<img" not in text
    assert "&lt;script&gt;document.title='PWNED'&lt;/script&gt;" in text
