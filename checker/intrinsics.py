"""Intrinsic functions, resolved through one dispatch table.

A value that cannot be known before deployment (a resource attribute, an import, a parameter with
no value) is returned in its intrinsic form, with its arguments resolved as far as they go; it is
never an exception. `Fn::If` on an undecidable condition keeps both rendered branches.
"""
from __future__ import annotations

import base64
import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

NO_VALUE = object()  # AWS::NoValue: the enclosing key or list item disappears
UNKNOWN = None  # a condition that depends on an unresolved value

# A Fn::Sub placeholder: ${Name}, ${Resource.Attribute}, or the literal ${!Text}.
SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def sub_variables(text: str) -> list[str]:
    """The variable names a Fn::Sub string refers to, literals (${!Text}) left out."""
    return [name for name in SUB_VARIABLE.findall(text) if name and not name.startswith("!")]


class Scope:
    """What an environment knows: parameter values, pseudo parameters, mappings, conditions, resources."""

    def __init__(self, values: Mapping[str, Any], mappings: Mapping, conditions: Mapping,
                 resource_ids: set[str], region: str | None) -> None:
        self.values = values          # parameter and pseudo parameter name -> resolved value
        self.mappings = mappings if isinstance(mappings, Mapping) else {}
        self.condition_defs = conditions if isinstance(conditions, Mapping) else {}
        self.resource_ids = resource_ids
        self.region = region
        self._conditions: dict[str, bool | None] = {}
        self._evaluating: set[str] = set()

    def condition(self, name: Any) -> bool | None:
        if not isinstance(name, str) or name not in self.condition_defs:
            return UNKNOWN
        if name not in self._conditions:
            if name in self._evaluating:  # a cycle: CloudFormation rejects it; we cannot decide it
                return UNKNOWN
            self._evaluating.add(name)
            self._conditions[name] = truth(resolve(self.condition_defs[name], self))
            self._evaluating.discard(name)
        return self._conditions[name]


def resolve(value: Any, scope: Scope) -> Any:
    """Resolve every intrinsic inside `value` for `scope`; NO_VALUE entries are dropped."""
    if isinstance(value, dict):
        if len(value) == 1:
            (key, argument), = value.items()
            handler = _HANDLERS.get(key)
            if handler is not None:
                return handler(argument, scope)
        resolved = {k: resolve(v, scope) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}
    if isinstance(value, list):
        return [v for v in (resolve(item, scope) for item in value) if v is not NO_VALUE]
    return value


def truth(value: Any) -> bool | None:
    """A condition's value: True, False, or UNKNOWN when it rests on something unresolved."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return UNKNOWN


def is_intrinsic(value: Any) -> bool:
    """True when `value` is one intrinsic function call, e.g. {"Ref": "X"} or {"Fn::Sub": "..."}."""
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _HANDLERS


def is_resolved(value: Any) -> bool:
    """True when `value` holds no intrinsic at all (plain data)."""
    if isinstance(value, dict):
        return not is_intrinsic(value) and all(is_resolved(v) for v in value.values())
    if isinstance(value, list):
        return all(is_resolved(v) for v in value)
    return True


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def _ref(name: Any, scope: Scope) -> Any:
    if name == "AWS::NoValue":
        return NO_VALUE
    if isinstance(name, str) and name in scope.values:
        return scope.values[name]
    return {"Ref": name}


def _get_att(argument: Any, scope: Scope) -> Any:
    if isinstance(argument, str) and "." in argument:
        argument = argument.split(".", 1)
    return {"Fn::GetAtt": resolve(argument, scope)}


def _find_in_map(argument: Any, scope: Scope) -> Any:
    args = resolve(argument, scope)
    if isinstance(args, list) and len(args) in (3, 4) and all(_text(a) is not None for a in args[:3]):
        name, top, second = (_text(a) for a in args[:3])
        found = scope.mappings.get(name, {})
        found = found.get(top, {}) if isinstance(found, Mapping) else {}
        if isinstance(found, Mapping) and second in found:
            return resolve(found[second], scope)
        if len(args) == 4 and isinstance(args[3], Mapping) and "DefaultValue" in args[3]:
            return args[3]["DefaultValue"]
    return {"Fn::FindInMap": args}


def _if(argument: Any, scope: Scope) -> Any:
    if not (isinstance(argument, list) and len(argument) == 3):
        return {"Fn::If": argument}
    decided = scope.condition(argument[0])
    if decided is UNKNOWN:
        return {"Fn::If": [argument[0], resolve(argument[1], scope), resolve(argument[2], scope)]}
    return resolve(argument[1] if decided else argument[2], scope)


def _equals(argument: Any, scope: Scope) -> Any:
    args = resolve(argument, scope)
    if isinstance(args, list) and len(args) == 2 and is_resolved(args):
        return _text(args[0]) == _text(args[1]) if _text(args[0]) is not None else args[0] == args[1]
    return {"Fn::Equals": args}


def _logic(name: str, combine: Callable[[list[bool | None]], bool | None]) -> Callable[[Any, Scope], Any]:
    def handler(argument: Any, scope: Scope) -> Any:
        args = argument if isinstance(argument, list) else [argument]
        decided = combine([truth(resolve(a, scope)) for a in args])
        return {name: resolve(args, scope)} if decided is UNKNOWN else decided
    return handler


def _and(values: list[bool | None]) -> bool | None:
    return False if False in values else (UNKNOWN if UNKNOWN in values else True)


def _or(values: list[bool | None]) -> bool | None:
    return True if True in values else (UNKNOWN if UNKNOWN in values else False)


def _not(values: list[bool | None]) -> bool | None:
    return UNKNOWN if len(values) != 1 or values[0] is UNKNOWN else not values[0]


def _condition(name: Any, scope: Scope) -> Any:
    if not isinstance(name, str) or name not in scope.condition_defs:
        return {"Condition": resolve(name, scope)}  # e.g. an IAM policy's Condition block
    decided = scope.condition(name)
    return {"Condition": name} if decided is UNKNOWN else decided


def _sub(argument: Any, scope: Scope) -> Any:
    if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], Mapping):
        pattern, variables = argument[0], resolve(argument[1], scope)
    else:
        pattern, variables = argument, {}
    if not isinstance(pattern, str):
        return {"Fn::Sub": resolve(argument, scope)}
    remaining: dict[str, Any] = {}

    def substitute(match: re.Match) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return match.group(0)
        value = variables[name] if name in variables else _ref(name, scope) if "." not in name else None
        text = _text(value)
        if text is None:
            if name in variables:
                remaining[name] = value
            return match.group(0)
        return text

    result = SUB_VARIABLE.sub(substitute, pattern)
    if SUB_VARIABLE.search(result.replace("${!", "")) is None:
        return result.replace("${!", "${")
    return {"Fn::Sub": [result, remaining] if remaining else result}


def _join(argument: Any, scope: Scope) -> Any:
    args = resolve(argument, scope)
    if isinstance(args, list) and len(args) == 2 and isinstance(args[1], list):
        delimiter, parts = _text(args[0]), [_text(p) for p in args[1]]
        if delimiter is not None and all(part is not None for part in parts):
            return delimiter.join(part for part in parts if part is not None)
    return {"Fn::Join": args}


def _select(argument: Any, scope: Scope) -> Any:
    args = resolve(argument, scope)
    if isinstance(args, list) and len(args) == 2 and isinstance(args[1], list):
        index = _text(args[0])
        if index is not None and index.isdigit() and int(index) < len(args[1]):
            return args[1][int(index)]
    return {"Fn::Select": args}


def _split(argument: Any, scope: Scope) -> Any:
    args = resolve(argument, scope)
    if isinstance(args, list) and len(args) == 2 and isinstance(args[0], str) and isinstance(args[1], str) and args[0]:
        return args[1].split(args[0])
    return {"Fn::Split": args}


def _get_azs(argument: Any, scope: Scope) -> Any:
    region = resolve(argument, scope)
    region = scope.region if region in ("", None) else region
    if isinstance(region, str):
        # Real zone names vary by account; three lettered zones stand in for them.
        return [f"{region}{letter}" for letter in "abc"]
    return {"Fn::GetAZs": region}


def _base64(argument: Any, scope: Scope) -> Any:
    value = resolve(argument, scope)
    if isinstance(value, str):
        return base64.b64encode(value.encode()).decode()
    return {"Fn::Base64": value}


def _cidr(argument: Any, scope: Scope) -> Any:
    args = resolve(argument, scope)
    try:
        block, count, bits = args
        if not 1 <= int(count) <= 256:  # CloudFormation's limit; an unbounded count would never finish
            raise ValueError(count)
        network = ipaddress.ip_network(block, strict=False)
        prefix = network.max_prefixlen - int(bits)
        subnets = network.subnets(new_prefix=prefix)
        return [str(next(subnets)) for _ in range(int(count))]
    except (TypeError, ValueError, StopIteration):
        return {"Fn::Cidr": args}


def _length(argument: Any, scope: Scope) -> Any:
    value = resolve(argument, scope)
    return len(value) if isinstance(value, list) and is_resolved(value) else {"Fn::Length": value}


def _to_json_string(argument: Any, scope: Scope) -> Any:
    value = resolve(argument, scope)
    if is_resolved(value):
        return json.dumps(value, separators=(",", ":"))
    return {"Fn::ToJsonString": value}


def _contains(argument: Any, scope: Scope) -> Any:
    args = resolve(argument, scope)
    if isinstance(args, list) and len(args) == 2 and isinstance(args[0], list) and is_resolved(args):
        return _text(args[1]) in [_text(v) for v in args[0]]
    return {"Fn::Contains": args}


def _each_member_equals(argument: Any, scope: Scope) -> Any:
    args = resolve(argument, scope)
    if isinstance(args, list) and len(args) == 2 and isinstance(args[0], list) and is_resolved(args):
        return all(_text(v) == _text(args[1]) for v in args[0])
    return {"Fn::EachMemberEquals": args}


def _each_member_in(argument: Any, scope: Scope) -> Any:
    args = resolve(argument, scope)
    if isinstance(args, list) and len(args) == 2 and all(isinstance(a, list) for a in args) and is_resolved(args):
        allowed = {_text(v) for v in args[1]}
        return all(_text(v) in allowed for v in args[0])
    return {"Fn::EachMemberIn": args}


def _kept(name: str) -> Callable[[Any, Scope], Any]:
    """Functions whose value only exists at deploy time."""
    return lambda argument, scope: {name: resolve(argument, scope)}


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
    "Fn::Contains": _contains,
    "Fn::EachMemberEquals": _each_member_equals,
    "Fn::EachMemberIn": _each_member_in,
    "Fn::ImportValue": _kept("Fn::ImportValue"),
    "Fn::Transform": _kept("Fn::Transform"),
    "Fn::ValueOf": _kept("Fn::ValueOf"),
    "Fn::ValueOfAll": _kept("Fn::ValueOfAll"),
    "Fn::RefAll": _kept("Fn::RefAll"),
    "Fn::GetStackOutput": _kept("Fn::GetStackOutput"),
}
