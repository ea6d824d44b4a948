"""Rule functions over lists: pairing each item with shared data, and whether two lists share an item."""
from __future__ import annotations

from typing import Any

from jmespath import exceptions

from checker.engine.context import Context
from checker.engine.functions.base import Function
from checker.engine.interpreter import Interpreter
from checker.engine.logic import all_of, any_of, unknown_truth
from checker.template.values import Maybe, Unknown


def _with_each(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    items, shared = interpreter.read(args[0]), args[1]
    if isinstance(items, Unknown):
        return Unknown(items.origins, "array")
    if not isinstance(items, list):
        raise exceptions.JMESPathTypeError("with_each", items, type(items).__name__, ["array"])
    return [Maybe({"item": i.value, "context": shared}, i.origins) if isinstance(i, Maybe)
            else {"item": i, "context": shared} for i in items]


def _intersects(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    first, second = interpreter.read(args[0]), interpreter.read(args[1])
    for value in (first, second):
        if isinstance(value, Unknown):
            return unknown_truth(value.origins)
        if not isinstance(value, list):
            raise exceptions.JMESPathTypeError("intersects", value, type(value).__name__, ["array"])
    world = interpreter.world
    shared = []
    for a in first:
        for b in second:
            doubt = [unknown_truth(x.origins) for x in (a, b) if isinstance(x, Maybe)]
            pair = world.equal(a.value if isinstance(a, Maybe) else a, b.value if isinstance(b, Maybe) else b)
            shared.append(all_of([pair, *doubt]))
    return any_of(shared)


LISTS: dict[str, Function] = {
    "with_each": Function(2, 2, _with_each, custom=True),
    "intersects": Function(2, 2, _intersects, custom=True),
}
