"""No secret reaches an output: secrets planted in every place a collector reads a free-form value (see
secrets_env.py), and the NoEcho parameter's value wherever it was substituted, appear in no report format and
not on the console, drift included; while the text around them does, so nothing passes by being left out."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from checker.cli import main
from checker.live.collectors import COLLECTORS
from tests.live import payment_env, secrets_env

FORMATS = ("json", "html", "sarif", "junit", "markdown")
SHOWING_EVIDENCE = ("json", "html", "sarif", "junit")  # markdown and the console show messages, not values
COMMANDS = {"scan --live": lambda template: ["scan", str(template), "--live"],
            "live": lambda template: ["live", "--template", str(template)]}


def _showing_rules(directory: Path) -> Path:
    """One rule per collected type that fails and shows the whole resource as evidence: every value a
    collector read then reaches the reports."""
    rules = [{"id": f"TEST-SHOW-{number:03d}", "title": f"shows what was read of {kind}", "control": "shown",
              "severity": "low", "target": kind, "sources": ["template", "live"],
              "assert": [{"expr": "Properties == `null`", "evidence": "@"}],
              "remediation": "None: the rule shows values.",
              "references": ["https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/"],
              "tests": [{"name": "shown", "resource": {"Type": kind, "Properties": {}}, "expect": "FAIL"}]}
             for number, kind in enumerate(sorted(COLLECTORS), 1)]
    directory.mkdir()
    (directory / "show.yaml").write_text(yaml.safe_dump({
        "controls": [{"id": "shown", "title": "Shown", "description": "Values shown for the test."}],
        "rules": rules}))
    return directory


def _run(command: str, aws, suffix: str, endpoint: str, directory: Path, capsys) -> tuple[dict[str, str], list[str]]:
    """Plant, run `command` writing every format, and return what each format and the console hold, and the
    places the reports must show."""
    planted = secrets_env.plant(aws, suffix)
    template = directory / "template.json"
    template.write_text(json.dumps(planted.template))
    outputs = directory / "outputs.json"
    outputs.write_text(json.dumps(planted.outputs))
    config = directory / "checker.yaml"
    config.write_text(yaml.safe_dump({"environments": {"prod": {
        "region": "us-east-1", "account_id": payment_env.ACCOUNT,
        "parameters": {"DbPassword": secrets_env.NOECHO}}}}))
    reports = {name: directory / f"report.{name}" for name in FORMATS}
    args = [*COMMANDS[command](template), "--config", str(config), "--outputs", str(outputs),
            "--endpoint-url", endpoint, "--add-rules", str(_showing_rules(directory / "rules")), "-v"]
    for name, path in reports.items():
        args += [f"--{name}", str(path)]
    main(args)
    console = capsys.readouterr()
    written = {name: path.read_text() for name, path in reports.items()}
    written["console"] = console.out + console.err
    return written, planted.places


@pytest.mark.parametrize("command", COMMANDS)
def test_no_planted_secret_reaches_any_output(command, endpoint, aws, suffix, tmp_path, capsys):
    written, places = _run(command, aws, suffix, endpoint, tmp_path, capsys)
    leaks = {(name, secret) for name, text in written.items() for secret in secrets_env.PLANTED if secret in text}
    assert leaks == set()
    unshown = {(name, place) for name in SHOWING_EVIDENCE for place in places if place not in written[name]}
    assert unshown == set()


def test_drift_is_compared_on_real_values_and_reported_masked(endpoint, aws, suffix, tmp_path, capsys):
    written, places = _run("scan --live", aws, suffix, endpoint, tmp_path, capsys)
    drift = {(d["resource"], d["path"]): d for d in json.loads(written["json"])["drift"]}
    # The NoEcho-derived URL matches; the changed password and key are drift, masked.
    assert ("Function", "Properties.Environment.Variables.DATABASE_URL") not in drift
    changed = drift["Function", "Properties.Environment.Variables.DB_PASSWORD"]
    assert (changed["template"], changed["live"], changed["change"]) == ("****", "****", "changed")
    assert ("Function", "Properties.Environment.Variables.STRIPE_API_KEY") in drift
    # Every place the template declares is drift too, shown around its masked secrets. (The function's own
    # policy, which holds the statement added by hand, is no property of the template.)
    shown = json.dumps([[d["path"], d["template"], d["live"]] for d in drift.values()])
    assert {place for place in places if place not in shown} == {"Lambda policy source"}
