"""The functions rule expressions may call: JMESPath's own and the engine's, all aware of unknowns.

Each function decides what it can from what is known (`contains` finds a literal piece in a partly known
string, `length` of a list with doubtful elements is a range); a function not taught better returns an
unknown for unknown input, carrying its origins. Plain input goes through JMESPath's own implementation.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jmespath import exceptions
from jmespath import functions as builtin

from checker.engine.context import Context
from checker.engine.interpreter import ExpressionReference, Interpreter
from checker.engine.logic import World, all_of, any_of, both, json_type, unknown_truth
from checker.template.names import fixed_arn, fixed_name
from checker.template.partitions import partition_of
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

# Kinds of unknown that may stand for anything, a resource of the stack included (an undecided condition, a
# failed read, a malformed template); the other kinds (a parameter, an import, a dynamic reference...) come
# from outside the stack and never name its resources.
_OPEN_KINDS = frozenset({"condition", "read", "not-located", "not-collected", "attribute", "template"})


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern:
    try:
        return re.compile(pattern)
    except re.error as exc:  # not a ValueError: rule evaluation would not report it as an ERROR result
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None


def regex_match(pattern: str, value: Any) -> bool:
    return isinstance(value, str) and _compiled(pattern).search(value) is not None


def pattern_accepts(pattern: Any, sample: str) -> bool:
    """Whether a CloudFormation AllowedPattern accepts `sample`: it must match the whole value."""
    if pattern is None:
        return True
    if not isinstance(pattern, str):
        raise ValueError(f"AllowedPattern is not a string: {pattern!r}")
    return _compiled(pattern).fullmatch(sample) is not None


_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_UNIT_DAYS = {"minute": 1 / 1440, "hour": 1 / 24, "day": 1}
# Allowed tokens per cron field (EventBridge: minutes hours day-of-month month day-of-week year).
_NUMBER_FIELD = r"(\*|{n}(-{n})?)(/\d+)?(,(\*|{n}(-{n})?)(/\d+)?)*"
_CRON_FIELDS = (
    re.compile(_NUMBER_FIELD.format(n=r"[0-5]?\d")),
    re.compile(_NUMBER_FIELD.format(n=r"(1?\d|2[0-3])")),
    re.compile(r"\?|L|LW|([1-9]|[12]\d|3[01])W|" + _NUMBER_FIELD.format(n=r"([1-9]|[12]\d|3[01])")),
    re.compile(_NUMBER_FIELD.format(n="(0?[1-9]|1[0-2]|" + "|".join(_MONTHS) + ")")),
    re.compile(r"\?|L|[1-7]L|[1-7]#[1-5]|(SUN|MON|TUE|WED|THU|FRI|SAT)#[1-5]|"
               + _NUMBER_FIELD.format(n="([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)")),
    re.compile(_NUMBER_FIELD.format(n=r"(19[7-9]\d|2[01]\d\d)")),
)


def schedule_days(expression: Any) -> float | int | None:
    """Period in days of an EventBridge schedule expression; None if invalid or not periodic."""
    if not isinstance(expression, str):
        return None
    rate = _RATE.fullmatch(expression.strip())
    if rate:
        count, unit = int(rate.group(1)), rate.group(2)
        if count == 0 or (count == 1) != (not unit.endswith("s")):  # "rate(1 day)", "rate(7 days)"
            return None
        days = count * _UNIT_DAYS[unit.rstrip("s")]
        return int(days) if days == int(days) else days
    if not (expression.startswith("cron(") and expression.endswith(")")):
        return None
    fields = expression[5:-1].split()
    if len(fields) != 6 or not all(p.fullmatch(f) for p, f in zip(_CRON_FIELDS, fields, strict=True)):
        return None
    minute, hour, day_of_month, month, day_of_week, year = fields
    if (day_of_month == "?") == (day_of_week == "?"):  # exactly one of the two must be '?'
        return None
    if not (minute.isdigit() and month == "*" and year == "*"):
        return None
    every_day = "*" in (day_of_month, day_of_week)
    if hour == "*":
        return 1 / 24 if every_day else None
    if not hour.isdigit():
        return None
    if every_day:
        return 1
    if day_of_month == "?" and (day_of_week.isdigit() or day_of_week in _DAYS):
        return 7
    return None


# -- the registry ------------------------------------------------------------------------------------------

Implementation = Callable[["Context", "Interpreter", list[Any]], Any]


@dataclass(frozen=True)
class Function:
    minimum: int
    maximum: int | None  # None: any number
    call: Implementation
    custom: bool = False  # registered by the engine (documented in docs/rules.md), not JMESPath's own


_JMESPATH = builtin.Functions()


def _plain(name: str, result_type: str | None) -> Implementation:
    """JMESPath's own function on plain input; unknown input gives an unknown result."""
    def call(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
        settled = [interpreter.world.settle(a) for a in args]
        origins = deep_origins(settled)
        if origins:
            return Unknown(origins, result_type)
        return _JMESPATH.call_function(name, settled)
    return call


def _unknown_args(world: World, args: list[Any]) -> frozenset:
    return deep_origins([world.settle(a) for a in args])


def _length(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    value = known_text(interpreter.read(args[0]))
    if isinstance(value, list):
        doubtful = [item for item in value if isinstance(item, Maybe)]
        if doubtful:
            return Range(len(value) - len(doubtful), len(value), frozenset().union(*(m.origins for m in doubtful)))
        return len(value)
    if isinstance(value, (Unknown, Text, Reference)):
        return Unknown(deep_origins(value), "number")
    return _JMESPATH.call_function("length", [value])


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
        return unknown_truth(subject.origins)
    if isinstance(subject, (Unknown, Text, Reference)) or is_special(search):
        return unknown_truth(deep_origins(subject) | deep_origins(search))
    return _JMESPATH.call_function("contains", [subject, search])


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
    return _JMESPATH.call_function("to_number", [interpreter.world.settle(value)])


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
        return _JMESPATH.call_function(name, [subject, affix])
    return call


def _not_null(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    doubtful: set = set()
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
                return _plain("join", "string")(context, interpreter, args)
            pieces += [glue, item] if index else [item]
        return text(pieces)
    return _plain("join", "string")(context, interpreter, args)


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
        return _JMESPATH.call_function(name, [subject])
    return call


def _map(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    expression, items = args[0], interpreter.read(args[1])
    if isinstance(items, Unknown):
        return Unknown(items.origins, "array")
    if not isinstance(items, list) or not isinstance(expression, ExpressionReference):
        return _plain("map", "array")(context, interpreter, args)
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
    return _plain("reverse", None)(context, interpreter, args)


# -- the engine's own functions ------------------------------------------------------------------------------

def _param(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    name = args[0]
    if not isinstance(name, str) or name not in context.params:
        raise exceptions.JMESPathError(f"param({name!r}) is not defined for this environment")
    return context.params[name]


def _regex_match(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    pattern, value = interpreter.read(args[0]), known_text(interpreter.read(args[1]))
    if not isinstance(pattern, str):
        raise exceptions.JMESPathTypeError("regex_match", pattern, type(pattern).__name__, ["string"])
    if isinstance(value, (Text, Reference)) or (isinstance(value, Unknown) and value.type in (None, "string")):
        return unknown_truth(deep_origins(value))
    return regex_match(pattern, value)


def _pattern_accepts(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    pattern, sample = known_text(interpreter.read(args[0])), known_text(interpreter.read(args[1]))
    if is_special(pattern) or is_special(sample):
        return unknown_truth(deep_origins(pattern) | deep_origins(sample))
    if not isinstance(sample, str):
        raise exceptions.JMESPathTypeError("pattern_accepts", sample, type(sample).__name__, ["string"])
    return pattern_accepts(pattern, sample)


def _schedule_days(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    expression = known_text(interpreter.read(args[0]))
    if is_special(expression):
        return Unknown(deep_origins(expression))  # a period, or null
    return schedule_days(expression)


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
            return _open(value)
    elif isinstance(value, Unknown):
        return _open(value)
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


def _open(value: Any) -> Any:
    """An unknown that may hide a resource of the stack stays unknown; one from outside it is null."""
    origins = frozenset(o for o in deep_origins(value) if o.kind in _OPEN_KINDS)
    return Unknown(origins) if origins else None


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
    of_type = context.index.of_type(resource_type)
    index = context.index.by_name(resource_type)
    doubts: dict[str, frozenset[Origin]] = {}  # logical id -> why it may not be named (empty: it surely is)
    for entry in names if isinstance(names, list) else [names]:
        doubt = entry.origins if isinstance(entry, Maybe) else frozenset()
        name = known_text(interpreter.read(entry.value if isinstance(entry, Maybe) else entry))
        sure: list[str] = []
        maybe: list[tuple[str, frozenset[Origin]]] = []
        if isinstance(name, Reference):  # a reference to a resource of that type names it, and only it
            sure = [name.logical_id] if name.logical_id in of_type else []
        else:
            sure, maybe = index.lookup(name, interpreter.world)
        for logical_id, why in [*((lid, doubt) for lid in sure), *((lid, why | doubt) for lid, why in maybe)]:
            doubts[logical_id] = why if logical_id not in doubts else doubts[logical_id] & why
    listed: list[Any] = []
    for logical_id in of_type:
        present = context.index.presence(logical_id, interpreter.world) if logical_id in doubts else False
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
        opened = _open(value)
        return unknown_truth(opened.origins) if opened is not None else False
    return False


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
        why = "is not declared in the configuration" if context.peers is not None else "is not known to this scan"
        return Unknown([Origin("template", f"environment {name}", why)], "object")
    return document


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


def _of_this_document(context: Context, resource: dict) -> bool:
    return context.index.resources.get(resource["LogicalId"]) is resource


def _elsewhere(resource: dict, attribute: str | None) -> Unknown:
    """A value of a resource of another environment's document: never a reference to this document's
    resource of the same logical id."""
    name = resource["LogicalId"] + (f".{attribute}" if attribute else "")
    return Unknown([Origin("attribute", f"the value of {name} in another environment")], "string")


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
        if origin.kind in _OPEN_KINDS - {"attribute"}:
            return Unknown([o for o in origins if o.kind in _OPEN_KINDS], "string")
        kinds.add(f"{origin.detail}-reference" if origin.kind == "dynamic-reference" else _SOURCES[origin.kind])
    if isinstance(value, Unknown) and len(kinds) == 1:
        return kinds.pop()
    return "expression"


FUNCTIONS: dict[str, Function] = {
    "abs": Function(1, 1, _plain("abs", "number")),
    "avg": Function(1, 1, _plain("avg", "number")),
    "ceil": Function(1, 1, _plain("ceil", "number")),
    "contains": Function(2, 2, _contains),
    "ends_with": Function(2, 2, _affix("ends_with")),
    "floor": Function(1, 1, _plain("floor", "number")),
    "join": Function(2, 2, _join),
    "keys": Function(1, 1, _keys_or_values("keys")),
    "length": Function(1, 1, _length),
    "map": Function(2, 2, _map),
    "max": Function(1, 1, _plain("max", None)),
    "max_by": Function(2, 2, _by_key("max_by")),
    "merge": Function(0, None, _plain("merge", "object")),
    "min": Function(1, 1, _plain("min", None)),
    "min_by": Function(2, 2, _by_key("min_by")),
    "not_null": Function(1, None, _not_null),
    "reverse": Function(1, 1, _reverse),
    "sort": Function(1, 1, _plain("sort", "array")),
    "sort_by": Function(2, 2, _by_key("sort_by")),
    "starts_with": Function(2, 2, _affix("starts_with")),
    "sum": Function(1, 1, _plain("sum", "number")),
    "to_array": Function(1, 1, _to_array),
    "to_number": Function(1, 1, _to_number),
    "to_string": Function(1, 1, _to_string),
    "type": Function(1, 1, _type),
    "values": Function(1, 1, _keys_or_values("values")),
    "param": Function(1, 1, _param, custom=True),
    "regex_match": Function(2, 2, _regex_match, custom=True),
    "pattern_accepts": Function(2, 2, _pattern_accepts, custom=True),
    "schedule_days": Function(1, 1, _schedule_days, custom=True),
    "resolve": Function(1, 1, _resolve, custom=True),
    "resources": Function(1, 1, _resources, custom=True),
    "named": Function(2, 2, _named, custom=True),
    "is_reference": Function(1, 1, _is_reference, custom=True),
    "is_known": Function(1, 1, _is_known, custom=True),
    "source_of": Function(1, 1, _source_of, custom=True),
    "source_name": Function(1, 1, _source_name, custom=True),
    "environment": Function(1, 1, _environment, custom=True),
    "with_each": Function(2, 2, _with_each, custom=True),
    "intersects": Function(2, 2, _intersects, custom=True),
    "ref": Function(1, 1, _ref, custom=True),
    "arn": Function(1, 1, _arn, custom=True),
}
