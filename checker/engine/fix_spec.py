"""The `fix:` block of a rule: the template change that makes a failing subject pass, as data.

Validated when the rule pack loads, like the rest of a rule. See docs/rules.md ("Fixes") for the format.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from checker.engine.expressions import Expression

# Value forms: a mapping whose only key (besides the listed options) starts with "$".
FORMS: dict[str, tuple[str, ...]] = {
    "$param": ("key", "single"), "$key": (), "$item": (), "$index": (), "$format": (), "$property": (),
    "$in_environment": (), "$sub": (), "$alias_of": (), "$resource": ("attribute",), "$environment_is": (),
    "$each": ("value",),
}
VERBS = ("set", "remove", "in_item", "in_items", "add_resource", "add_parameter", "add_template_rule", "each",
         "each_environment")
_STEP_KEYS = {"value", "when", "match", "new", "steps", "everywhere", "example"}
_PATH_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
ParamValues = dict[str, Any]  # the params one environment sees, by name
ParamsByEnvironment = dict[str, ParamValues]  # a rule's (or its fix's) `params`: by environment name or "default"


class FixSpecError(ValueError):
    """A fix block that does not follow the format."""


@dataclass(frozen=True)
class Step:
    verb: str
    target: Any = None               # a path (set, remove, in_item(s)), a name (add_*), a param (each)
    value: Any = None
    when: Expression | None = None   # on the subject (or the list item), in the failing environments
    match: Expression | None = None  # in_item(s): which list items
    new: Any = None                  # in_item: the item to add when none matches
    steps: tuple[Step, ...] = ()
    everywhere: bool = False         # set: in every environment, not only where the rule fails
    example: Any = None              # add_parameter: a value to verify with where an environment has none


@dataclass(frozen=True)
class FixSpec:
    steps: tuple[Step, ...] = ()
    none: str | None = None          # the rule has no safe fix, and why
    when: Expression | None = None
    otherwise: str = ""
    note: str = ""
    params: ParamsByEnvironment = field(default_factory=dict)

    @property
    def offered(self) -> bool:
        return self.none is None

    def expressions(self) -> list[Expression]:
        """Every JMESPath expression of the fix (`when` and `match`), for load-time checks."""
        found = [self.when] if self.when else []
        pending = list(self.steps)
        while pending:
            step = pending.pop()
            found += [e for e in (step.when, step.match) if e is not None]
            pending += step.steps
        return found


def parse_path(text: Any) -> tuple[str | int, ...]:
    """`Properties.Rules[0].Id` -> ("Properties", "Rules", 0, "Id")."""
    if not isinstance(text, str) or not text:
        raise FixSpecError(f"a path must be text like Properties.Name, not {text!r}")
    steps: list[str | int] = []
    position = 0
    for match in _PATH_STEP.finditer(text):
        separator = text[position:match.start()]
        wanted = "" if match.group(2) or not steps else "."  # keys after the first follow a dot
        if separator != wanted:
            raise FixSpecError(f"malformed path {text!r}")
        steps.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
        position = match.end()
    if position != len(text) or text.startswith(".") or not steps:
        raise FixSpecError(f"malformed path {text!r}")
    return tuple(steps)


def parse_fix(data: Any, rule_params: ParamsByEnvironment, environments: list[str] | None) -> FixSpec:
    """The fix block of a rule with its `params` and `environments` (None: every environment)."""
    if not isinstance(data, dict):
        raise FixSpecError("fix must be a mapping")
    if "none" in data:
        if set(data) != {"none"} or not isinstance(data["none"], str) or not data["none"].strip():
            raise FixSpecError("fix: none takes only the reason, as text")
        return FixSpec(none=" ".join(data["none"].split()))
    unknown = set(data) - {"steps", "when", "otherwise", "note", "params"}
    if unknown:
        raise FixSpecError(f"fix has unknown keys {', '.join(sorted(unknown))}")
    params = data.get("params") or {}
    if not isinstance(params, dict) or not all(isinstance(v, dict) for v in params.values()):
        raise FixSpecError("fix params must map environment names (or 'default') to mappings of values")
    merged = param_scopes([rule_params, params], environments)
    if "when" in data and not data.get("otherwise"):
        raise FixSpecError("fix with 'when' needs 'otherwise': why the others have no safe fix")
    for key in ("otherwise", "note"):
        if key in data and not isinstance(data[key], str):
            raise FixSpecError(f"fix {key} must be text")
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        raise FixSpecError("fix needs steps, a non-empty list (or 'none: reason')")
    return FixSpec(
        steps=tuple(_step(item, merged, set()) for item in steps),
        when=_expression(data.get("when")), otherwise=" ".join(str(data.get("otherwise", "")).split()),
        note=" ".join(str(data.get("note", "")).split()), params=params,
    )


def param_scopes(layers: list[ParamsByEnvironment], environments: list[str] | None) -> list[ParamValues]:
    """The params each environment would see, later layers (e.g. the fix's) over earlier (the rule's)."""
    named = [env for layer in layers for env in layer if env != "default"]
    envs = environments if environments is not None else list(dict.fromkeys(named)) + ["default"]
    return [{k: v for layer in layers for k, v in {**layer.get("default", {}), **layer.get(env, {})}.items()}
            for env in envs] or [{}]


def _expression(text: Any) -> Expression | None:
    if text is None:
        return None
    if not isinstance(text, str):
        raise FixSpecError("fix 'when' and 'match' must be JMESPath text")
    return Expression(text)


def _step(item: Any, scopes: list[ParamValues], loop: set[str]) -> Step:
    if not isinstance(item, dict):
        raise FixSpecError("each fix step is a mapping with one verb")
    verbs = [key for key in item if key in VERBS]
    unknown = set(item) - set(VERBS) - _STEP_KEYS
    if len(verbs) != 1 or unknown:
        raise FixSpecError(f"a fix step needs exactly one of {', '.join(VERBS)}"
                           + (f" (unknown keys {', '.join(sorted(unknown))})" if unknown else ""))
    verb = verbs[0]
    target = item[verb]
    nested: tuple[Step, ...] = ()
    if verb in ("set", "remove", "in_item", "in_items"):
        target = parse_path(target)
    elif verb == "each":
        if not isinstance(target, str) or any(target not in s for s in scopes):
            raise FixSpecError(f"each: {target!r} must name a list param of the fix")
        loop = loop | {"item"}
    elif verb == "each_environment":
        if target is not True:
            raise FixSpecError("each_environment: true repeats its steps for every failing environment")
        loop = loop | {"environment"}
    else:
        _check_value(target, scopes, loop)
    if verb in ("set", "add_resource", "add_parameter", "add_template_rule") and "value" not in item:
        raise FixSpecError(f"{verb} needs a value")
    if verb in ("in_item", "in_items", "each", "each_environment"):
        steps = item.get("steps")
        if not isinstance(steps, list) or not steps:
            raise FixSpecError(f"{verb} needs steps")
        nested = tuple(_step(s, scopes, loop) for s in steps)
    if verb in ("in_item", "in_items") and "match" not in item:
        raise FixSpecError(f"{verb} needs match: which list items")
    if verb == "in_item" and not isinstance(item.get("new"), dict):
        raise FixSpecError("in_item needs new: the item to add when none matches")
    for key in ("value", "new", "example"):
        if key in item:
            _check_value(item[key], scopes, loop)
    return Step(verb, target, item.get("value"), _expression(item.get("when")), _expression(item.get("match")),
                item.get("new"), nested, bool(item.get("everywhere", False)), item.get("example"))


def _check_value(value: Any, scopes: list[ParamValues], loop: set[str]) -> None:
    if isinstance(value, list):
        for element in value:
            _check_value(element, scopes, loop)
        return
    if not isinstance(value, dict):
        return
    forms = [key for key in value if isinstance(key, str) and key.startswith("$")]
    if not forms:
        for element in value.values():
            _check_value(element, scopes, loop)
        return
    form = forms[0]
    if len(forms) != 1 or form not in FORMS or set(value) - {form, *FORMS[form]}:
        raise FixSpecError(f"unknown value form {sorted(value)}; known: {', '.join(FORMS)}")
    argument = value[form]
    if form == "$param" and (not isinstance(argument, str) or any(argument not in s for s in scopes)):
        raise FixSpecError(f"$param {argument!r} is not a param of every environment")
    if form == "$param" and value.get("single", "max") not in ("max", "min"):
        raise FixSpecError("$param single is max or min: the value that serves every environment")
    if form == "$item" and "item" not in loop:
        raise FixSpecError("$item is only meaningful inside 'each' steps or '$each' values")
    if form == "$each":
        if not isinstance(argument, str) or any(argument not in s for s in scopes) or "value" not in value:
            raise FixSpecError("$each names a list param and gives the value of each item")
        _check_value(value["value"], scopes, loop | {"item"})
        return
    if form in ("$property", "$resource") and not isinstance(argument, str):
        raise FixSpecError(f"{form} takes text")
    if form == "$property":
        parse_path(argument)
    _check_value(argument, scopes, loop)
