"""JMESPath's own functions, taught about unknowns: each decides what it can from what is known (`contains`
finds a literal piece in a partly known string, `length` of a list with doubtful elements is a range); one
not taught better returns an unknown for unknown input, carrying its origins. Plain input goes through
JMESPath's own implementation.
"""
from __future__ import annotations

import json
from typing import Any

from jmespath import exceptions

from checker.engine.context import Context
from checker.engine.functions.base import JMESPATH, Function, Implementation, plain
from checker.engine.interpreter import ExpressionReference, Interpreter
from checker.engine.logic import any_of, both, json_type, unknown_truth
from checker.template.values import (
    Maybe,
    Origin,
    Range,
    Reference,
    Text,
    Unknown,
    contains_special,
    deep_origins,
    is_special,
    known_text,
    text,
)


def _length(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    value = known_text(interpreter.read(args[0]))
    if isinstance(value, list):
        doubtful = [item for item in value if isinstance(item, Maybe)]
        if doubtful:
            return Range(len(value) - len(doubtful), len(value), frozenset().union(*(m.origins for m in doubtful)))
        return len(value)
    if isinstance(value, (Unknown, Text, Reference)):
        return Unknown(deep_origins(value), "number")
    return JMESPATH.call_function("length", [value])


def _contains(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    world = interpreter.world
    subject, search = known_text(interpreter.read(args[0])), known_text(interpreter.read(args[1]))
    if isinstance(subject, list):
        found = []
        for item in subject:
            if isinstance(item, Maybe):
                found.append(both(unknown_truth(item.origins), world.equal(item.value, search)))
            else:
                found.append(world.equal(item, search))
        return any_of(found)
    if isinstance(subject, str) and isinstance(search, str):
        return search in subject
    if isinstance(subject, Text) and isinstance(search, str):
        if any(isinstance(part, str) and search in part for part in subject.parts):
            return True
        if search and all(isinstance(part, str) or _apart(part, search) for part in subject.parts):
            return False  # found in no literal piece, and it cannot reach into any unknown one
        return unknown_truth(subject.origins)
    if isinstance(subject, (Unknown, Text, Reference)) or is_special(search):
        return unknown_truth(deep_origins(subject) | deep_origins(search))
    return JMESPATH.call_function("contains", [subject, search])


def _apart(piece: Any, search: str) -> bool:
    """Whether no occurrence of `search` can overlap `piece`: none of its characters can be the piece's."""
    return isinstance(piece, Unknown) and piece.characters is not None and not piece.characters & set(search)


def _to_string(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    value = known_text(interpreter.read(args[0]))
    if isinstance(value, (str, Text)):
        return value
    if isinstance(value, Reference):
        return text([value], value.form)
    if isinstance(value, Unknown):
        return value if value.type == "string" else Unknown(value.origins, "string", form=value.form)
    settled = interpreter.world.settle(value)
    if contains_special(settled):
        return Unknown(deep_origins(settled), "string")
    return json.dumps(settled, separators=(",", ":"))


def _to_number(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    value = known_text(interpreter.read(args[0]))
    if isinstance(value, Range) or (isinstance(value, Unknown) and value.type == "number"):
        return value
    if isinstance(value, (Unknown, Text, Reference)):
        return Unknown(deep_origins(value), form=getattr(value, "form", None))  # a number, or null
    return JMESPATH.call_function("to_number", [interpreter.world.settle(value)])


def _type(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    value = known_text(interpreter.read(args[0]))
    kind = json_type(value) if not isinstance(value, Reference) else None
    if kind is not None:
        return kind
    return Unknown(deep_origins(value), "string")


def _affix(name: str) -> Implementation:
    """starts_with and ends_with: decided on the literal piece at that end of a partly known string."""
    def call(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
        subject, affix = known_text(interpreter.read(args[0])), known_text(interpreter.read(args[1]))
        if isinstance(subject, Text) and isinstance(affix, str):
            end = subject.parts[0 if name == "starts_with" else -1]
            if isinstance(end, str):
                test = end.startswith if name == "starts_with" else end.endswith
                if len(end) >= len(affix):
                    return test(affix)
                if not (affix.startswith(end) if name == "starts_with" else affix.endswith(end)):
                    return False
            return unknown_truth(subject.origins)
        if isinstance(subject, (Unknown, Text, Reference)) or is_special(affix):
            return unknown_truth(deep_origins(subject) | deep_origins(affix))
        return JMESPATH.call_function(name, [subject, affix])
    return call


def _not_null(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    doubtful: set[Origin] = set()
    for arg in args:
        value = interpreter.read(arg)
        if value is None:
            continue
        if isinstance(value, Unknown) and value.type is None:
            doubtful |= value.origins
            continue
        return value if not doubtful else Unknown(doubtful | deep_origins(value))
    return Unknown(doubtful) if doubtful else None


def _join(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    glue, items = interpreter.read(args[0]), interpreter.read(args[1])
    if isinstance(glue, str) and isinstance(items, list) and not any(isinstance(i, Maybe) for i in items):
        pieces: list[Any] = []
        for index, item in enumerate(interpreter.read(i) for i in items):
            if not isinstance(item, (str, Text, Reference)) and not (isinstance(item, Unknown)
                                                                     and item.type == "string"):
                return plain("join", "string")(context, interpreter, args)
            pieces += [glue, item] if index else [item]
        return text(pieces)
    return plain("join", "string")(context, interpreter, args)


def _keys_or_values(name: str) -> Implementation:
    def call(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
        subject = interpreter.read(args[0])
        if isinstance(subject, dict):
            listed = []
            for key, item in subject.items():
                item = interpreter.read(item)
                entry = key if name == "keys" else item
                if isinstance(item, Unknown) and item.type is None:
                    listed.append(Maybe(entry, item.origins))  # a key whose value may be absent
                else:
                    listed.append(entry)
            return listed
        if isinstance(subject, Unknown):
            return Unknown(subject.origins, "array")
        return JMESPATH.call_function(name, [subject])
    return call


def _map(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    expression, items = args[0], interpreter.read(args[1])
    if isinstance(items, Unknown):
        return Unknown(items.origins, "array")
    if not isinstance(expression, ExpressionReference):
        return plain("map", "array")(context, interpreter, args)
    if not isinstance(items, list):  # unknown if it holds a deploy-time value (it may be a list then), else wrong
        settled = interpreter.world.settle(items)
        origins = deep_origins(settled)
        if origins:
            return Unknown(origins, "array")
        raise exceptions.JMESPathTypeError("map", settled, type(settled).__name__, ["array"])
    mapped = []
    for item in items:
        if isinstance(item, Maybe):
            mapped.append(Maybe(expression.visit(interpreter.read(item.value)), item.origins))
        else:
            mapped.append(expression.visit(interpreter.read(item)))
    return mapped


def _by_key(name: str) -> Implementation:
    """sort_by, max_by, min_by: keys computed with the expression, decided only when all are known."""
    def call(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
        items, expression = interpreter.read(args[0]), args[1]
        if isinstance(items, Unknown):
            return Unknown(items.origins, "array" if name == "sort_by" else None)
        if not isinstance(items, list) or not isinstance(expression, ExpressionReference):
            raise exceptions.JMESPathTypeError(name, items, type(items).__name__, ["array"])
        if any(isinstance(i, Maybe) for i in items):
            return Unknown(frozenset().union(*(i.origins for i in items if isinstance(i, Maybe))))
        keys = [interpreter.world.settle(expression.visit(item)) for item in items]
        origins = deep_origins(keys)
        if origins:
            return Unknown(origins)
        if not items:
            return [] if name == "sort_by" else None
        if not (all(isinstance(k, str) for k in keys) or all(isinstance(k, (int, float)) for k in keys)):
            raise exceptions.JMESPathTypeError(name, keys, "mixed", ["number", "string"])
        ordered = [item for _, item in sorted(zip(keys, range(len(items)), strict=True))]
        chosen = [items[i] for i in ordered]
        return chosen if name == "sort_by" else chosen[-1] if name == "max_by" else chosen[0]
    return call


def _to_array(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    value = interpreter.read(args[0])
    if isinstance(value, list):
        return value
    if isinstance(value, Unknown) and value.type in (None, "array"):
        return Unknown(value.origins, "array")
    return [value]


def _reverse(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    value = interpreter.read(args[0])
    if isinstance(value, list):
        return list(reversed(value))
    return plain("reverse", None)(context, interpreter, args)


STANDARD: dict[str, Function] = {
    "abs": Function(1, 1, plain("abs", "number")),
    "avg": Function(1, 1, plain("avg", "number")),
    "ceil": Function(1, 1, plain("ceil", "number")),
    "contains": Function(2, 2, _contains),
    "ends_with": Function(2, 2, _affix("ends_with")),
    "floor": Function(1, 1, plain("floor", "number")),
    "join": Function(2, 2, _join),
    "keys": Function(1, 1, _keys_or_values("keys")),
    "length": Function(1, 1, _length),
    "map": Function(2, 2, _map),
    "max": Function(1, 1, plain("max", None)),
    "max_by": Function(2, 2, _by_key("max_by")),
    "merge": Function(0, None, plain("merge", "object")),
    "min": Function(1, 1, plain("min", None)),
    "min_by": Function(2, 2, _by_key("min_by")),
    "not_null": Function(1, None, _not_null),
    "reverse": Function(1, 1, _reverse),
    "sort": Function(1, 1, plain("sort", "array")),
    "sort_by": Function(2, 2, _by_key("sort_by")),
    "starts_with": Function(2, 2, _affix("starts_with")),
    "sum": Function(1, 1, plain("sum", "number")),
    "to_array": Function(1, 1, _to_array),
    "to_number": Function(1, 1, _to_number),
    "to_string": Function(1, 1, _to_string),
    "type": Function(1, 1, _type),
    "values": Function(1, 1, _keys_or_values("values")),
}
