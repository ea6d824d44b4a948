"""A document's resources indexed once: by type, by name (logical id, physical id, ARN), and by presence."""
from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from typing import Any

from checker.engine.logic import Truth, World, leading_literal, match_pattern, may_match, tokens_of
from checker.template.document_types import AnyDocument
from checker.template.names import fixed_arn, fixed_name, given_name
from checker.template.partitions import partition_of
from checker.template.values import Origin, Text, Unknown, deep_origins

_LAST = chr(0x10FFFF)  # sorts after every character: names starting with s lie in [s, s + _LAST)

# The service part of an ARN, for resource types whose namespace says otherwise.
_ARN_SERVICES = {"ElasticLoadBalancingV2": "elasticloadbalancing", "Logs": "logs", "Events": "events"}


class DocumentIndex:
    def __init__(self, document: AnyDocument) -> None:
        resources = document.get("Resources")
        self.resources: Mapping[str, Any] = resources if isinstance(resources, Mapping) else {}
        deployment = document.get("Deployment")
        conditions = deployment.get("Conditions") if isinstance(deployment, Mapping) else None
        self.conditions: Mapping[str, Any] = conditions if isinstance(conditions, Mapping) else {}
        self._by_type: dict[str, list[str]] = {}
        self._by_name: dict[str, str] = {}
        self._unlocated: list[str] = []
        self._unnamed: list[str] = []  # template resources whose name is only known at deployment
        self._name_indexes: dict[str, NameIndex] = {}
        region = deployment.get("Region") if isinstance(deployment, Mapping) else None
        partition = self._partition = partition_of(region) if isinstance(region, str) else None
        self.position = {logical_id: i for i, logical_id in enumerate(self.resources)}  # document order
        for logical_id, resource in self.resources.items():
            if not isinstance(resource, Mapping):
                continue
            self._by_type.setdefault(str(resource.get("Type")), []).append(logical_id)
            names = [resource.get("PhysicalId"), resource.get("Arn")]
            if not isinstance(names[0], (str, Unknown)):  # a template: the names its properties fix
                names = [fixed_name(resource), fixed_arn(resource, partition)]
                if isinstance(given_name(resource), (Unknown, Text)):
                    self._unnamed.append(logical_id)
            for name in names:
                if isinstance(name, str):
                    self._by_name.setdefault(name, logical_id)
            if isinstance(names[0], Unknown):
                self._unlocated.append(logical_id)

    def of_type(self, resource_type: str) -> list[str]:
        return self._by_type.get(resource_type, [])

    def named(self, name: str) -> Any:
        """The resource a logical id, physical id or ARN names, or None."""
        if name in self.resources:
            return self.resources[name]
        logical_id = self._by_name.get(name)
        return self.resources[logical_id] if logical_id is not None else None

    def could_be(self, name: str) -> frozenset[Origin]:
        """Why `name` might still name a resource that could not be located, or whose name the template builds
        from values known only at deployment (empty: it cannot)."""
        service = name.split(":")[2] if name.startswith("arn:") and name.count(":") >= 5 else None
        origins: set[Origin] = set()
        for logical_id in self._unlocated:
            resource = self.resources[logical_id]
            if service is None or _service_of(str(resource.get("Type"))) == service:
                origins |= resource["PhysicalId"].origins
        for logical_id in self._unnamed:
            resource = self.resources[logical_id]
            given = given_name(resource)
            if service is not None:  # an ARN: of a resource of its service, and when the ARN is built, a match
                if _service_of(str(resource.get("Type"))) != service:
                    continue
                given = fixed_arn(resource, self._partition) or given
            if not isinstance(given, Text) or may_match(given, name):
                origins |= deep_origins(given)
        return frozenset(origins)

    def by_name(self, resource_type: str) -> NameIndex:
        """The resources of a type by the name `Ref` gives them (built once per type)."""
        if resource_type not in self._name_indexes:
            self._name_indexes[resource_type] = NameIndex(
                [(lid, self.resources[lid]) for lid in self.of_type(resource_type)])
        return self._name_indexes[resource_type]

    def presence(self, logical_id: str, world: World) -> Truth:
        """Whether a resource exists in `world` (its Condition may be undecided)."""
        name = self.resources[logical_id].get("Condition")
        if not isinstance(name, str):
            return True
        decided = self.conditions.get(name, True)
        if isinstance(decided, Unknown):
            assigned = world.assignment.get(name)
            return decided if assigned is None else assigned
        return decided is not False


class NameIndex:
    """Resources of one type by their name: the physical id read live, else the name the template gives.

    A name known as text, or as text whose unknown pieces always stand for the same value (a parameter),
    is looked up directly; the others may equal many names and are compared with the names that share
    their literal beginning (found by bisection among the sorted known names), so a name like
    `/aws/lambda/${Function}` costs the group names under `/aws/lambda/`, not every name of the type.
    """

    def __init__(self, resources: list[tuple[str, Mapping[str, Any]]]) -> None:
        self.exact: dict[Any, list[str]] = {}
        literals: list[tuple[str, str]] = []
        self.loose: list[tuple[str, Any]] = []
        for logical_id, resource in resources:
            physical = resource.get("PhysicalId")
            name = physical if physical is not None else given_name(resource)
            if isinstance(name, str):
                self.exact.setdefault(name, []).append(logical_id)
                literals.append((name, logical_id))
            elif isinstance(name, Text) and tokens_of(name):
                self.exact.setdefault(tokens_of(name), []).append(logical_id)
                self.loose.append((logical_id, name))
            elif name is not None:
                self.loose.append((logical_id, name))
        literals.sort()
        self.names = [name for name, _ in literals]
        self.literals = [(logical_id, name) for name, logical_id in literals]

    def lookup(self, name: Any, world: World) -> tuple[list[str], list[tuple[str, frozenset[Origin]]]]:
        """The resources `name` is certainly the name of, and those it may be (with why it may)."""
        if isinstance(name, str):
            sure = list(self.exact.get(name, ()))
            candidates = [(lid, value) for lid, value in self.loose if lid not in sure]
        elif isinstance(name, Text):
            sure = list(self.exact.get(tokens_of(name), ())) if tokens_of(name) else []
            start = leading_literal(name)
            pattern = match_pattern(name)
            sharing = self.literals[bisect_left(self.names, start):bisect_left(self.names, start + _LAST)]
            candidates = [(lid, value) for lid, value in sharing if pattern.fullmatch(value)]
            candidates += [(lid, value) for lid, value in self.loose
                           if lid not in sure and _overlap(start, leading_literal(value))]
        else:
            sure, candidates = [], [*self.literals, *self.loose]
        maybe: list[tuple[str, frozenset[Origin]]] = []
        for logical_id, value in candidates:
            same = world.equal(name, value)
            if same is True:
                sure.append(logical_id)
            elif isinstance(same, Unknown):
                maybe.append((logical_id, same.origins))
        return sure, maybe


def _overlap(one: str, other: str) -> bool:
    """Whether two names beginning with these literals could be equal."""
    return one.startswith(other) or other.startswith(one)


def _service_of(resource_type: str) -> str:
    namespace = resource_type.split("::")[1] if resource_type.count("::") == 2 else ""
    return _ARN_SERVICES.get(namespace, namespace.lower())
