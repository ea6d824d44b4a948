"""SARIF 2.1.0 for code scanning: rule metadata, levels by severity, one result per rule and location.

A rule that fails at the same place in several environments (or in the template and live) is one
result naming them, so a code-scanning service shows one alert per line, not one per environment. Every
result has a region (a whole-template finding without a line points at line 1), URIs are relative to the
repository root (`%SRCROOT%`), and fingerprints leave out the line, so an alert survives edits above it.
Failures and unchecked results are reported; waived ones carry a suppression.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from checker.engine.results import FAIL, WAIVED
from checker.fix.report import fix_for, sarif_fixes
from checker.report import view

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
# GitHub reads `security-severity` (0.1-10) to rank security alerts: >= 9 critical, >= 7 high, >= 4 medium.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
REPORTED = (*view.ATTENTION, WAIVED)
SOURCE_ROOT = "%SRCROOT%"
FINGERPRINT = "checkerFinding/v1"
_FINDING_KEYS = ("environment", "source", "status", "message", "evidence", "physical_id", "baseline_state")


def artifact_location(file: str, repository_path: str | None = None) -> dict[str, str]:
    """The file's path from its repository's root; else relative to the working directory when it is under
    it; else an absolute file URI."""
    if repository_path:
        return {"uri": quote(repository_path), "uriBaseId": SOURCE_ROOT}
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
    return {
        "id": rule["id"],
        "name": "".join(word[:1].upper() + word[1:] for word in rule["title"].replace("-", " ").split()),
        "shortDescription": {"text": rule["title"]},
        "fullDescription": {"text": rule.get("rationale") or rule["title"]},
        "help": {"text": _help_markdown(rule).replace("**", ""), "markdown": _help_markdown(rule)},
        **({"helpUri": rule["references"][0]} if rule.get("references") else {}),
        "defaultConfiguration": {"level": LEVELS.get(rule["severity"], "warning")},
        "properties": {"tags": tags, "security-severity": SECURITY_SEVERITY.get(rule["severity"], "5.5"),
                       "control": rule["control"], "severity": rule["severity"], "compliance": compliance},
    }


def _group_key(result: dict, uri: str | None) -> tuple:
    """Results with the same rule at the same place: one SARIF result."""
    place = (uri, result.get("line")) if uri else (None, result.get("physical_id"))
    return (result["rule_id"], view.resource_label(result), *place)


def _fingerprint(rule_id: str, resource: str, uri: str | None, physical_id: str | None) -> str:
    identity = [rule_id, resource, uri or "", "" if uri else physical_id or ""]
    return hashlib.sha256(json.dumps(identity).encode()).hexdigest()


def _where(members: list[dict]) -> str:
    """'FAIL in prod, staging; ERROR in dev' (with the source when live results take part)."""
    sources = {m["source"] for m in members}
    by_status: dict[str, list[str]] = {}
    for m in members:
        name = f"{m['environment']} ({m['source']})" if len(sources) > 1 else m["environment"]
        by_status.setdefault(m["status"].replace("_", " "), []).append(name)
    return "; ".join(f"{status} in {', '.join(dict.fromkeys(names))}" for status, names in by_status.items())


def _message(members: list[dict]) -> str:
    messages = list(dict.fromkeys(m["message"] for m in members))
    if len(messages) == 1:
        text = messages[0]
    else:
        text = "; ".join(f"{m['environment']}/{m['source']}: {m['message']}" for m in members)
    return f"{view.resource_label(members[0])}: {text} [{_where(members)}]"


def _result(members: list[dict], uri: dict[str, str] | None, rule_index: int, payload: dict) -> dict[str, Any]:
    first = members[0]
    worst = view.worst(m["status"] for m in members) or first["status"]
    sarif: dict[str, Any] = {
        "ruleId": first["rule_id"], "ruleIndex": rule_index,
        "level": LEVELS.get(first["severity"], "warning"),
        "message": {"text": _message(members)},
        "partialFingerprints": {FINGERPRINT: _fingerprint(first["rule_id"], view.resource_label(first),
                                                          uri["uri"] if uri else None, first.get("physical_id"))},
        "properties": {
            "status": worst, "control": first["control"], "severity": first["severity"],
            "environments": list(dict.fromkeys(m["environment"] for m in members)),
            "sources": list(dict.fromkeys(m["source"] for m in members)),
            **({"resource_type": first["resource_type"]} if first.get("resource_type") else {}),
            "findings": [{key: m[key] for key in _FINDING_KEYS if m.get(key) is not None} for m in members],
        },
    }
    location: dict[str, Any] = {}
    if uri:
        location["physicalLocation"] = {"artifactLocation": uri, "region": {"startLine": first.get("line") or 1}}
    if first.get("resource"):
        location["logicalLocations"] = [{"name": first["resource"], "kind": "resource",
                                         "fullyQualifiedName": f"{first['source']}/{first['resource']}"}]
    if location:
        sarif["locations"] = [location]
    fix = next((entry for m in members if (entry := fix_for(payload, m))), None) if uri else None
    fixes = sarif_fixes(fix, uri) if fix and uri else []
    if fixes:
        sarif["fixes"] = fixes
    states = {m.get("baseline_state") for m in members} - {None}
    if states:
        sarif["baselineState"] = "new" if "new" in states else "unchanged"
    if all(m["status"] == WAIVED for m in members):
        sarif["suppressions"] = [{"kind": "external", "status": "accepted", "justification": first["message"]}]
    elif worst != FAIL:
        sarif["message"]["text"] = f"{worst.replace('_', ' ')}: {sarif['message']['text']}"
    return sarif


def _homepage() -> dict[str, str]:
    """`informationUri`: the project's address as its package metadata declares it (none when it does not)."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        urls = metadata("cfn-policy-checker").get_all("Project-URL") or []
    except PackageNotFoundError:
        return {}
    found = dict(url.split(", ", 1) for url in urls if ", " in url)
    return {"informationUri": found["Homepage"]} if "Homepage" in found else {}


def render_sarif(payload: dict) -> str:
    reported = [r for r in view.ordered_results(payload) if r["status"] in REPORTED]
    rule_ids = list(dict.fromkeys(r["rule_id"] for r in reported))
    rule_ids += [rule_id for rule_id in payload.get("rules", {}) if rule_id not in rule_ids]
    examples = {r["rule_id"]: r for r in reported}
    rules = [view.rule_metadata(payload, rule_id, examples.get(rule_id, {})) for rule_id in rule_ids]
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    in_repository = {t["path"]: t.get("repository_path") for t in payload.get("templates", [])}
    groups: dict[tuple, list[dict]] = {}
    places: dict[tuple, dict[str, str] | None] = {}
    for result in reported:
        file = result.get("file")
        uri = artifact_location(file, in_repository.get(file)) if file else None
        key = _group_key(result, uri["uri"] if uri else None)
        groups.setdefault(key, []).append(result)
        places[key] = uri
    run = {
        "tool": {"driver": {
            "name": payload["tool"]["name"], "version": payload["tool"]["version"],
            "semanticVersion": payload["tool"]["version"], **_homepage(),
            "rules": [_rule_descriptor(r) for r in rules],
            "properties": {"rulePackVersion": payload["rule_pack"]["version"]},
        }},
        "artifacts": [{"location": artifact_location(t["path"], t.get("repository_path")),
                       "hashes": {"sha-256": t["sha256"]}} for t in payload.get("templates", []) if t.get("sha256")],
        "invocations": [{
            "executionSuccessful": not payload.get("input_errors"),
            "toolExecutionNotifications": [{"level": "error", "message": {"text": e}}
                                           for e in payload.get("input_errors", [])],
        }],
        "results": [_result(members, places[key], index[members[0]["rule_id"]], payload)
                    for key, members in groups.items()],
        "properties": {"generatedAt": payload["generated_at"],
                       "environments": view.environment_names(payload),
                       "gitCommits": sorted({t["git_commit"] for t in payload.get("templates", [])
                                             if t.get("git_commit")})},
    }
    return json.dumps({"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}, indent=2, default=str) + "\n"
