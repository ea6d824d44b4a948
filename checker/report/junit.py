"""JUnit XML for CI: one test case per rule, resource, environment and source.

A suite per environment and source; test case classname `environment.source.rule`, name the resource.
FAIL is a failure; ERROR, NOT_FOUND and NOT_COLLECTED are errors; NOT_APPLICABLE and WAIVED are skipped.
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from checker.engine.results import FAIL, NOT_APPLICABLE, UNCHECKED, WAIVED
from checker.report import view

# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: object) -> str:
    return _NOT_XML.sub("\ufffd", str(value))


def _details(result: dict, rule: dict) -> str:
    lines = [result["message"], "", f"rule: {result['rule_id']} ({result['control']}, {result['severity']})",
             f"resource: {view.resource_label(result)} {result.get('resource_type') or ''}".rstrip()]
    if view.location(result):
        lines.append(f"location: {view.location(result)}")
    if result.get("evidence") is not None:
        lines.append("evidence: " + json.dumps(result["evidence"], indent=2, ensure_ascii=False, default=str))
    if result["status"] == FAIL and rule.get("remediation"):
        lines.append(f"remediation: {rule['remediation']}")
    return "\n".join(lines)


def _outcome(result: dict) -> tuple[str, dict[str, str]] | None:
    """The child element a result's test case carries (none for PASS)."""
    status, message = result["status"], _text(result["message"])
    if status == FAIL:
        return "failure", {"type": result["severity"], "message": message}
    if status in UNCHECKED:
        return "error", {"type": status, "message": message}
    if status in (NOT_APPLICABLE, WAIVED):
        return "skipped", {"message": f"{status}: {message}"}
    return None


def _case_name(result: dict) -> str:
    """The resource; in an organisation scan, with the account, Region and stack that hold it."""
    label = view.resource_label(result)
    if result.get("stack") or result.get("account"):
        return f"{label} ({result.get('account')}/{result.get('region')}/{result.get('stack') or 'all stacks'})"
    return label


def _testcase(result: dict, rule: dict) -> ET.Element:
    case = ET.Element("testcase", {
        "classname": _text(f"{result['environment']}.{result['source']}.{result['rule_id']}"),
        "name": _text(_case_name(result)), "time": "0",
    })
    if result.get("file"):
        case.set("file", _text(result["file"]))
    if result.get("line"):
        case.set("line", str(result["line"]))
    outcome = _outcome(result)
    if outcome:
        child = ET.SubElement(case, *outcome)
        if outcome[0] != "skipped":
            child.text = _text(_details(result, rule))
    return case


def _input_errors(errors: list[str], timestamp: str) -> ET.Element:
    """Inputs that could not be scanned: errors, so CI never reads a broken template as a pass."""
    suite = ET.Element("testsuite", {"name": "inputs", "tests": str(len(errors)), "failures": "0",
                                     "errors": str(len(errors)), "skipped": "0", "time": "0", "timestamp": timestamp})
    for error in errors:
        case = ET.SubElement(suite, "testcase", {"classname": "inputs", "name": _text(error), "time": "0"})
        ET.SubElement(case, "error", {"type": "INPUT_ERROR", "message": _text(error)})
    return suite


def _suite(name: str, results: list[dict], payload: dict, timestamp: str) -> ET.Element:
    statuses = [r["status"] for r in results]
    suite = ET.Element("testsuite", {
        "name": _text(name), "tests": str(len(results)), "failures": str(statuses.count(FAIL)),
        "errors": str(sum(statuses.count(s) for s in UNCHECKED)),
        "skipped": str(statuses.count(NOT_APPLICABLE) + statuses.count(WAIVED)),
        "time": "0", "timestamp": _text(timestamp),
    })
    for result in results:
        rule = view.rule_metadata(payload, result["rule_id"], result)
        suite.append(_testcase(result, rule))
    return suite


def render_junit(payload: dict) -> str:
    suites: dict[str, list[dict]] = {}
    for result in view.ordered_results(payload):
        suites.setdefault(f"{result['environment']}.{result['source']}", []).append(result)
    timestamp = payload["generated_at"]
    root = ET.Element("testsuites", {"name": _text(payload["tool"]["name"]), "time": "0"})
    for name, results in suites.items():
        root.append(_suite(name, results, payload, timestamp))
    if payload.get("input_errors"):
        root.append(_input_errors(payload["input_errors"], timestamp))
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(sum(int(suite.get(key, "0")) for suite in root)))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
