"""SARIF 2.1.0 for code scanning: rule metadata, levels by severity, every template finding at file and line.

Failures and unchecked results become SARIF results; waived ones too, carrying a suppression, so a
code-scanning service shows them as dismissed rather than forgetting them.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from checker.fix.report import fix_for, sarif_fixes
from checker.report import view
from checker.results import FAIL, WAIVED

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
# GitHub reads `security-severity` (0.1-10) to rank security alerts: >= 9 critical, >= 7 high, >= 4 medium.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
REPORTED = (*view.ATTENTION, WAIVED)
SOURCE_ROOT = "%SRCROOT%"


def artifact_location(file: str) -> dict[str, str]:
    """A URI relative to the working directory (the repository root in CI) when the file is under it."""
    path = Path(file)
    if path.is_absolute():
        try:
            path = path.resolve().relative_to(Path.cwd().resolve())
        except ValueError:
            return {"uri": path.as_uri()}
    return {"uri": quote(path.as_posix()), "uriBaseId": SOURCE_ROOT}


def _help_markdown(rule: dict) -> str:
    parts = [f"**{rule['title']}**"]
    if rule.get("rationale"):
        parts.append(f"**Why it matters.** {rule['rationale']}")
    if rule.get("remediation"):
        parts.append(f"**Remediation.** {rule['remediation']}")
    pci = (rule.get("compliance") or {}).get("pci_dss")
    if pci:
        parts.append(f"**PCI DSS v4.0:** {', '.join(pci)}")
    if rule.get("references"):
        parts.append("**References**\n" + "\n".join(f"- {url}" for url in rule["references"]))
    return "\n\n".join(parts)


def _rule_descriptor(rule: dict) -> dict[str, Any]:
    compliance = rule.get("compliance") or {}
    tags = ["security", "compliance", rule["control"], *(f"pci-dss-{r}" for r in compliance.get("pci_dss", []))]
    descriptor: dict[str, Any] = {
        "id": rule["id"],
        "name": "".join(word[:1].upper() + word[1:] for word in rule["title"].replace("-", " ").split()),
        "shortDescription": {"text": rule["title"]},
        "fullDescription": {"text": rule.get("rationale") or rule["title"]},
        "help": {"text": _help_markdown(rule).replace("**", ""), "markdown": _help_markdown(rule)},
        "defaultConfiguration": {"level": LEVELS.get(rule["severity"], "warning")},
        "properties": {"tags": tags, "security-severity": SECURITY_SEVERITY.get(rule["severity"], "5.5"),
                       "control": rule["control"], "severity": rule["severity"], "compliance": compliance},
    }
    if rule.get("references"):
        descriptor["helpUri"] = rule["references"][0]
    return descriptor


def _fingerprint(result: dict) -> str:
    identity = [result["rule_id"], result["environment"], result["source"], view.resource_label(result),
                result.get("file") or "", result.get("physical_id") or ""]
    return hashlib.sha256(json.dumps(identity).encode()).hexdigest()


def _location(result: dict) -> dict[str, Any]:
    location: dict[str, Any] = {}
    if result.get("file"):
        physical: dict[str, Any] = {"artifactLocation": artifact_location(result["file"])}
        if result.get("line"):
            physical["region"] = {"startLine": result["line"]}
        location["physicalLocation"] = physical
    if result.get("resource"):
        location["logicalLocations"] = [{
            "name": result["resource"], "kind": "resource",
            "fullyQualifiedName": f"{result['environment']}/{result['source']}/{result['resource']}"}]
    return location


def _result(result: dict, rule_index: int, payload: dict) -> dict[str, Any]:
    prefix = "" if result["status"] == FAIL else f"{result['status'].replace('_', ' ')}: "
    sarif: dict[str, Any] = {
        "ruleId": result["rule_id"], "ruleIndex": rule_index,
        "level": LEVELS.get(result["severity"], "warning"),
        "message": {"text": f"{prefix}[{result['environment']}/{result['source']}] "
                            f"{view.resource_label(result)}: {result['message']}"},
        "partialFingerprints": {"checkerResult/v1": _fingerprint(result)},
        "properties": {key: result.get(key) for key in (
            "status", "environment", "source", "control", "severity", "resource_type", "physical_id", "evidence")
            if result.get(key) is not None},
    }
    location = _location(result)
    if location:
        sarif["locations"] = [location]
    fixes = sarif_fixes(fix_for(payload, result), artifact_location(result["file"])) if result.get("file") else []
    if fixes:
        sarif["fixes"] = fixes
    if result["status"] == WAIVED:
        sarif["suppressions"] = [{"kind": "external", "status": "accepted", "justification": result["message"]}]
    return sarif


def render_sarif(payload: dict) -> str:
    reported = [r for r in view.ordered_results(payload) if r["status"] in REPORTED]
    rule_ids = list(dict.fromkeys(r["rule_id"] for r in reported))
    rule_ids += [rule_id for rule_id in payload.get("rules", {}) if rule_id not in rule_ids]
    examples = {r["rule_id"]: r for r in reported}
    rules = [view.rule_metadata(payload, rule_id, examples.get(rule_id, {})) for rule_id in rule_ids]
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    run = {
        "tool": {"driver": {
            "name": payload["tool"]["name"], "version": payload["tool"]["version"],
            "semanticVersion": payload["tool"]["version"], "rules": [_rule_descriptor(r) for r in rules],
            "properties": {"rulePackVersion": payload["rule_pack"]["version"]},
        }},
        "artifacts": [{"location": artifact_location(t["path"]), "hashes": {"sha-256": t["sha256"]}}
                      for t in payload.get("templates", []) if t.get("sha256")],
        "invocations": [{
            "executionSuccessful": not payload.get("input_errors"),
            "toolExecutionNotifications": [{"level": "error", "message": {"text": e}}
                                           for e in payload.get("input_errors", [])],
        }],
        "results": [_result(r, index[r["rule_id"]], payload) for r in reported],
        "properties": {"generatedAt": payload["generated_at"],
                       "environments": view.environment_names(payload),
                       "gitCommits": sorted({t["git_commit"] for t in payload.get("templates", [])
                                             if t.get("git_commit")})},
    }
    return json.dumps({"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}, indent=2, default=str) + "\n"
