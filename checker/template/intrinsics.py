"""Intrinsic functions, resolved through one dispatch table.

What cannot be known before deployment becomes a value of checker.template.values, never an exception: a parameter
without a value or an unknown pseudo parameter is `Unknown` (with its origin), a reference to a resource of
the template is a `Reference`, a string built from such parts is a `Text`, `Fn::If` on a condition the
environment does not decide is a `Choice` between both rendered branches. Functions that compute from
their arguments lift a `Choice` out of them, so `!Sub ["${X}-logs", {X: !If [C, a, b]}]` becomes a choice
between two strings.
"""
from __future__ import annotations

import base64
import ipaddress
import json
from collections.abc import Callable, Mapping
from typing import Any

from checker.template.choices import lifted
from checker.template.conditions import (
    all_true,
    any_true,
    contains_member,
    each_member_equals,
    each_member_in,
    equals,
    negation,
    truth,
)
from checker.template.forms import DYNAMIC_REFERENCE, get_att_parts, sub_form, sub_pieces
from checker.template.values import (
    NO_VALUE,
    Choice,
    ChoiceList,
    Origin,
    Reference,
    Text,
    Unknown,
    contains_special,
    deep_origins,
    display,
    origins_of,
    scalar_text,
    text,
)


def _type_of_parameter(spec: Any) -> str:
    kind = str(spec.get("Type", "String")) if isinstance(spec, Mapping) else "String"
    if kind == "Number":
        return "number"
    if kind.startswith("List<") or kind == "CommaDelimitedList":
        return "array"
    return "string"


def is_ssm_parameter_type(spec: Any) -> bool:
    return isinstance(spec, Mapping) and str(spec.get("Type", "")).startswith("AWS::SSM::Parameter::Value<")


class Scope:
    """What an environment knows: parameter values, pseudo parameters, mappings, conditions, resources."""

    def __init__(self, values: Mapping[str, Any], mappings: Any, conditions: Any, resource_ids: set[str] | Any,
                 region: str | None, declarations: Mapping[str, Any] | None = None) -> None:
        self.values = values  # parameter and pseudo parameter name -> known value
        self.mappings = mappings if isinstance(mappings, Mapping) else {}
        self.condition_defs = conditions if isinstance(conditions, Mapping) else {}
        self.resource_ids = resource_ids
        self.region = region
        self.declarations = declarations if isinstance(declarations, Mapping) else {}
        self.names: dict[tuple[str, str | None], str] = {}  # (logical id, attribute) -> the value it fixes
        self._conditions: dict[str, bool | Unknown] = {}
        self._evaluating: set[str] = set()

    def condition(self, name: Any) -> bool | Unknown:
        """A named condition's truth in this environment, or an Unknown saying what it rests on."""
        if not isinstance(name, str) or name not in self.condition_defs:
            return Unknown([Origin("template", f"condition {name!r}", "is not declared in Conditions")], "boolean")
        if name not in self._conditions:
            if name in self._evaluating:  # a cycle: CloudFormation rejects it; we cannot decide it
                return Unknown([Origin("template", f"condition {name}", "refers to itself")], "boolean")
            self._evaluating.add(name)
            self._conditions[name] = truth(resolve(self.condition_defs[name], self))
            self._evaluating.discard(name)
        return self._conditions[name]

    def condition_origin(self, name: str) -> Origin:
        decided = self.condition(name)
        underlying = sorted(o.describe() for o in origins_of(decided)) if isinstance(decided, Unknown) else []
        return Origin("condition", name, "; ".join(underlying))


def resolve(value: Any, scope: Scope) -> Any:
    """Resolve every intrinsic inside `value` for `scope`; NO_VALUE entries are dropped."""
    if isinstance(value, dict):
        if len(value) == 1:
            (key, argument), = value.items()
            handler = _HANDLERS.get(key)
            if handler is not None:
                return handler(argument, scope)
        resolved = {}
        for k, v in value.items():
            item = resolve(v, scope)
            if item is not NO_VALUE:
                resolved[k] = item
        return resolved
    if isinstance(value, list):
        items = [item for item in (resolve(v, scope) for v in value) if item is not NO_VALUE]
        return ChoiceList(items) if any(isinstance(item, Choice) for item in items) else items
    if isinstance(value, str) and "{{resolve:" in value:
        return _dynamic(value, value)
    return value


def is_intrinsic(value: Any) -> bool:
    """True when `value` is one intrinsic function call, e.g. {"Ref": "X"} or {"Fn::Sub": "..."}."""
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _HANDLERS


def _malformed(name: str, argument: Any, why: str) -> Unknown:
    return Unknown([Origin("template", name, why)], form={name: argument})


def _dynamic(whole: str, form: Any) -> Any:
    """A string holding {{resolve:...}} dynamic references: unknown pieces between its literal ones."""
    pieces: list[Any] = []
    position = 0
    for match in DYNAMIC_REFERENCE.finditer(whole):
        pieces.append(whole[position:match.start()])
        pieces.append(Unknown([Origin("dynamic-reference", match.group(0), match.group(1))], "string",
                              form=match.group(0)))
        position = match.end()
    pieces.append(whole[position:])
    if len(pieces) == 3 and pieces[0] == pieces[2] == "":
        return pieces[1]
    return text(pieces, form)


_DIGITS = frozenset("0123456789")


def _ref(name: Any, scope: Scope) -> Any:
    if name == "AWS::NoValue":
        return NO_VALUE
    if not isinstance(name, str):
        return _malformed("Ref", name, "names no parameter or resource")
    spec = scope.declarations.get(name)
    if is_ssm_parameter_type(spec):
        source = scope.values.get(name, spec.get("Default", "?") if isinstance(spec, Mapping) else "?")
        return Unknown([Origin("ssm-parameter", name, str(source))], "string", form={"Ref": name})
    if name in scope.values:
        value = scope.values[name]
        return _dynamic(value, value) if isinstance(value, str) and "{{resolve:" in value else value
    if name in scope.resource_ids:
        return Reference(name, None, scope.names.get((name, None)))
    if name.startswith("AWS::"):
        kind = "array" if name == "AWS::NotificationARNs" else "string"
        return Unknown([Origin("pseudo", name)], kind, form={"Ref": name},
                       characters=_DIGITS if name == "AWS::AccountId" else None)  # always 12 digits
    if name in scope.declarations:
        return Unknown([Origin("parameter", name)], _type_of_parameter(spec), form={"Ref": name})
    return Unknown([Origin("template", f"Ref {name}", "names no declared parameter or resource")],
                   form={"Ref": name})


def _get_att(argument: Any, scope: Scope) -> Any:
    args = resolve(get_att_parts(argument) if isinstance(argument, str) else argument, scope)
    if not (isinstance(args, list) and len(args) == 2 and isinstance(args[0], str)):
        return lifted(args, lambda a: _malformed("Fn::GetAtt", a, "needs a resource and an attribute name"))
    return lifted(args, lambda a: _attribute(a, scope))


def _attribute(args: list[Any], scope: Scope) -> Any:
    logical_id, attribute = args
    if not isinstance(attribute, str):
        origins = deep_origins(attribute)
        return Unknown(origins or [Origin("template", "Fn::GetAtt", "attribute name is not text")],
                       form={"Fn::GetAtt": args})
    if logical_id in scope.resource_ids:
        return Reference(logical_id, attribute, scope.names.get((logical_id, attribute)))
    return _malformed("Fn::GetAtt", args, f"{logical_id} is not a resource of the template")


def _find_in_map(argument: Any, scope: Scope) -> Any:
    return lifted(resolve(argument, scope), lambda args: _look_up(args, scope))


def _look_up(args: Any, scope: Scope) -> Any:
    form = {"Fn::FindInMap": args}
    if not (isinstance(args, list) and len(args) in (3, 4)):
        return _malformed("Fn::FindInMap", args, "needs a map name and two keys")
    keys = [scalar_text(a) for a in args[:3]]
    if None in keys:
        origins = deep_origins(args[:3])
        return Unknown(origins or [Origin("template", "Fn::FindInMap", "keys must be text")], form=form)
    name, top, second = keys
    found = scope.mappings.get(name, {})
    found = found.get(top, {}) if isinstance(found, Mapping) else {}
    if isinstance(found, Mapping) and second in found:
        return resolve(found[second], scope)
    if len(args) == 4 and isinstance(args[3], Mapping) and "DefaultValue" in args[3]:
        return args[3]["DefaultValue"]
    return Unknown([Origin("template", f"Fn::FindInMap [{name}, {top}, {second}]", "has no such entry")], form=form)


def _if(argument: Any, scope: Scope) -> Any:
    if not (isinstance(argument, list) and len(argument) == 3):
        return _malformed("Fn::If", argument, "needs a condition name and two values")
    name = argument[0]
    decided = scope.condition(name)
    if isinstance(decided, bool):
        return resolve(argument[1] if decided else argument[2], scope)
    if not isinstance(name, str) or name not in scope.condition_defs:
        return Unknown(decided.origins, form={"Fn::If": argument})
    return Choice(name, resolve(argument[1], scope), resolve(argument[2], scope), scope.condition_origin(name))


def _equals(argument: Any, scope: Scope) -> Any:
    args = resolve(argument, scope)
    if not (isinstance(args, list) and len(args) == 2):
        return _malformed("Fn::Equals", args, "needs two values")
    if contains_special(args):
        return lifted(args, equals)
    return equals(args)


def _logic(name: str, combine: Callable[[list[bool | Unknown]], bool | Unknown]) -> Callable[[Any, Scope], Any]:
    def handler(argument: Any, scope: Scope) -> Any:
        args = argument if isinstance(argument, list) else [argument]
        return combine([truth(resolve(a, scope)) for a in args])
    return handler


def _condition(name: Any, scope: Scope) -> Any:
    if not isinstance(name, str) or name not in scope.condition_defs:
        return {"Condition": resolve(name, scope)}  # e.g. an IAM policy's Condition block
    return scope.condition(name)


def _sub(argument: Any, scope: Scope) -> Any:
    pattern, variables = sub_form(argument)
    if not isinstance(pattern, str):
        return _malformed("Fn::Sub", argument, "needs a text template")
    return lifted(resolve(variables, scope), lambda names: _substitute(pattern, names, scope, {"Fn::Sub": argument}))


def _substitute(pattern: str, variables: Mapping[str, Any], scope: Scope, form: Any) -> Any:
    pieces: list[Any] = []
    for piece in sub_pieces(pattern):
        if isinstance(piece, str):
            pieces.append(piece)
            continue
        name = piece.name
        if name in variables:
            value = variables[name]
        elif "." in name:
            value = _attribute(get_att_parts(name), scope)
        else:
            value = _ref(name, scope)
        pieces.append(_piece(value, name))
    return _finished(text(pieces, form), form)


def _piece(value: Any, name: str) -> Any:
    """A value as a piece of text; a list or object cannot be one."""
    literal = scalar_text(value)
    if literal is not None:
        return literal
    if isinstance(value, (Unknown, Reference, Text)):
        return value
    return Unknown(deep_origins(value) or [Origin("template", f"${{{name}}}", "is not text")], "string")


def _finished(value: Any, form: Any) -> Any:
    """A built string whose literal pieces hold a dynamic reference is that reference, resolved at deployment."""
    if isinstance(value, Text):
        literal = "".join(p for p in value.parts if isinstance(p, str))
        if "{{resolve:" in literal:
            shown = json.dumps(value.form) if value.form is not None else literal
            service = literal.split("{{resolve:", 1)[1].split(":", 1)[0]
            return Unknown([Origin("dynamic-reference", shown, service)], "string", form=form)
        return value
    if isinstance(value, str) and "{{resolve:" in value:
        return _dynamic(value, form)
    return value


def _join(argument: Any, scope: Scope) -> Any:
    return lifted(resolve(argument, scope), lambda args: _joined(args, {"Fn::Join": argument}))


def _joined(args: Any, form: Any) -> Any:
    if not (isinstance(args, list) and len(args) == 2):
        return _malformed("Fn::Join", args, "needs a delimiter and a list")
    delimiter, items = args
    if not isinstance(delimiter, str) or not isinstance(items, list):
        origins = deep_origins(args)
        return Unknown(origins or [Origin("template", "Fn::Join", "needs a delimiter and a list")], "string",
                       form=form)
    pieces: list[Any] = []
    for index, item in enumerate(items):
        if index:
            pieces.append(delimiter)
        pieces.append(_piece(item, f"item {index}"))
    return _finished(text(pieces, form), form)


def _select(argument: Any, scope: Scope) -> Any:
    return lifted(resolve(argument, scope), lambda args: _selected(args, scope))


def _selected(args: Any, scope: Scope) -> Any:
    form = {"Fn::Select": args}
    if not (isinstance(args, list) and len(args) == 2):
        return _malformed("Fn::Select", args, "needs an index and a list")
    index, items = scalar_text(args[0]), args[1]
    if index is None or not isinstance(items, list):
        zones = isinstance(items, Unknown) and any(o.kind == "zones" for o in items.origins)
        if zones and index is not None:  # an Availability Zone: the region's name and a letter
            return text([scope.region or "", Unknown(items.origins, "string")], form)
        origins = deep_origins(args)
        return Unknown(origins or [Origin("template", "Fn::Select", "needs an index and a list")], form=form)
    if not index.isdigit() or int(index) >= len(items):
        return _malformed("Fn::Select", args, f"index {index} is outside the list")
    return items[int(index)]


def _split(argument: Any, scope: Scope) -> Any:
    args = resolve(argument, scope)
    if isinstance(args, list) and len(args) == 2 and isinstance(args[0], str) and isinstance(args[1], str) and args[0]:
        return args[1].split(args[0])
    return lifted(args, lambda a: _computed("Fn::Split", a, "array"))


def _computed(name: str, args: Any, kind: str | None) -> Any:
    """What a function of unknown arguments gives: unknown, for their reasons."""
    origins = deep_origins(args)
    return Unknown(origins or [Origin("template", name, f"cannot be computed from {args!r}")], kind,
                   form={name: args})


def _get_azs(argument: Any, scope: Scope) -> Any:
    region = resolve(argument, scope)
    region = scope.region if region in ("", None) else region
    if isinstance(region, str):
        return Unknown([Origin("zones", region)], "array", form={"Fn::GetAZs": argument})
    return _computed("Fn::GetAZs", region, "array")


def _base64(argument: Any, scope: Scope) -> Any:
    value = resolve(argument, scope)
    if isinstance(value, str):
        return base64.b64encode(value.encode()).decode()
    return lifted(value, lambda v: _computed("Fn::Base64", v, "string"))


def _cidr(argument: Any, scope: Scope) -> Any:
    args = resolve(argument, scope)
    if contains_special(args):
        return lifted(args, lambda a: _computed("Fn::Cidr", a, "array"))
    try:
        block, count, bits = args
        if not 1 <= int(count) <= 256:  # CloudFormation's limit; an unbounded count would never finish
            raise ValueError(count)
        network = ipaddress.ip_network(block, strict=False)
        prefix = network.max_prefixlen - int(bits)
        subnets = network.subnets(new_prefix=prefix)
        return [str(next(subnets)) for _ in range(int(count))]
    except (TypeError, ValueError, StopIteration):
        return _malformed("Fn::Cidr", args, "needs a CIDR block, a count and a number of bits")


def _length(argument: Any, scope: Scope) -> Any:
    value = resolve(argument, scope)
    if isinstance(value, list) and not isinstance(value, ChoiceList):
        return len(value)
    return lifted(value, lambda v: len(v) if isinstance(v, list) else _computed("Fn::Length", v, "number"))


def _to_json_string(argument: Any, scope: Scope) -> Any:
    value = resolve(argument, scope)
    if not contains_special(value):
        return json.dumps(value, separators=(",", ":"))
    return lifted(value, lambda v: _computed("Fn::ToJsonString", v, "string"))


def _membership(name: str, test: Callable[[list[Any]], bool]) -> Callable[[Any, Scope], Any]:
    """Fn::Contains, Fn::EachMemberEquals, Fn::EachMemberIn (template Rules only)."""
    def handler(argument: Any, scope: Scope) -> Any:
        args = resolve(argument, scope)
        if contains_special(args):
            return _computed(name, args, "boolean")
        if not (isinstance(args, list) and len(args) == 2 and isinstance(args[0], list)):
            return _malformed(name, args, "needs a list and a value")
        return test(args)
    return handler


def _import(argument: Any, scope: Scope) -> Any:
    name = resolve(argument, scope)
    shown = name if isinstance(name, str) else json.dumps(display(name), default=str)
    # An export whose name is itself only known at deployment keeps that name's origins too.
    return Unknown([Origin("import", shown), *deep_origins(name)], "string", form={"Fn::ImportValue": argument})


def _kept(name: str, why: str) -> Callable[[Any, Scope], Any]:
    """Functions whose value only exists at deploy time."""
    return lambda argument, scope: Unknown([Origin("template", name, why)], form={name: argument})


_HANDLERS: dict[str, Callable[[Any, Scope], Any]] = {
    "Ref": lambda argument, scope: _ref(argument, scope),
    "Condition": _condition,
    "Fn::GetAtt": _get_att,
    "Fn::FindInMap": _find_in_map,
    "Fn::If": _if,
    "Fn::Equals": _equals,
    "Fn::And": _logic("Fn::And", all_true),
    "Fn::Or": _logic("Fn::Or", any_true),
    "Fn::Not": _logic("Fn::Not", negation),
    "Fn::Sub": _sub,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::GetAZs": _get_azs,
    "Fn::Base64": _base64,
    "Fn::Cidr": _cidr,
    "Fn::Length": _length,
    "Fn::ToJsonString": _to_json_string,
    "Fn::Contains": _membership("Fn::Contains", contains_member),
    "Fn::EachMemberEquals": _membership("Fn::EachMemberEquals", each_member_equals),
    "Fn::EachMemberIn": _membership("Fn::EachMemberIn", each_member_in),
    "Fn::ImportValue": _import,
    "Fn::Transform": _kept("Fn::Transform", "a macro runs at deployment"),
    "Fn::ValueOf": _kept("Fn::ValueOf", "reads a parameter's resource attribute at deployment"),
    "Fn::ValueOfAll": _kept("Fn::ValueOfAll", "reads parameters' resource attributes at deployment"),
    "Fn::RefAll": _kept("Fn::RefAll", "lists the account's resources at deployment"),
    "Fn::GetStackOutput": _kept("Fn::GetStackOutput", "reads another stack's output at deployment"),
}
