"""Drift: where the deployment no longer matches its template.

Entries are {environment, rule_id, resource, kind, change, security, path, template, live}:
- kind "rule": a rule that passes on the rendered template and fails on the live document, for the same
  resource and environment (`path` names the first assertion that fails live);
- kind "deleted": a resource the template declares that AWS no longer has;
- kind "property": a property the template sets, that a collector reads, and whose live value differs
  (`rule_id` is None). Lists are compared entry by entry (by Id, Key, Sid, PolicyName or Name, else by
  content): `change` says whether an entry was "added" live, "removed" live, or "changed". References to
  resources of the stack are compared with the referenced resource's physical id or ARN; values the
  template cannot know (dynamic references, conditions left open) and properties that could not be collected
  are not compared. Values are compared as they are and reported masked, paths too.
`security` marks differences in policies, principals, actions, encryption and public access; they come first.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from checker.engine.results import FAIL, PASS, Result
from checker.live.collectors import COLLECTORS
from checker.live.scan import LiveScan
from checker.template.environment import Environment
from checker.template.load import Template
from checker.template.mask import MASK, Masker, document_secrets
from checker.template.pseudo import pseudo_parameters
from checker.template.render import render
from checker.template.values import ChoiceList, Reference, Text, Unknown, is_special

_UNKNOWN = object()
_IDENTITY_KEYS = ("Id", "Key", "Sid", "PolicyName", "Name")
_SECURITY = re.compile(r"Polic|Statement|Principal|Action|Grant|Acl|PublicAccess|Encrypt|Kms|Ssl|Permission")
Difference = tuple[str, Any, Any, str]  # path, template value, live value, change


def find_drift(template: Template, environments: list[Environment], template_results: list[Result],
               scan: LiveScan) -> list[dict]:
    """Rule, deletion and property drift of every environment the live scan read, security first."""
    found = rule_drift(template_results, scan.results)
    for env in environments:
        live = scan.documents.get(env.name)
        if live is not None:
            rendered = render(template, replace(env, region=live["Deployment"]["Region"]))
            masker = Masker(document_secrets(rendered))
            found += [_entry(env.name, item.resource, "deleted", None, "declared", None, "removed")
                      for item in scan.unreadable.get(env.name, []) if item.status == FAIL]
            found += [masked(entry, masker) for entry in property_drift(env.name, rendered, live)]
    return sorted(found, key=lambda d: not d["security"])


def masked(entry: dict, masker: Masker) -> dict:
    """A property drift entry as reports show it: its values masked as found at its path, and the path too
    (the Id, Key or Sid that names a list's entry is free text, which may hold a secret)."""
    path = entry["path"]
    return {**entry, "path": masker.text(path), "template": masker.mask_at(path, entry["template"]),
            "live": masker.mask_at(path, entry["live"])}


def _entry(environment: str, resource: str | None, kind: str, path: str | None, template: Any, live: Any,
           change: str, **extra: Any) -> dict:
    return {"environment": environment, "rule_id": extra.pop("rule_id", None), "resource": resource, "kind": kind,
            "change": change, "security": bool(path and _SECURITY.search(path)), "path": path,
            "template": template, "live": live, **extra}


def rule_drift(template_results: list[Result], live_results: list[Result]) -> list[dict]:
    passed = {(r.environment, r.rule_id, r.resource): r for r in template_results
              if r.source == "template" and r.status == PASS}
    drifted = []
    for live in live_results:
        before = passed.get((live.environment, live.rule_id, live.resource))
        if live.status != FAIL or before is None:
            continue
        evidence = live.evidence if isinstance(live.evidence, dict) else {}
        path = next(iter(evidence), None)
        template_evidence = before.evidence if isinstance(before.evidence, dict) else {}
        drifted.append(_entry(live.environment, live.resource, "rule", path,
                              template_evidence.get(path) if path else None, evidence.get(path) if path else None,
                              "changed", rule_id=live.rule_id, message=live.message))
    return drifted


def property_drift(environment: str, template: dict, live: dict) -> list[dict]:
    """Differences between the properties the template sets and the collected live values."""
    found = []
    live_resources = live.get("Resources", {})
    for logical_id, rendered in template.get("Resources", {}).items():
        deployed = live_resources.get(logical_id)
        collector = COLLECTORS.get(rendered.get("Type"))
        if not collector or not deployed or not isinstance(deployed.get("Properties"), dict):
            continue
        for name, value in (rendered.get("Properties") or {}).items():
            if name in collector.properties and not isinstance(deployed["Properties"].get(name), Unknown):
                for path, before, after, change in _diff(value, deployed["Properties"].get(name),
                                                         f"Properties.{name}", live):
                    found.append(_entry(environment, logical_id, "property", path, before, after, change))
    return found


def _diff(template: Any, live: Any, path: str, document: dict) -> list[Difference]:
    template = _resolved(template, document)
    if template is _UNKNOWN or isinstance(live, Unknown):
        return []
    if live is None:  # AWS leaves out empty strings: Filter {Prefix: ""} reads back as Filter {}
        return [] if template == "" else [(path, _plain(template), None, "removed")]
    if isinstance(template, dict):
        if not isinstance(live, dict):
            return [(path, _plain(template), live, "changed")]
        return [d for key, value in template.items() for d in _diff(value, live.get(key), f"{path}.{key}", document)]
    if isinstance(template, list):
        return _diff_list(template, live, path, document)
    if isinstance(template, set):  # a reference: the physical id or the ARN of the resource
        return [] if _scalar(live) in template else [(path, sorted(template), live, "changed")]
    if isinstance(live, list) and len(live) == 1:  # AWS writes a one-item list as the item, or back
        live = live[0]
    if _scalar(template) == _scalar(live) or _same_identifier(path, template, live):
        return []
    return [(path, template, live, "changed")]


def _diff_list(template: list, live: Any, path: str, document: dict) -> list[Difference]:
    if not isinstance(live, list):
        if len(template) == 1:
            return _diff(template[0], live, path, document)
        return [(path, _plain(template), live, "changed")]
    if all(not isinstance(item, (dict, list)) for item in template + live):
        resolved = [_resolved(item, document) for item in template]
        if any(r is _UNKNOWN or isinstance(r, set) for r in resolved):
            return []
        same = sorted(map(_scalar, resolved)) == sorted(map(_scalar, live))
        return [] if same else [(path, resolved, live, "changed")]
    key = next((k for k in _IDENTITY_KEYS if template and all(isinstance(i, dict) and k in i for i in template)
                and all(isinstance(i, dict) and k in i for i in live)), None)
    if key:
        by_key = {item[key]: item for item in live}
        found = [d for item in template
                 for d in _diff(item, by_key.get(item[key]), f"{path}[{key}={item[key]}]", document)]
        known = {item[key] for item in template}
        return found + [(f"{path}[{key}={item[key]}]", None, item, "added") for item in live
                        if item[key] not in known and not _system_tag(key, item[key])]
    return _diff_by_content(template, live, path, document)


def _system_tag(key: str, value: Any) -> bool:
    """Tags AWS adds itself (aws:cloudformation:stack-name...): no one wrote them."""
    return key == "Key" and str(value).startswith("aws:")


def _diff_by_content(template: list, live: list, path: str, document: dict) -> list[Difference]:
    """Entries without identity (policy statements without Sid): an entry matches a live entry it does not
    differ from; one left on each side is a change, others were added or removed live."""
    unmatched = list(range(len(live)))
    removed = []
    for index, item in enumerate(template):
        match = next((j for j in unmatched if not _diff(item, live[j], path, document)), None)
        if match is None:
            removed.append(index)
        else:
            unmatched.remove(match)
    if len(removed) == 1 and len(unmatched) == 1:
        return _diff(template[removed[0]], live[unmatched[0]], f"{path}[{unmatched[0]}]", document)
    return [(f"{path}[{i}]", _plain(_resolved(template[i], document)), None, "removed") for i in removed] + \
        [(f"{path}[{j}]", None, live[j], "added") for j in unmatched]


def _resolved(value: Any, document: dict) -> Any:
    """A rendered value as the live document can answer it: references to its resources become the set of
    their identifiers, strings built from them and from deployment facts become text; _UNKNOWN otherwise."""
    if isinstance(value, Reference):
        return _identity(document.get("Resources", {}).get(value.logical_id) or {}, value.attribute)
    if isinstance(value, Text):
        pieces = [p if isinstance(p, str) else _piece(p, document) for p in value.parts]
        known = [p for p in pieces if isinstance(p, str)]
        return "".join(known) if len(known) == len(pieces) else _UNKNOWN
    if isinstance(value, Unknown):
        answer = _piece(value, document)
        return answer if answer is not None else _UNKNOWN
    if isinstance(value, ChoiceList) or is_special(value):
        return _UNKNOWN
    return value


def _identity(resource: dict, attribute: str | None) -> Any:
    """What a Ref (attribute None) or a Fn::GetAtt of `resource` compares with: its physical id or ARN for
    a Ref or an attribute that identifies it, else unknown (MasterUserSecret.SecretArn is not the cluster)."""
    collector = COLLECTORS.get(str(resource.get("Type")))
    kind = collector.attributes.get(attribute) if collector and attribute else None
    names = {resource.get("PhysicalId"), resource.get("Arn")} if attribute is None or kind == "arn" \
        else {resource.get("PhysicalId")} if kind == "id" else set()
    return {n for n in names if isinstance(n, str)} or _UNKNOWN


def _piece(value: Any, document: dict) -> str | None:
    """The deployed text of a reference or of a parameter or pseudo parameter, when the live document has it."""
    if isinstance(value, Reference):
        resource = document.get("Resources", {}).get(value.logical_id) or {}
        answer = resource.get("Arn") if value.attribute == "Arn" else resource.get("PhysicalId") \
            if value.attribute is None else None
        return answer if isinstance(answer, str) else None
    origins = value.origins if isinstance(value, Unknown) else frozenset()
    if len(origins) != 1:
        return None
    origin = next(iter(origins))
    deployment = document.get("Deployment", {})
    if origin.kind == "pseudo":
        answer = pseudo_parameters(deployment.get("Region"), deployment.get("AccountId"),
                                   deployment.get("StackName")).get(origin.name)
    elif origin.kind == "parameter":
        answer = (deployment.get("Parameters") or {}).get(origin.name)
    else:
        return None
    return answer if isinstance(answer, str) and answer != MASK else None


def _scalar(value: Any) -> Any:
    """Booleans and numbers as templates often write them: "true", "35"."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() else str(value)
    if isinstance(value, str):
        return value.lower() if value.lower() in ("true", "false") else value
    return repr(value)


def _same_identifier(path: str, template: Any, live: Any) -> bool:
    """RDS stores identifiers in lower case."""
    return path.endswith("Identifier") and isinstance(template, str) and str(live) == template.lower()


def _plain(value: Any) -> Any:
    if isinstance(value, set):
        return sorted(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
