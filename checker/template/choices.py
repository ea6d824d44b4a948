"""Undecided Fn::If choices lifted out of computed values: a function of arguments holding a choice becomes a
choice between the function of each branch, so `!Sub ["${X}-logs", {X: !If [C, a, b]}]` is a choice between
two strings."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from checker.template.values import NO_VALUE, Choice, ChoiceList, Unknown, contains_special, deep_origins

_LIFT_DEPTH = 6  # nested undecided conditions inside one computed value: beyond this, the value is unknown


def lifted(args: Any, build: Callable[[Any], Any], assumed: dict[str, bool] | None = None, depth: int = 0) -> Any:
    """`build(args)`, or, when `args` holds choices, a choice between `build` of each branch."""
    if assumed:
        args = _assume(args, assumed)
    found = _split_choice(args)
    if found is None:
        return build(args)
    choice, then, otherwise = found
    if depth >= _LIFT_DEPTH:
        return Unknown(deep_origins(args))
    built_then = lifted(then, build, {**(assumed or {}), choice.condition: True}, depth + 1)
    built_otherwise = lifted(otherwise, build, {**(assumed or {}), choice.condition: False}, depth + 1)
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


def _replaced_item(items: list[Any], index: int, item: Any) -> list[Any]:
    rebuilt = items[:index] + ([] if item is NO_VALUE else [item]) + items[index + 1:]
    return ChoiceList(rebuilt) if any(isinstance(i, Choice) for i in rebuilt) else rebuilt


def _replaced_key(mapping: dict[str, Any], key: str, item: Any) -> dict[str, Any]:
    rebuilt = {k: v for k, v in mapping.items() if k != key}
    if item is not NO_VALUE:
        rebuilt[key] = item
    return rebuilt
