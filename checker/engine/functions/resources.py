"""Rule functions that find resources: by type, by name, behind a reference or an ARN, and their Ref and ARN."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jmespath import exceptions

from checker.engine.context import Context
from checker.engine.functions.base import Function, open_unknown
from checker.engine.interpreter import Interpreter
from checker.engine.logic import unknown_truth
from checker.template.document_types import Resource
from checker.template.names import NAME_PROPERTIES, fixed_arn, fixed_name
from checker.template.partitions import partition_of
from checker.template.values import Maybe, Origin, Reference, Text, Unknown, known_text


def _resolve(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    return _resource(context, interpreter, interpreter.read(args[0]), set())


def _resource(context: Context, interpreter: Interpreter, value: Any, followed: set[str]) -> Any:
    """The resource `value` denotes; an alias of a KMS key denotes the key it targets."""
    found: Any = None
    if isinstance(value, Reference):
        found = context.index.resources.get(value.logical_id)
    elif isinstance(value, str):
        found = context.index.named(value) or context.index.named(_alias_name(value) or "")
        if found is None:
            doubt = context.index.could_be(value)
            return Unknown(doubt) if doubt else None
    elif isinstance(value, Text):
        last = value.parts[-1]
        if isinstance(last, Reference):  # an ARN built from a resource: arn:...:key/${Key}
            found = context.index.resources.get(last.logical_id)
        elif isinstance(last, str) and last.rsplit(":", 1)[-1].startswith("alias/"):
            found = context.index.named(last.rsplit(":", 1)[-1])  # arn:...:${AWS::AccountId}:alias/name
        if found is None:
            return open_unknown(value)
    elif isinstance(value, Unknown):
        return open_unknown(value)
    if isinstance(found, dict) and found.get("Type") == "AWS::KMS::Alias":
        logical_id = str(found.get("LogicalId"))
        properties = found.get("Properties")
        if logical_id in followed:
            return None
        if isinstance(properties, Unknown):
            return Unknown(properties.origins)
        target = interpreter.read(properties.get("TargetKeyId")) if isinstance(properties, dict) else None
        return _resource(context, interpreter, target, followed | {logical_id})
    return found


def _alias_name(text_: str) -> str | None:
    """`alias/name` from an alias name or an alias ARN (arn:aws:kms:region:account:alias/name)."""
    if text_.startswith("alias/"):
        return text_
    tail = text_.rsplit(":", 1)[-1]
    return tail if ":kms:" in text_ and tail.startswith("alias/") else None


def _resources(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    resource_type = args[0]
    if not isinstance(resource_type, str):
        raise exceptions.JMESPathTypeError("resources", resource_type, type(resource_type).__name__, ["string"])
    listed: list[Any] = []
    for logical_id in context.index.of_type(resource_type):
        present = context.index.presence(logical_id, interpreter.world)
        resource = context.index.resources[logical_id]
        if present is True:
            listed.append(resource)
        elif isinstance(present, Unknown):
            listed.append(Maybe(resource, present.origins))
    return listed


def _named(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    resource_type, names = args[0], interpreter.read(args[1])
    if not isinstance(resource_type, str):
        raise exceptions.JMESPathTypeError("named", resource_type, type(resource_type).__name__, ["string"])
    if isinstance(names, Unknown):
        return Unknown(names.origins, "array")
    index = context.index.by_name(resource_type)
    doubts: dict[str, frozenset[Origin]] = {}  # logical id -> why it may not be named (empty: it surely is)
    for entry in names if isinstance(names, list) else [names]:
        doubt = entry.origins if isinstance(entry, Maybe) else frozenset()
        name = known_text(interpreter.read(entry.value if isinstance(entry, Maybe) else entry))
        sure: list[str] = []
        maybe: list[tuple[str, frozenset[Origin]]] = []
        if isinstance(name, Reference):  # a reference to a resource of that type names it, and only it
            referenced = context.index.resources.get(name.logical_id)
            sure = [name.logical_id] if isinstance(referenced, Mapping) and referenced.get("Type") == resource_type \
                else []
        else:
            sure, maybe = index.lookup(name, interpreter.world)
        for logical_id, why in [*((lid, doubt) for lid in sure), *((lid, why | doubt) for lid, why in maybe)]:
            doubts[logical_id] = why if logical_id not in doubts else doubts[logical_id] & why
    listed: list[Any] = []
    for logical_id in sorted(doubts, key=context.index.position.__getitem__):  # named ones only, in order
        present = context.index.presence(logical_id, interpreter.world)
        if present is False:
            continue
        why = doubts[logical_id] | (present.origins if isinstance(present, Unknown) else frozenset())
        resource = context.index.resources[logical_id]
        listed.append(Maybe(resource, why) if why else resource)
    return listed


def _is_reference(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    value = interpreter.read(args[0])
    if isinstance(value, Reference):
        return value.logical_id in context.index.resources
    if isinstance(value, Unknown):
        opened = open_unknown(value)
        return unknown_truth(opened.origins) if opened is not None else False
    return False


def _ref(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    resource = interpreter.read(args[0])
    if not isinstance(resource, dict) or not isinstance(resource.get("LogicalId"), str):
        return None
    physical = resource.get("PhysicalId")
    if physical is not None:  # live
        return physical
    if not _of_this_document(context, resource):
        return fixed_name(resource) or _elsewhere(resource, None)
    return Reference(resource["LogicalId"], None, fixed_name(resource))


def _arn(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    resource = interpreter.read(args[0])
    if not isinstance(resource, dict) or not isinstance(resource.get("LogicalId"), str):
        return None
    if "Arn" in resource:  # live
        return resource["Arn"]
    region = (context.document.get("Deployment") or {}).get("Region")
    fixed = fixed_arn(resource, partition_of(region) if isinstance(region, str) else None)
    if not _of_this_document(context, resource):
        return fixed if fixed is not None else _elsewhere(resource, "Arn")
    return Reference(resource["LogicalId"], "Arn", fixed if isinstance(fixed, str) else None)


def _of_this_document(context: Context, resource: Resource) -> bool:
    return context.index.resources.get(resource["LogicalId"]) is resource


def _elsewhere(resource: Resource, attribute: str | None) -> Unknown:
    """A value of a resource of another environment's document: never a reference to this document's
    resource of the same logical id."""
    name = resource["LogicalId"] + (f".{attribute}" if attribute else "")
    return Unknown([Origin("attribute", f"the value of {name} in another environment")], "string")


# What `ref` and `arn` read of a resource: who it is, where it is deployed, and the property that names it.
_IDENTITY = (("LogicalId",), ("PhysicalId",), ("Arn",), ("Type",),
             *sorted({("Properties", name) for name in NAME_PROPERTIES.values()}))

RESOURCES: dict[str, Function] = {
    "resolve": Function(1, 1, _resolve, custom=True, document=True),
    "resources": Function(1, 1, _resources, custom=True, document=True),
    "named": Function(2, 2, _named, custom=True, document=True),
    "is_reference": Function(1, 1, _is_reference, custom=True, document=True),
    "ref": Function(1, 1, _ref, custom=True, document=True, reads=_IDENTITY),
    "arn": Function(1, 1, _arn, custom=True, document=True, reads=_IDENTITY),
}
