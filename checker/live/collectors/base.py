"""What a collector is: a declaration of read-only API calls and how each response becomes properties.

A collector never holds a client. The runner (runner.py) makes the calls it declares, through clients it
is given, and hands every response to the call's `translate`, which returns CloudFormation property names,
shapes and units. Facts that CloudFormation has no property for, but that only live state can tell, are
returned under the key `Live` and documented in docs/live.md.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

LIVE = "Live"  # key of the live-only facts in a translation and in the live document's resources
# Error codes with which the call that proves a resource exists says it does not (the services' API
# references); a translation saying the response does not hold the resource (LookupError) means the same.
GONE = frozenset({
    "NoSuchBucket", "NoSuchBucketPolicy", "NotFoundException", "ResourceNotFoundException", "NoSuchEntity",
    "DBClusterNotFoundFault", "DBInstanceNotFound", "DBInstanceNotFoundFault", "NotFound", "ListenerNotFound",
    "ClusterNotFoundException", "InvalidVpcID.NotFound",
})


@dataclass(frozen=True)
class Target:
    """A deployed resource, located by the stack or the outputs."""

    logical_id: str
    type: str
    physical_id: str
    region: str
    arn: str | None = None
    # For each property in the collector's `references`: the rendered template's value, a reference to a located
    # resource replaced by its physical id (absent without a template); and the physical ids of the located
    # resources of each referenced type. Both are how a resource found by an id alone (a Lambda permission's
    # statement id) is tied to the resource that holds it.
    declared: Mapping[str, Any] = field(default_factory=dict)
    neighbours: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


Params = dict[str, Any]
# Request parameters from the target and the responses so far (by call name). A list fans out: one call
# per entry, and `translate` then receives [(params, response), ...]. None skips the call.
ParamsOf = Callable[[Target, Mapping[str, Any]], "Params | list[Params] | None"]
Translate = Callable[[Any, Target], dict]


@dataclass(frozen=True)
class Call:
    """One read-only API operation of a collector."""

    service: str  # boto3 service name, e.g. "s3"
    operation: str  # API operation name, e.g. "GetBucketReplication"
    params: ParamsOf
    translate: Translate
    produces: tuple[str, ...] = ()  # CloudFormation property names the translation may return
    extras: tuple[str, ...] = ()  # names of the live-only facts it may return under `Live`
    absent: tuple[str, ...] = ()  # error codes meaning "not configured": the properties are left out
    required: bool = False  # the call that proves the resource exists; its failure fails every property
    paginate: bool = False
    action: str | None = None  # IAM action, when it is not "<prefix>:<operation>"
    name: str | None = None  # key among the responses, when one operation is called twice

    @property
    def key(self) -> str:
        return self.name or self.operation


@dataclass(frozen=True)
class Collector:
    """How one CloudFormation resource type is read back from AWS."""

    type: str
    calls: tuple[Call, ...]
    arn: Callable[[Target, Mapping[str, Any]], str | None]  # the resource's ARN, from the responses
    # Fn::GetAtt attributes whose value identifies the resource: "arn" (the physical id is then taken from
    # it by `from_arn`), "id", or a function from the value to the physical id.
    attributes: Mapping[str, str | Callable[[str], str]] = field(default_factory=lambda: {"Arn": "arn"})
    from_arn: Callable[[str], str] = lambda arn: arn.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
    # Properties naming another resource that locating this one needs, and the type they name (see Target).
    references: Mapping[str, str] = field(default_factory=dict)
    # The property whose value, when the template determines it, names the resource; and the physical id
    # that name gives, from (name, Region, account).
    named: str | None = None
    from_name: Callable[[str, str, str | None], str | None] = lambda name, region, account: name

    @property
    def properties(self) -> frozenset[str]:
        return frozenset(name for call in self.calls for name in call.produces)

    @property
    def extras(self) -> frozenset[str]:
        return frozenset(name for call in self.calls for name in call.extras)

    def identify(self, attribute: str | None, value: str) -> tuple[str, str | None] | None:
        """(physical id, ARN) from the value of `Ref` (attribute None) or of `Fn::GetAtt` of `attribute`."""
        if attribute is None:
            return value, value if value.startswith("arn:") else None
        kind = self.attributes.get(attribute)
        if kind == "arn":
            return self.from_arn(value), value
        if kind == "id":
            return value, None
        return (kind(value), None) if callable(kind) else None


def first_label(host: str) -> str:
    """An RDS endpoint's identifier: "prod-db.cluster-abc.us-east-1.rds.amazonaws.com" -> "prod-db"."""
    return host.split(".", 1)[0]


def only(response: Any, key: str) -> Any:
    """The single item of the list `response[key]`, or None."""
    items = (response or {}).get(key) or []
    return items[0] if items else None


def rename(source: Mapping[str, Any] | None, names: Mapping[str, str]) -> dict:
    """Copy API fields to CloudFormation names ({api: cfn}), leaving out the ones that are absent."""
    source = source or {}
    return {cfn: source[api] for api, cfn in names.items() if source.get(api) is not None}


def keep(source: Mapping[str, Any] | None, *names: str) -> dict:
    """Copy the fields whose API and CloudFormation names agree, leaving out the ones that are absent."""
    return rename(source, {name: name for name in names})


def tags(items: Any, key: str = "Key", value: str = "Value") -> list[dict]:
    """API tags (a list of {key, value} in any spelling, or a mapping) as CloudFormation's [{Key, Value}]."""
    if isinstance(items, Mapping):
        return [{"Key": k, "Value": v} for k, v in items.items()]
    return [{"Key": t[key], "Value": t.get(value, "")} for t in items or []]


def policy(document: Any) -> Any:
    """A policy document as a mapping: APIs return JSON text, CloudFormation templates hold objects."""
    if isinstance(document, str):
        try:
            return json.loads(document)
        except ValueError:
            return document
    return document


def compact(value: Any) -> Any:
    """Drop None values and empty containers, recursively."""
    if isinstance(value, dict):
        items = {k: compact(v) for k, v in value.items()}
        return {k: v for k, v in items.items() if v is not None and v != {} and v != []}
    if isinstance(value, list):
        return [compact(v) for v in value]
    return value


def upper_first(value: Any) -> Any:
    """camelCase API keys to CloudFormation's PascalCase, recursively (ECS, Logs)."""
    if isinstance(value, dict):
        return {k[:1].upper() + k[1:]: upper_first(v) for k, v in value.items()}
    if isinstance(value, list):
        return [upper_first(v) for v in value]
    return value
