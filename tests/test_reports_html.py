"""The auditor's HTML report: escaping of hostile values, a self-contained page that works without
JavaScript and prints, the content an auditor asks for, drift, waivers, coverage and the control matrix."""
from __future__ import annotations

import copy
import re
from html.parser import HTMLParser

import pytest

from checker.engine.results import ERROR, FAIL, NOT_FOUND, PASS, WAIVED
from checker.report.html import render_html
from checker.report.view import control_matrix, worst
from tests.test_reports import HOSTILE, fixture_payload


class Elements(HTMLParser):
    """Every element of an HTML document: tag, attributes and the text inside it; and the style sheets."""

    VOID = {"meta", "br", "wbr", "img", "link", "input", "hr", "source", "col", "area", "base", "embed"}

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[dict] = []
        self.open: list[dict] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        element = {"tag": tag, "attrs": dict(attrs), "text": ""}
        self.found.append(element)
        if tag not in self.VOID:
            self.open.append(element)

    def handle_endtag(self, tag):
        while self.open and self.open.pop()["tag"] != tag:
            pass

    def handle_data(self, data):
        for element in self.open:
            element["text"] += data

    def having(self, attribute: str) -> list[dict]:
        return [e for e in self.found if attribute in e["attrs"]]


@pytest.fixture(scope="module")
def payload():
    return fixture_payload()


@pytest.fixture(scope="module")
def html(payload):
    return render_html(payload)


def test_html_shows_hostile_values_as_text(html):
    assert HOSTILE not in html and "<img" not in html
    assert "&lt;script&gt;document.title=&#39;PWNED&#39;&lt;/script&gt;" in html
    elements = Elements(html)
    assert [e for e in elements.found if e["tag"] == "script"] == [elements.found[-1]]  # the report's own
    assert not [name for e in elements.found for name in e["attrs"] if name.startswith("on")]
    assert HOSTILE in [e["text"] for e in elements.found if e["attrs"].get("class") == "resource"]


def test_html_is_self_contained(html):
    elements = Elements(html)
    tags = {e["tag"] for e in elements.found}
    assert not tags & {"link", "img", "iframe", "object", "embed", "video", "audio", "source", "base"}
    assert elements.having("src") == [] and elements.having("srcset") == []
    styles = " ".join(e["text"] for e in elements.found if e["tag"] == "style")
    assert "@media print" in styles and not re.search(r"url\(|@import", styles)
    assert [e["tag"] for e in elements.found if e["tag"] in ("style", "script")] == ["style", "script"]


def test_html_without_javascript_shows_everything_and_no_dead_controls(html):
    hidden = [e["attrs"].get("id") for e in Elements(html).having("hidden")]
    assert hidden == ["filters", "filter-note"]  # shown by the script, which is what makes them work


def test_html_holds_what_an_auditor_asks_for(payload, html):
    template = payload["templates"][0]
    assert template["sha256"] in html and payload["rule_pack"]["version"] in html and payload["generated_at"] in html
    for section in ("about", "summary", "matrix", "findings", "waivers", "checks"):
        assert f'id="{section}"' in html
    for text in ("Why it matters", "Remediation", "PCI DSS v4.0", "3.5.1", "stack.yaml:41",
                 "https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html",
                 "Logs are exported nightly", "ArchiveBucket"):
        assert text in html


def test_html_summary_cells_equal_the_payload_summary(payload, html):
    cells = re.findall(r'data-summary-environment="(\w+)" data-summary-status="(\w+)">(\d+)<', html)
    shown = {(env, status): int(n) for env, status, n in cells if int(n)}
    expected = {(env, status): n for env, counts in payload["summary"]["environments"].items()
                for status, n in counts["status"].items()}
    assert shown == expected


def test_html_renders_drift_and_keeps_hostile_links_inert(payload):
    drifted = copy.deepcopy(payload)
    drifted["drift"] = [{"environment": "prod", "rule_id": "RPT-S3-VERSION-001", "resource": "ArchiveBucket",
                         "kind": "property", "path": ["Properties", "VersioningConfiguration", "Status"],
                         "template": "Enabled", "live": "<b>Suspended</b>"}]
    drifted["rules"]["RPT-S3-VERSION-001"]["references"] = ["javascript:alert(1)"]
    html = render_html(drifted)
    assert 'id="drift"' in html and "Properties.VersioningConfiguration.Status" in html
    assert "&lt;b&gt;Suspended&lt;/b&gt;" in html and "<b>Suspended" not in html
    assert 'href="javascript:' not in html


def test_control_matrix_cells_hold_the_worst_status():
    results = [{"control": "lifecycle", "environment": "prod", "source": source, "status": status,
                "rule_id": "R", "severity": "low"}
               for source, status in (("template", PASS), ("template", FAIL), ("live", WAIVED), ("live", PASS))]
    matrix = control_matrix({"results": results, "environments": [{"name": "prod"}]})
    assert matrix.columns == [("prod", "template"), ("prod", "live")]
    assert [cell.status for cell in matrix.rows[0][1]] == [FAIL, WAIVED]
    assert worst([PASS, NOT_FOUND, ERROR]) == ERROR and worst([]) is None


def test_html_lists_what_could_not_be_checked(payload):
    incomplete = copy.deepcopy(payload) | {
        "input_errors": ["broken.yaml:3: malformed YAML"], "skipped": ["notes.yaml: not a template"],
        "unknown_resource_types": [{"file": "x.yaml", "line": 4, "resource": "Q", "resource_type": "AWS::SQS::Queu"}]}
    page = render_html(incomplete)
    assert 'id="coverage"' in page
    for text in ("broken.yaml:3: malformed YAML", "notes.yaml: not a template", "AWS::SQS::Queu", "x.yaml:4"):
        assert text in page
    assert 'id="coverage"' not in render_html(copy.deepcopy(payload) | {"notes": []})


def test_the_headline_says_passed_only_when_nothing_failed_or_went_unchecked(payload):
    passed = copy.deepcopy(payload) | {"results": [r for r in payload["results"] if r["status"] == PASS]}
    assert 'class="verdict verdict-PASS"' in render_html(passed)
    assert 'class="verdict verdict-FAIL"' in render_html(payload)
    unchecked = copy.deepcopy(passed) | {"input_errors": ["broken.yaml: malformed YAML"]}
    assert 'class="verdict verdict-ERROR"' in render_html(unchecked)
