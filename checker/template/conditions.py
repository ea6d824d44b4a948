"""Conditions' logic on resolved values, in three values: True, False, or an Unknown saying what it rests on.

Fn::And, Fn::Or and Fn::Not are decided whenever the known operands decide them; Fn::Equals compares as
CloudFormation does (text with text); the Rules section's Fn::Contains, Fn::EachMemberEquals and
Fn::EachMemberIn test lists.
"""
from __future__ import annotations

from typing import Any

from checker.template.values import Origin, Unknown, contains_special, deep_origins, scalar_text


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


def equals(args: list[Any]) -> Any:
    if contains_special(args):
        return Unknown(deep_origins(args), "boolean", form={"Fn::Equals": args})
    left, right = (scalar_text(a) for a in args)
    return left == right if left is not None else args[0] == args[1]


def _unknown_of(values: list[bool | Unknown]) -> Unknown:
    return Unknown(frozenset().union(*(v.origins for v in values if isinstance(v, Unknown))), "boolean")


def all_true(values: list[bool | Unknown]) -> bool | Unknown:
    if False in values:
        return False
    return True if all(v is True for v in values) else _unknown_of(values)


def any_true(values: list[bool | Unknown]) -> bool | Unknown:
    if True in values:
        return True
    return False if all(v is False for v in values) else _unknown_of(values)


def negation(values: list[bool | Unknown]) -> bool | Unknown:
    if len(values) != 1:
        return Unknown([Origin("template", "Fn::Not", "takes exactly one condition")], "boolean")
    return values[0] if isinstance(values[0], Unknown) else not values[0]


def contains_member(args: list[Any]) -> bool:
    return scalar_text(args[1]) in [scalar_text(v) for v in args[0]]


def each_member_equals(args: list[Any]) -> bool:
    return all(scalar_text(v) == scalar_text(args[1]) for v in args[0])


def each_member_in(args: list[Any]) -> bool:
    if not isinstance(args[1], list):
        return False
    allowed = {scalar_text(v) for v in args[1]}
    return all(scalar_text(v) in allowed for v in args[0])
