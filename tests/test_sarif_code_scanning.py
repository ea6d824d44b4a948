"""SARIF as code scanning shows it: a region on every result, paths from the repository root, one alert
per rule and place naming its environments, fingerprints that survive edits; and short report titles."""
from __future__ import annotations

import copy
import json
import shutil
import subprocess
import tomllib

import jsonschema
import pytest

from checker.cli import main
from checker.report import renderer
from tests.conftest import ROOT
from tests.test_reports import SARIF_SCHEMA, fixture_payload
from tests.test_waivers import write

# A whole-template rule that reads one parameter's value, and one that reads nothing in the template.
RULES = """\
rules:
  - id: T-ENV-NAMED-001
    title: The deployment names a known environment
    control: region-mapping
    severity: high
    target: template
    sources: [template]
    assert:
      - expr: Deployment.Parameters.Tier == 'gold'
        message: the Tier parameter must be gold
    remediation: Deploy the gold tier.
    references: [https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html]
    tests:
      - {name: gold, template: {Parameters: {Tier: {Type: String, Default: gold}}, Resources: {}}, expect: PASS}
      - {name: tin, template: {Parameters: {Tier: {Type: String, Default: tin}}, Resources: {}}, expect: FAIL}
  - id: T-QUEUES-001
    title: The stack has a queue
    control: region-mapping
    severity: medium
    target: template
    sources: [template]
    assert:
      - expr: length(resources('AWS::SQS::Queue')) > `0`
        message: the stack has no queue
    remediation: Add a queue.
    references: [https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sqs-queue.html]
    tests:
      - {name: queue, template: {Resources: {Q: {Type: AWS::SQS::Queue}}}, expect: PASS}
      - {name: none, template: {Resources: {}}, expect: FAIL}
"""
STACK = """\
Description: a stack with no queue, deployed in the tin tier
Parameters:
  Tier:
    Type: String
    Default: tin
Resources:
  Topic:
    Type: AWS::SNS::Topic
"""
CONFIG = "environments:\n  prod: {region: us-east-1}\n  staging: {region: us-east-2}\n  dev: {region: us-west-2}\n"


@pytest.fixture(scope="module")
def payload():
    return fixture_payload()


def _run(payload: dict) -> dict:
    return json.loads(renderer("sarif")(payload))["runs"][0]


@pytest.fixture
def repository(tmp_path, monkeypatch):
    """A git repository with a config, the rules and infra/stacks/app.yaml; run from infra/."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    write(tmp_path / "checker.yaml", CONFIG)
    write(tmp_path / "rules" / "rules.yaml", RULES)
    write(tmp_path / "infra" / "stacks" / "app.yaml", STACK)
    monkeypatch.chdir(tmp_path / "infra")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


def _scan_sarif(repository) -> dict:
    main(["scan", "stacks", "--rules", "../rules", "--sarif", "out.sarif"])
    sarif = json.loads((repository / "infra" / "out.sarif").read_text())
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(sarif)
    return sarif["runs"][0]


def test_whole_template_findings_point_at_the_parameter_that_decides_them_else_line_1(repository):
    run = _scan_sarif(repository)
    regions = {r["ruleId"]: r["locations"][0]["physicalLocation"]["region"] for r in run["results"]}
    assert regions == {"T-ENV-NAMED-001": {"startLine": 3}, "T-QUEUES-001": {"startLine": 1}}


def test_uris_are_relative_to_the_repository_root(repository):
    run = _scan_sarif(repository)
    assert {json.dumps(r["locations"][0]["physicalLocation"]["artifactLocation"]) for r in run["results"]} == {
        json.dumps({"uri": "infra/stacks/app.yaml", "uriBaseId": "%SRCROOT%"})}
    assert [a["location"]["uri"] for a in run["artifacts"]] == ["infra/stacks/app.yaml"]


def test_one_result_per_rule_and_place_names_the_environments_it_fails_in(repository):
    run = _scan_sarif(repository)
    results = {r["ruleId"]: r for r in run["results"]}
    assert set(results) == {"T-ENV-NAMED-001", "T-QUEUES-001"}
    named = results["T-ENV-NAMED-001"]
    assert named["message"]["text"] == "(template): the Tier parameter must be gold [FAIL in prod, staging, dev]"
    assert named["properties"]["environments"] == ["prod", "staging", "dev"]
    assert [(f["environment"], f["status"]) for f in named["properties"]["findings"]] == [
        ("prod", "FAIL"), ("staging", "FAIL"), ("dev", "FAIL")]


def test_every_result_of_the_fixture_has_a_region_and_places_are_not_repeated(payload):
    run = _run(payload)
    places = [(r["ruleId"], json.dumps(r["locations"][0]["physicalLocation"])) for r in run["results"]]
    assert len(places) == len(set(places))
    assert all(r["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1 for r in run["results"])
    environments = {e for r in run["results"] for e in r["properties"]["environments"]}
    assert environments == {"prod", "dev"}


def test_results_in_different_environments_with_different_statuses_say_which(payload):
    mixed = copy.deepcopy(payload)
    failure = next(r for r in mixed["results"] if r["status"] == "FAIL")
    mixed["results"] = [failure, {**failure, "environment": "dev", "status": "ERROR", "message": "cannot decide"}]
    [result] = _run(mixed)["results"]
    assert result["message"]["text"].endswith(f"dev/template: cannot decide [FAIL in {failure['environment']}; "
                                              "ERROR in dev]")


def test_fingerprints_survive_a_moved_line_and_another_environment(payload):
    before = {r["ruleId"] + r["message"]["text"][:20]: r["partialFingerprints"] for r in _run(payload)["results"]}
    moved = copy.deepcopy(payload)
    for result in moved["results"]:
        result["line"] = (result["line"] or 0) + 5
    after = {r["ruleId"] + r["message"]["text"][:20]: r["partialFingerprints"] for r in _run(moved)["results"]}
    assert after == before
    one_environment = copy.deepcopy(payload)
    one_environment["results"] = [r for r in payload["results"] if r["environment"] == "prod"]
    fewer = {r["partialFingerprints"]["checkerFinding/v1"] for r in _run(one_environment)["results"]}
    assert fewer <= {p["checkerFinding/v1"] for p in before.values()}


def test_every_rule_links_to_its_aws_documentation(payload):
    driver = _run(payload)["tool"]["driver"]
    assert all(rule["helpUri"] == payload["rules"][rule["id"]]["references"][0] for rule in driver["rules"])


def test_the_driver_links_to_the_project_only_where_its_package_declares_an_address(payload):
    # The address is the package's own ([project.urls] Homepage in pyproject.toml), never one made up.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    homepage = project.get("urls", {}).get("Homepage")
    assert _run(payload)["tool"]["driver"].get("informationUri") == homepage


# --- report titles -------------------------------------------------------------------------------------

def _directory_payload(payload: dict, count: int) -> dict:
    many = copy.deepcopy(payload)
    many["templates"] = [{**payload["templates"][0], "path": f"corpus/team-{i % 3}/stack-{i}.yaml"}
                         for i in range(count)]
    return many


def test_a_directory_report_has_a_short_title_and_lists_its_templates_below(payload):
    many = _directory_payload(payload, 184)
    html = renderer("html")(many)
    assert f"<title>Compliance report · 184 templates in corpus/ · {payload['generated_at']}</title>" in html
    assert "<h1>184 templates in corpus/</h1>" in html
    assert html.count('<code class="path">corpus/<wbr>team-') == 184
    markdown = renderer("markdown")(many).splitlines()
    assert " in 2 environments. `184 templates in corpus/`; rule pack `" in markdown[2] and len(markdown[2]) < 300
    assert "<details><summary>184 templates</summary>" in markdown
    assert sum(line.startswith("| corpus/team-") for line in markdown) == 184


def test_a_single_template_report_is_titled_with_its_path(payload):
    html = renderer("html")(payload)
    assert f"<h1>{payload['templates'][0]['path']}</h1>" in html
    assert "<details>" not in renderer("markdown")(payload)
