"""Rule functions about where a value comes from: the environment's params, another environment's document,
whether a value is known at scan time, and which parameter, import or reference gives it."""
from __future__ import annotations

from typing import Any

from jmespath import exceptions

from checker.engine.context import Context
from checker.engine.functions.base import OPEN_KINDS, Function
from checker.engine.interpreter import Interpreter
from checker.template.values import Origin, Reference, Text, Unknown, contains_special, deep_origins, is_special


def _param(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    name = args[0]
    if not isinstance(name, str) or name not in context.params:
        raise exceptions.JMESPathError(f"param({name!r}) is not defined for this environment")
    return context.params[name]


def _is_known(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    return not contains_special(interpreter.world.settle(args[0]))


def _environment(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    name = interpreter.read(args[0])
    if is_special(name):
        return Unknown(deep_origins(name), "object")
    if not isinstance(name, str):
        raise exceptions.JMESPathTypeError("environment", name, type(name).__name__, ["string"])
    document = context.peers(name) if context.peers is not None else None
    if document is None:
        why = ("is not declared in the configuration (declare it under environments: in checker.yaml, with "
               "the template mapped to it, to compare with it)") if context.peers is not None \
            else "is not known to this scan"
        return Unknown([Origin("template", f"environment {name}", why)], "object")
    return document


_NAMED = ("parameter", "import", "ssm-parameter")  # origins that name where a value comes from


def _source_name(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    value = interpreter.read(args[0])
    if isinstance(value, Unknown) and any(o.kind in _NAMED for o in value.origins):
        if len(value.origins) == 1:
            return next(iter(value.origins)).name
        return Unknown(value.origins, "string")  # e.g. an export whose name is only known at deployment
    if isinstance(value, str):  # a parameter given a value in this environment is rendered as that value
        deployment = context.document.get("Deployment")
        given = deployment.get("Parameters") if isinstance(deployment, dict) else None
        named = [name for name, known in (given or {}).items() if known == value]
        return named[0] if len(named) == 1 else None
    return None


_SOURCES = {"parameter": "parameter", "pseudo": "pseudo-parameter", "ssm-parameter": "ssm-parameter",
            "import": "import", "attribute": "resource", "zones": "pseudo-parameter"}


def _source_of(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    value = interpreter.read(args[0])
    if value is None:
        return None
    if isinstance(value, Reference):
        return "resource"
    if not isinstance(value, (Unknown, Text)):
        settled = interpreter.world.settle(value)
        return "literal" if not contains_special(settled) else "expression"
    origins = deep_origins(value)
    kinds = set()
    for origin in origins:
        if origin.kind in OPEN_KINDS - {"attribute"}:
            return Unknown([o for o in origins if o.kind in OPEN_KINDS], "string")
        kinds.add(f"{origin.detail}-reference" if origin.kind == "dynamic-reference" else _SOURCES[origin.kind])
    if isinstance(value, Unknown) and len(kinds) == 1:
        return kinds.pop()
    return "expression"


SOURCES: dict[str, Function] = {
    "param": Function(1, 1, _param, custom=True),
    "is_known": Function(1, 1, _is_known, custom=True),
    "source_of": Function(1, 1, _source_of, custom=True),
    "source_name": Function(1, 1, _source_name, custom=True, document=True),
    "environment": Function(1, 1, _environment, custom=True, document=True, elsewhere=True),
}
