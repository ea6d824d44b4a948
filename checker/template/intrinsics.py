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
import re
from collections.abc import Callable, Mapping
from typing import Any

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
    text,
)

# A Fn::Sub placeholder: ${Name}, ${Resource.Attribute}, or the literal ${!Text}.
SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:([a-z-]+):[^}]*\}\}")
_LIFT_DEPTH = 6  # nested undecided conditions inside one computed value: beyond this, the value is unknown


def sub_variables(text_: str) -> list[str]:
    """The variable names a Fn::Sub string refers to, literals (${!Text}) left out."""
    return [name for name in SUB_VARIABLE.findall(text_) if name and not name.startswith("!")]


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


def truth(value: Any) -> bool | Unknown:
    """A condition's value: True, False, or an Unknown when it rests on something unresolved."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if isinstance(value, Unknown):
        return value
    origins = deep_origins(value)
    if origins:
        return Unknown(origins, "boolean")
    return Unknown([Origin("template", "a condition", f"{value!r} is not a boolean")], "boolean")


def is_intrinsic(value: Any) -> bool:
    """True when `value` is one intrinsic function call, e.g. {"Ref": "X"} or {"Fn::Sub": "..."}."""
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _HANDLERS


def _text_of(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


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
        return Unknown([Origin("pseudo", name)], kind, form={"Ref": name})
    if name in scope.declarations:
        return Unknown([Origin("parameter", name)], _type_of_parameter(spec), form={"Ref": name})
    return Unknown([Origin("template", f"Ref {name}", "names no declared parameter or resource")],
                   form={"Ref": name})


def _get_att(argument: Any, scope: Scope) -> Any:
    if isinstance(argument, str) and "." in argument:
        argument = argument.split(".", 1)
    args = resolve(argument, scope)
    if not (isinstance(args, list) and len(args) == 2 and isinstance(args[0], str)):
        return _lifted(args, lambda a: _malformed("Fn::GetAtt", a, "needs a resource and an attribute name"))
    return _lifted(args, lambda a: _attribute(a, scope))


def _attribute(args: list, scope: Scope) -> Any:
    logical_id, attribute = args
    if not isinstance(attribute, str):
        origins = deep_origins(attribute)
        return Unknown(origins or [Origin("template", "Fn::GetAtt", "attribute name is not text")],
                       form={"Fn::GetAtt": args})
    if logical_id in scope.resource_ids:
        return Reference(logical_id, attribute, scope.names.get((logical_id, attribute)))
    return _malformed("Fn::GetAtt", args, f"{logical_id} is not a resource of the template")


def _find_in_map(argument: Any, scope: Scope) -> Any:
    return _lifted(resolve(argument, scope), lambda args: _look_up(args, scope))


def _look_up(args: Any, scope: Scope) -> Any:
    form = {"Fn::FindInMap": args}
    if not (isinstance(args, list) and len(args) in (3, 4)):
        return _malformed("Fn::FindInMap", args, "needs a map name and two keys")
    keys = [_text_of(a) for a in args[:3]]
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
        return _lifted(args, _compare)
    return _compare(args)


def _compare(args: list) -> Any:
    if contains_special(args):
        return Unknown(deep_origins(args), "boolean", form={"Fn::Equals": args})
    left, right = (_text_of(a) for a in args)
    return left == right if left is not None else args[0] == args[1]


def _logic(name: str, combine: Callable[[list[bool | Unknown]], bool | Unknown]) -> Callable[[Any, Scope], Any]:
    def handler(argument: Any, scope: Scope) -> Any:
        args = argument if isinstance(argument, list) else [argument]
        return combine([truth(resolve(a, scope)) for a in args])
    return handler


def _unknown_of(values: list[bool | Unknown]) -> Unknown:
    return Unknown(frozenset().union(*(v.origins for v in values if isinstance(v, Unknown))), "boolean")


def _and(values: list[bool | Unknown]) -> bool | Unknown:
    if False in values:
        return False
    return True if all(v is True for v in values) else _unknown_of(values)


def _or(values: list[bool | Unknown]) -> bool | Unknown:
    if True in values:
        return True
    return False if all(v is False for v in values) else _unknown_of(values)


def _not(values: list[bool | Unknown]) -> bool | Unknown:
    if len(values) != 1:
        return Unknown([Origin("template", "Fn::Not", "takes exactly one condition")], "boolean")
    return values[0] if isinstance(values[0], Unknown) else not values[0]


def _condition(name: Any, scope: Scope) -> Any:
    if not isinstance(name, str) or name not in scope.condition_defs:
        return {"Condition": resolve(name, scope)}  # e.g. an IAM policy's Condition block
    return scope.condition(name)


def _sub(argument: Any, scope: Scope) -> Any:
    if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], Mapping):
        pattern, variables = argument[0], resolve(argument[1], scope)
    else:
        pattern, variables = argument, {}
    if not isinstance(pattern, str):
        return _malformed("Fn::Sub", argument, "needs a text template")
    return _lifted(variables, lambda names: _substitute(pattern, names, scope, {"Fn::Sub": argument}))


def _substitute(pattern: str, variables: Mapping[str, Any], scope: Scope, form: Any) -> Any:
    pieces: list[Any] = []
    position = 0
    for match in SUB_VARIABLE.finditer(pattern):
        pieces.append(pattern[position:match.start()])
        position = match.end()
        name = match.group(1)
        if name.startswith("!"):
            pieces.append("${" + name[1:] + "}")
            continue
        if name in variables:
            value = variables[name]
        elif "." in name:
            value = _attribute(name.split(".", 1), scope)
        else:
            value = _ref(name, scope)
        pieces.append(_piece(value, name))
    pieces.append(pattern[position:])
    return _finished(text(pieces, form), form)


def _piece(value: Any, name: str) -> Any:
    """A value as a piece of text; a list or object cannot be one."""
    literal = _text_of(value)
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
    return _lifted(resolve(argument, scope), lambda args: _joined(args, {"Fn::Join": argument}))


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
    return _lifted(resolve(argument, scope), lambda args: _selected(args, scope))


def _selected(args: Any, scope: Scope) -> Any:
    form = {"Fn::Select": args}
    if not (isinstance(args, list) and len(args) == 2):
        return _malformed("Fn::Select", args, "needs an index and a list")
    index, items = _text_of(args[0]), args[1]
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
    return _lifted(args, lambda a: _computed("Fn::Split", a, "array"))


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
    return _lifted(value, lambda v: _computed("Fn::Base64", v, "string"))


def _cidr(argument: Any, scope: Scope) -> Any:
    args = resolve(argument, scope)
    if contains_special(args):
        return _lifted(args, lambda a: _computed("Fn::Cidr", a, "array"))
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
    return _lifted(value, lambda v: len(v) if isinstance(v, list) else _computed("Fn::Length", v, "number"))


def _to_json_string(argument: Any, scope: Scope) -> Any:
    value = resolve(argument, scope)
    if not contains_special(value):
        return json.dumps(value, separators=(",", ":"))
    return _lifted(value, lambda v: _computed("Fn::ToJsonString", v, "string"))


def _membership(name: str, test: Callable[[list], bool]) -> Callable[[Any, Scope], Any]:
    """Fn::Contains, Fn::EachMemberEquals, Fn::EachMemberIn (template Rules only)."""
    def handler(argument: Any, scope: Scope) -> Any:
        args = resolve(argument, scope)
        if contains_special(args):
            return _computed(name, args, "boolean")
        if not (isinstance(args, list) and len(args) == 2 and isinstance(args[0], list)):
            return _malformed(name, args, "needs a list and a value")
        return test(args)
    return handler


def _contains(args: list) -> bool:
    return _text_of(args[1]) in [_text_of(v) for v in args[0]]


def _each_member_equals(args: list) -> bool:
    return all(_text_of(v) == _text_of(args[1]) for v in args[0])


def _each_member_in(args: list) -> bool:
    if not isinstance(args[1], list):
        return False
    allowed = {_text_of(v) for v in args[1]}
    return all(_text_of(v) in allowed for v in args[0])


def _import(argument: Any, scope: Scope) -> Any:
    name = resolve(argument, scope)
    shown = name if isinstance(name, str) else json.dumps(display(name), default=str)
    # An export whose name is itself only known at deployment keeps that name's origins too.
    return Unknown([Origin("import", shown), *deep_origins(name)], "string", form={"Fn::ImportValue": argument})


def _kept(name: str, why: str) -> Callable[[Any, Scope], Any]:
    """Functions whose value only exists at deploy time."""
    return lambda argument, scope: Unknown([Origin("template", name, why)], form={name: argument})


def _lifted(args: Any, build: Callable[[Any], Any], assumed: dict[str, bool] | None = None, depth: int = 0) -> Any:
    """`build(args)`, or, when `args` holds choices, a choice between `build` of each branch."""
    if assumed:
        args = _assume(args, assumed)
    found = _split_choice(args)
    if found is None:
        return build(args)
    choice, then, otherwise = found
    if depth >= _LIFT_DEPTH:
        return Unknown(deep_origins(args))
    built_then = _lifted(then, build, {**(assumed or {}), choice.condition: True}, depth + 1)
    built_otherwise = _lifted(otherwise, build, {**(assumed or {}), choice.condition: False}, depth + 1)
    if not contains_special([built_then, built_otherwise]) and built_then == built_otherwise:
        return built_then
    return Choice(choice.condition, built_then, built_otherwise, choice.origin)


def _assume(value: Any, assumed: dict[str, bool]) -> Any:
    """`value` with the choices on the conditions of `assumed` decided."""
    if isinstance(value, Choice):
        if value.condition in assumed:
            return _assume(value.then if assumed[value.condition] else value.otherwise, assumed)
        return Choice(value.condition, _assume(value.then, assumed), _assume(value.otherwise, assumed),
                      value.origin)
    if isinstance(value, list) and contains_special(value):
        items = [item for item in (_assume(v, assumed) for v in value) if item is not NO_VALUE]
        return ChoiceList(items) if any(isinstance(item, Choice) for item in items) else items
    if isinstance(value, dict) and contains_special(value):
        decided = {k: _assume(v, assumed) for k, v in value.items()}
        return {k: v for k, v in decided.items() if v is not NO_VALUE}
    return value


def _split_choice(value: Any) -> tuple[Choice, Any, Any] | None:
    """The first Choice inside `value`, and `value` with that choice's then- and otherwise-branch."""
    if isinstance(value, Choice):
        return value, value.then, value.otherwise
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _split_choice(item)
            if found:
                choice, then, otherwise = found
                return choice, _replaced_item(value, index, then), _replaced_item(value, index, otherwise)
    if isinstance(value, dict):
        for key, item in value.items():
            found = _split_choice(item)
            if found:
                choice, then, otherwise = found
                return choice, _replaced_key(value, key, then), _replaced_key(value, key, otherwise)
    return None


def _replaced_item(items: list, index: int, item: Any) -> list:
    rebuilt = items[:index] + ([] if item is NO_VALUE else [item]) + items[index + 1:]
    return ChoiceList(rebuilt) if any(isinstance(i, Choice) for i in rebuilt) else rebuilt


def _replaced_key(mapping: dict, key: str, item: Any) -> dict:
    rebuilt = {k: v for k, v in mapping.items() if k != key}
    if item is not NO_VALUE:
        rebuilt[key] = item
    return rebuilt


_HANDLERS: dict[str, Callable[[Any, Scope], Any]] = {
    "Ref": lambda argument, scope: _ref(argument, scope),
    "Condition": _condition,
    "Fn::GetAtt": _get_att,
    "Fn::FindInMap": _find_in_map,
    "Fn::If": _if,
    "Fn::Equals": _equals,
    "Fn::And": _logic("Fn::And", _and),
    "Fn::Or": _logic("Fn::Or", _or),
    "Fn::Not": _logic("Fn::Not", _not),
    "Fn::Sub": _sub,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::GetAZs": _get_azs,
    "Fn::Base64": _base64,
    "Fn::Cidr": _cidr,
    "Fn::Length": _length,
    "Fn::ToJsonString": _to_json_string,
    "Fn::Contains": _membership("Fn::Contains", _contains),
    "Fn::EachMemberEquals": _membership("Fn::EachMemberEquals", _each_member_equals),
    "Fn::EachMemberIn": _membership("Fn::EachMemberIn", _each_member_in),
    "Fn::ImportValue": _import,
    "Fn::Transform": _kept("Fn::Transform", "a macro runs at deployment"),
    "Fn::ValueOf": _kept("Fn::ValueOf", "reads a parameter's resource attribute at deployment"),
    "Fn::ValueOfAll": _kept("Fn::ValueOfAll", "reads parameters' resource attributes at deployment"),
    "Fn::RefAll": _kept("Fn::RefAll", "lists the account's resources at deployment"),
    "Fn::GetStackOutput": _kept("Fn::GetStackOutput", "reads another stack's output at deployment"),
}
