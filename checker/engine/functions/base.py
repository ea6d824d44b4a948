"""What every rule function is: its arity and its implementation, over values that may be unknown."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jmespath import functions as builtin

from checker.engine.context import Context
from checker.engine.interpreter import Interpreter
from checker.template.values import Unknown, deep_origins

Implementation = Callable[[Context, Interpreter, list[Any]], Any]

# Kinds of unknown that may stand for anything, a resource of the stack included (an undecided condition, a
# failed read, a malformed template); the other kinds (a parameter, an import, a dynamic reference...) come
# from outside the stack and never name its resources.
OPEN_KINDS = frozenset({"condition", "read", "not-located", "not-collected", "attribute", "template"})


@dataclass(frozen=True)
class Function:
    minimum: int
    maximum: int | None  # None: any number
    call: Implementation
    custom: bool = False  # registered by the engine (documented in docs/rules.md), not JMESPath's own
    # Reads more than its arguments and the rule's params: the document's other resources or deployment, or
    # another environment's document. A rule that calls none is judged on its subject alone.
    document: bool = False
    # The places of its argument it reads, when it reads only those (field names from the argument down);
    # None: the whole of every argument.
    reads: tuple[tuple[str, ...], ...] | None = None
    # Gives another environment's document: what a rule finds there is that environment's, wherever the rule
    # is judged (and in the environment it names, the very document judged).
    elsewhere: bool = False


JMESPATH = builtin.Functions()


def plain(name: str, result_type: str | None) -> Implementation:
    """JMESPath's own function on plain input; unknown input gives an unknown result."""
    def call(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
        settled = [interpreter.world.settle(a) for a in args]
        origins = deep_origins(settled)
        if origins:
            return Unknown(origins, result_type)
        return JMESPATH.call_function(name, settled)
    return call


def open_unknown(value: Any) -> Any:
    """An unknown that may hide a resource of the stack stays unknown; one from outside it is null."""
    origins = frozenset(o for o in deep_origins(value) if o.kind in OPEN_KINDS)
    return Unknown(origins) if origins else None
