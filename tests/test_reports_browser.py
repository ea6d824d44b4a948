"""The HTML report in a real browser: Debian's headless Chromium renders the report of the seed's flawed
template (merged with the hostile fixture stack), takes a screenshot, prints it, and the DOM it dumps
shows the JSON's counts, hostile names as text with no injected script run, and working filters."""
from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import pytest

from checker.engine.rules import bundled_rule_dirs, load_rules
from checker.project.plan import select_environments
from checker.report import write_atomic
from checker.report.html import render_html
from checker.report.merge import merge
from checker.report.payload import build_payload
from checker.report.view import ATTENTION
from checker.scans import scan
from tests.conftest import ROOT
from tests.test_reports import HOSTILE, fixture_payload
from tests.test_reports_html import Elements

CHROMIUM = Path("/usr/bin/chromium")
SEED = "tests/fixtures/seed-flawed.yaml"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic", "--hide-scrollbars",
         "--host-resolver-rules=MAP * ~NOTFOUND"]  # nothing may be fetched: any lookup fails

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not CHROMIUM.exists(), reason=(
    "Debian's chromium is not installed at /usr/bin/chromium; .ci/run installs it "
    "(apt-get install -y --no-install-recommends chromium)"))]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The seed's report merged with the fixture stack's: (path of the HTML file, payload)."""
    rules = load_rules(bundled_rule_dirs())
    with contextlib.chdir(ROOT):
        environments = select_environments(str(ROOT / "checker.yaml"), [], None, {})
        seed = build_payload(scan([SEED], rules, environments), rules, environments)
    payload = merge([seed, fixture_payload()], ["seed.json", "fixture.json"])
    path = tmp_path_factory.mktemp("browser") / "report.html"
    write_atomic(path, render_html(payload))
    return path, payload


def chromium(profile: Path, url: str, *args: str) -> str:
    completed = subprocess.run([str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args, url],
                               capture_output=True, text=True, timeout=180, check=False)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed.stdout


def dom(tmp_path: Path, report_path: Path, fragment: str = "") -> Elements:
    return Elements(chromium(tmp_path / "profile", report_path.as_uri() + fragment, "--dump-dom"))


def test_chromium_renders_a_screenshot_and_a_print(report, tmp_path):
    path, _ = report
    screenshot, printed = tmp_path / "report.png", tmp_path / "report.pdf"
    chromium(tmp_path / "profile", path.as_uri(), f"--screenshot={screenshot}", "--window-size=1280,2000")
    chromium(tmp_path / "profile", path.as_uri(), f"--print-to-pdf={printed}", "--no-pdf-header-footer")
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 50_000
    assert printed.read_bytes()[:5] == b"%PDF-" and printed.read_bytes().count(b"/Type /Page\n") + \
        printed.read_bytes().count(b"/Type/Page") >= 2


def test_summary_counts_in_the_dom_equal_the_json(report, tmp_path):
    path, payload = report
    elements = dom(tmp_path, path)
    shown = {(e["attrs"]["data-summary-environment"], e["attrs"]["data-summary-status"]): int(e["text"])
             for e in elements.having("data-summary-status")}
    expected = {(env, status): counts["status"].get(status, 0)
                for env, counts in payload["summary"]["environments"].items() for status in
                {s for _, s in shown}}
    assert shown == expected
    assert {env for env, _ in shown} == {"prod", "staging", "dev"}
    rows = [e for e in elements.having("data-status") if e["tag"] == "tr"]
    assert len(rows) == len(payload["results"]) + sum(r["status"] in ATTENTION for r in payload["results"])


def test_a_hostile_resource_name_is_text_and_no_injected_script_runs(report, tmp_path):
    path, _ = report
    elements = dom(tmp_path, path)
    title = next(e["text"] for e in elements.found if e["tag"] == "title")
    body = next(e for e in elements.found if e["tag"] == "body")
    assert title.startswith("Compliance report") and "PWNED" not in title
    assert "data-pwned" not in body["attrs"]
    assert HOSTILE in [e["text"] for e in elements.found if e["attrs"].get("class") == "resource"]
    assert [e["tag"] for e in elements.found if e["tag"] in ("script", "img")] == ["script"]


@pytest.mark.parametrize("fragment, wanted", [
    ("#status=FAIL", {"status": "FAIL"}),
    ("#environment=dev&severity=critical", {"environment": "dev", "severity": "critical"}),
    ("#control=password-policy", {"control": "password-policy"}),
])
def test_filters_from_the_address_fragment_hide_the_other_rows(report, tmp_path, fragment, wanted):
    path, payload = report
    elements = dom(tmp_path, path, fragment)
    form = next(e for e in elements.found if e["attrs"].get("id") == "filters")
    assert "hidden" not in form["attrs"]  # the script ran and offers the filters
    rows = [e for e in elements.having("data-status") if e["tag"] == "tr"]
    matching = [r for r in rows if all(r["attrs"][f"data-{k}"] == v for k, v in wanted.items())]
    assert matching and all("hidden" not in r["attrs"] for r in matching)
    assert all("hidden" in r["attrs"] for r in rows if r not in matching)
    expected = sum(all(result[k] == v for k, v in wanted.items()) for result in payload["results"])
    shown = next(e["text"] for e in elements.found if e["attrs"].get("id") == "shown")
    assert shown == f"{expected} of {len(payload['results'])} results shown"
    assert any("hidden" in group["attrs"] for group in elements.having("data-group"))


def _checks_order(elements: Elements) -> list[list[str]]:
    """For each table of the list of every check: the environment and source of its rows, in page order."""
    start = next(i for i, e in enumerate(elements.found) if e["attrs"].get("id") == "checks")
    tables: list[list[str]] = []
    for element in elements.found[start:]:
        if element["tag"] == "table":
            tables.append([])
        elif element["tag"] == "tr" and "data-status" in element["attrs"]:
            tables[-1].append(element["attrs"]["data-environment"] + element["attrs"]["data-source"])
    return tables


def test_the_address_fragment_sorts_the_result_tables(report, tmp_path):
    path, _ = report
    unsorted = _checks_order(dom(tmp_path, path))
    assert any(rows != sorted(rows, reverse=True) for rows in unsorted)  # not already in that order
    assert _checks_order(dom(tmp_path, path, "#sort=-environment")) == [sorted(rows, reverse=True)
                                                                         for rows in unsorted]
    assert _checks_order(dom(tmp_path, path, "#status=FAIL&sort=environment")) == [sorted(rows)
                                                                                   for rows in unsorted]
