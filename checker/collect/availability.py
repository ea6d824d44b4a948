"""What a live scan could not read, and which results that decides.

A resource may be unavailable as a whole (NOT_FOUND, NOT_COLLECTED, or ERROR when the call proving it
exists failed), or in part: a failed call leaves the properties it produces unknown. A result depends on
what its rule reads (the field names of its expressions):
- on its own resource: any field name the rule reads;
- on another resource: the field names it reads on what `resolve()` and `resources()` return, and, when
  the rule names that resource's type or logical id (whole-template rules), any field name it reads. A
  rule that names resource types is taken to read only resources of those types (or named ones): what
  cannot be read of a resource of another type does not decide it.
A result that depends on something unknown is ERROR, never PASS or FAIL; the others stand. A
NOT_APPLICABLE decided by `when` stands unless `when` itself read something unknown. Wholly unavailable
resources keep `Type`, `LogicalId`, `PhysicalId` and `Arn` (what discovery knows) but have no
`Properties`; a type without a collector counts for another resource's rule only if the rule names it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from checker.collect import COLLECTORS
from checker.results import ERROR, NOT_APPLICABLE, NOT_COLLECTED, Result
from checker.rules import Rule

_ABSENT = frozenset({"Properties", "Live"})  # what a wholly unavailable resource lacks in the document
_TYPE_NAME = re.compile(r"\b[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+\b")


@dataclass(frozen=True)
class _Whole:
    type: str
    physical_id: str | None
    status: str
    message: str


@dataclass
class Availability:
    wholes: dict[str, _Whole] = field(default_factory=dict)  # logical id -> why nothing of it is known
    parts: dict[str, list[tuple[frozenset[str], str]]] = field(default_factory=dict)  # logical id -> (names, why)

    def whole(self, logical_id: str, kind: str, physical_id: str | None, status: str, message: str) -> None:
        self.wholes[logical_id] = _Whole(kind, physical_id, status, message)

    def partial(self, logical_id: str, names: frozenset[str], message: str) -> None:
        self.parts.setdefault(logical_id, []).append((names, message))

    def unknown_names(self, logical_id: str) -> frozenset[str]:
        """The names whose value is unknown for a resource (for a wholly unavailable one, all of them)."""
        whole = self.wholes.get(logical_id)
        if whole:
            collector = COLLECTORS.get(whole.type)
            return _ABSENT | (collector.properties | collector.extras if collector else frozenset())
        return frozenset().union(*(names for names, _ in self.parts.get(logical_id, [])))

    def listed(self, status: str) -> list[dict]:
        """The wholly unavailable resources with `status`, and for ERROR also the partly read ones."""
        entries: list[dict] = [{"resource": lid, "type": w.type, "physical_id": w.physical_id, "message": w.message}
                               for lid, w in self.wholes.items() if w.status == status]
        if status == ERROR:
            entries += [{"resource": lid, "properties": sorted(names), "message": message}
                        for lid, parts in self.parts.items() for names, message in parts]
        return entries

    def reasons(self, logical_id: str) -> list[str]:
        whole = self.wholes.get(logical_id)
        if whole:
            return [f"{logical_id} ({whole.type}): {whole.message}"]
        return [f"{logical_id}: {message}" for _, message in self.parts.get(logical_id, [])]


def settle(results: list[Result], rules: list[Rule], document: dict, availability: Availability,
           failure: str | None = None) -> list[Result]:
    """The evaluated results, with the ones that depend on unavailable data replaced; physical ids added."""
    by_id = {rule.id: rule for rule in rules}
    resources = document.get("Resources", {})
    types = {logical_id: resource.get("Type") for logical_id, resource in resources.items()}
    settled = []
    for result in results:
        rule = by_id[result.rule_id]
        physical = resources.get(result.resource, {}).get("PhysicalId") if result.resource else None
        result = replace(result, physical_id=physical)
        if not rule.applies_in(result.environment):
            settled.append(result)
        elif failure:
            settled.append(replace(result, status=ERROR, message=failure, evidence=None))
        else:
            settled.append(_settle_one(result, rule, availability, types))
    return settled


def _settle_one(result: Result, rule: Rule, availability: Availability, types: dict[str, str | None]) -> Result:
    whole = availability.wholes.get(result.resource or "")
    if whole:
        return replace(result, status=whole.status, message=whole.message, evidence=None)
    expressions = [rule.when] if rule.when else []
    if result.status != NOT_APPLICABLE:
        expressions += [a.expression for a in rule.assertions]
    if not expressions:
        return result
    own = set().union(*(e.field_names() for e in expressions))
    foreign = set().union(*(e.foreign_field_names() for e in expressions))
    texts = " ".join(e.text for e in expressions)
    named_types = set(_TYPE_NAME.findall(texts))
    reasons: list[str] = []
    for logical_id in {*availability.wholes, *availability.parts}:
        other = availability.wholes.get(logical_id)
        kind = other.type if other is not None else types.get(logical_id)
        named = kind in named_types or re.search(rf"\b{re.escape(logical_id)}\b", texts)
        if logical_id == result.resource:
            reads = own
        elif not named and (named_types or (other is not None and other.status == NOT_COLLECTED)):
            continue
        else:
            reads = own | foreign if named else foreign
        if availability.unknown_names(logical_id) & reads:
            reasons += availability.reasons(logical_id)
    if not reasons:
        return result
    return replace(result, status=ERROR, evidence=None,
                   message=f"cannot decide: it reads what could not be collected: {'; '.join(sorted(reasons))}")

