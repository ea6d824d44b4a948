"""A scan's results kept out of memory: the spool counts and records every result, gives back only those
that need attention, and the reports read the records back exactly as they would have made them."""
from __future__ import annotations

import gc
import json
import weakref
from dataclasses import replace
from datetime import date

import pytest

from checker.decision.baseline import Baseline, finding_key
from checker.decision.gate import decide
from checker.decision.waivers import Waiver, WaiverRun, apply_waivers
from checker.engine.evaluate import evaluate
from checker.engine.results import ERROR, FAIL, NOT_APPLICABLE, PASS, WAIVED, Result, Tally, summarize
from checker.engine.rules import bundled_rule_dirs, load_rules
from checker.engine.spool import Records, ResultSpool
from checker.report import json_lines, renderer, write_reports
from checker.report.payload import build_payload, report_line
from checker.scans import scan
from checker.template.environment import Environment
from checker.template.load import load_template
from checker.template.mask import Masker
from checker.template.render import render
from tests.conftest import ROOT


def _result(status: str, resource: str = "Bucket", environment: str = "prod", severity: str = "high") -> Result:
    return Result("PAY-S3-ENC-001", "encryption-at-rest", severity, status, environment, "template", resource,
                  "AWS::S3::Bucket", "t.yaml", 3, f"{status} on {resource}", {"Properties.X": "password=hunter2"})


RESULTS = [_result(PASS, "A"), _result(FAIL, "B"), _result(NOT_APPLICABLE, "C"), _result(ERROR, "D", "dev", "low"),
           _result(WAIVED, "E"), _result(PASS, "F", "dev")]


def test_a_spool_gives_back_only_the_results_that_need_attention():
    assert ResultSpool(report_line()).add(RESULTS) == [RESULTS[1], RESULTS[3], RESULTS[4]]


def test_a_spool_reads_back_every_record_in_order_as_the_report_makes_it():
    spool = ResultSpool(report_line())
    spool.add(RESULTS[:3])
    spool.add(RESULTS[3:])
    assert list(Records(spool)) == [Masker().mask(result.to_dict()) for result in RESULTS]


def _encoded(result: Result) -> str:
    return json.dumps(Masker().mask(result.to_dict()), default=str)


def test_a_report_line_is_the_masked_record_encoded_whatever_its_results_share():
    evidence = {"Properties.Url": "https://user:hunter2@example.com", "Tags": [{"Key": "api_key", "Value": "k"}]}
    shared = [replace(_result(FAIL, name), evidence=evidence, line=line) for name, line in (("A", 3), ("B", None))]
    live = replace(_result(FAIL, "C"), source="live", physical_id="bucket-c", file=None, line=None)
    org = replace(_result(ERROR, "D"), account="123456789012", region="us-east-1", stack="pay", decided_by=None)
    whole = replace(_result(NOT_APPLICABLE), resource=None, evidence=None, message="password=hunter2 é")
    numbered = replace(_result(NOT_APPLICABLE), resource=123, evidence=None)  # YAML reads `123:` as a number
    results = [*shared, live, org, whole, replace(shared[0], resource="hunter2-token=x", line=7), numbered]
    line = report_line()
    assert [line(result) for result in results + results] == [_encoded(result) for result in results + results]


def test_a_report_line_escapes_texts_as_json_does():
    odd = replace(_result(FAIL), evidence={'"resource": ': ['\x00"line": 3']}, resource='"line": \x00\u2028')
    line = report_line()
    assert [line(odd), line(odd)] == [_encoded(odd)] * 2


def test_a_report_line_follows_a_new_evidence_object_with_the_same_id():
    line = report_line()
    first = line(replace(_result(FAIL), evidence={"Properties.X": 1}))
    assert first == _encoded(replace(_result(FAIL), evidence={"Properties.X": 1}))
    again = replace(_result(FAIL), evidence={"Properties.X": 2})  # the first's evidence is gone: its id may recur
    assert line(again) == _encoded(again)


def test_a_spooled_record_is_masked():
    spool = ResultSpool(report_line())
    spool.add(RESULTS[:1])
    assert "hunter2" not in next(spool.lines())


def test_records_can_be_read_again():
    spool = ResultSpool(report_line())
    spool.add(RESULTS)
    records = Records(spool)
    assert list(records) == list(records)
    assert len(records) == len(RESULTS)


def test_baseline_states_go_to_the_kept_results_in_turn():
    spool = ResultSpool(report_line())
    kept = spool.add(RESULTS)
    states = iter(["known", "new", None])
    records = [json.loads(line) for line in spool.lines(states)]
    assert [r.get("baseline_state") for r in records] == [None, "known", None, "new", None, None]
    assert [r["resource"] for r in records if "baseline_state" in r] == [kept[0].resource, kept[1].resource]


def test_a_spool_counts_what_one_pass_over_every_result_counts():
    spool = ResultSpool()
    spool.add(RESULTS[:2])
    spool.add(RESULTS[2:])
    assert spool.tally.summary() == summarize(RESULTS)


def test_counts_keep_the_order_in_which_each_status_environment_and_severity_first_appears():
    results = [_result(PASS, environment="dev"), _result(FAIL, "A", "prod", "low"), _result(ERROR, "B", "dev", "high"),
               _result(FAIL, "C", "prod", "high"), _result(FAIL, "D", "prod", "low")]
    summary = Tally.of(results).summary()
    assert list(summary["total"].items()) == [(PASS, 1), (FAIL, 3), (ERROR, 1)]
    assert list(summary["environments"]) == ["dev", "prod"]
    assert list(summary["environments"]["prod"]["failed_by_severity"].items()) == [("low", 2), ("high", 1)]
    assert list(Tally.of(results).groups) == [("dev", "template"), ("prod", "template")]


def test_a_spool_without_a_record_only_counts():
    spool = ResultSpool()
    assert spool.add(RESULTS) == [RESULTS[1], RESULTS[3], RESULTS[4]]
    with pytest.raises(ValueError, match="only counts"):
        next(spool.lines())


WAIVERS = [Waiver("PAY-S3-ENC-001", "B", None, "later", "someone", date(2099, 1, 1), "w.yaml:1"),
           Waiver("PAY-S3-ENC-001", "A", None, "passes anyway", "someone", date(2099, 1, 1), "w.yaml:7"),
           Waiver("PAY-S3-ENC-001", "Z", ("dev",), "expired", "someone", date(2020, 1, 1), "w.yaml:13"),
           Waiver("PAY-NO-SUCH-001", "B", None, "typo", "someone", date(2099, 1, 1), "w.yaml:19")]


def test_waivers_applied_a_template_at_a_time_give_what_one_pass_gives():
    failing = [*RESULTS, _result(FAIL, "Z", "dev")]
    whole, outcome = apply_waivers(failing, WAIVERS, date(2026, 1, 1), {"PAY-S3-ENC-001"})
    run = WaiverRun(WAIVERS[:1], date(2026, 1, 1), {"PAY-S3-ENC-001"})
    first = run.apply(failing[:3])
    run.add(WAIVERS[1:])  # found with the next template; whether one is stale is judged on every result
    assert first + run.apply(failing[3:]) == whole
    assert run.outcome() == outcome
    assert [w.resource for w in outcome.stale] == ["A"] and [w.resource for w in outcome.expired] == ["Z"]


ENVIRONMENTS = [Environment(name, region, None, None, {"Environment": name})
                for name, region in (("prod", "us-east-1"), ("staging", "us-east-2"), ("dev", "us-west-2"))]
SEED = ROOT / "tests" / "fixtures" / "seed-flawed.yaml"


@pytest.fixture(scope="module")
def rules():
    return load_rules(bundled_rule_dirs())


def test_a_spooled_scan_keeps_only_the_results_that_need_attention(rules):
    whole = scan([SEED], rules, ENVIRONMENTS)
    spooled = scan([SEED], rules, ENVIRONMENTS, spool=ResultSpool(report_line()))
    assert spooled.results == [r for r in whole.results if r.status not in (PASS, NOT_APPLICABLE)]
    assert len(spooled.results) < len(whole.results) / 2
    assert spooled.tally().summary() == summarize(whole.results)


@pytest.mark.parametrize("name", ["json", "html", "sarif", "junit", "markdown"])
def test_every_report_of_a_spooled_scan_is_the_one_a_whole_scan_makes(rules, name, tmp_path):
    baseline = Baseline("b.json", frozenset(finding_key(r) for r in scan([SEED], rules, ENVIRONMENTS).results[:40]))
    texts = []
    for spool in (None, ResultSpool(report_line())):
        report = scan([SEED], rules, ENVIRONMENTS, spool=spool)
        payload = build_payload(report, rules, ENVIRONMENTS, decide(report.results, "high", False, baseline))
        assert isinstance(payload["results"], Records) == (spool is not None)
        payload["generated_at"] = "then"
        write_reports(payload, {name: str(tmp_path / f"{len(texts)}.{name}")})
        texts.append((tmp_path / f"{len(texts)}.{name}").read_text())
    assert texts[0] == texts[1]
    assert "baseline_state" in texts[0] or name != "json"


def test_one_write_reads_the_spool_for_each_format(rules, tmp_path):
    report = scan([SEED], rules, ENVIRONMENTS, spool=ResultSpool(report_line()))
    payload = build_payload(report, rules, ENVIRONMENTS)
    assert write_reports(payload, {"json": str(tmp_path / "r.json"), "html": str(tmp_path / "r.html")}) == []
    assert json.loads((tmp_path / "r.json").read_text())["results"] == list(payload["results"])
    assert (tmp_path / "r.html").read_text() == renderer("html")({**payload, "results": list(payload["results"])})


def test_the_json_report_of_a_spool_copies_its_lines(rules):
    report = scan([SEED], rules, ENVIRONMENTS, spool=ResultSpool(report_line()))
    payload = build_payload(report, rules, ENVIRONMENTS)
    lines = list(json_lines(payload))
    assert [line[:-2] for line in lines[1:-1]] + [lines[-1][:-4]] == list(payload["results"].lines())
    assert json.loads("".join(lines))["results"] == list(payload["results"])


def test_a_document_is_freed_as_soon_as_the_rules_are_done_with_it():
    rules = load_rules(bundled_rule_dirs())
    template = load_template(SEED)
    document = render(template, ENVIRONMENTS[0])
    template.renders.clear()
    gone = weakref.ref(document)
    gc.disable()  # what is freed must be freed by its last reference going, as a scan's rare collections leave it
    try:
        evaluate(rules, document, "prod", "template")
        del document
        assert gone() is None
    finally:
        gc.enable()
