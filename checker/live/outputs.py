"""Locate resources from `cfn-outputs/flat-outputs.json` and the template's Outputs section.

Each output whose value is `!Ref X`, `!GetAtt X.Attr`, or a `!Sub` / `!Join` around them tells, once its
deployed value is known, the physical id (or ARN) of resource X.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from checker.errors import InputError
from checker.live.collectors.base import Collector
from checker.template.forms import get_att_parts, sub_form, sub_pieces
from checker.template.load import read_json


def read_flat_outputs(path: str | Path, stack_name: str | None = None) -> tuple[dict[str, str], list[str]]:
    """A flat JSON map of stack output names to values, as CI pipelines write it; or the nested form
    {stack name: {output name: value}} (the CDK's outputs file), for the one stack it holds or `stack_name`.
    Returns the text values, and the names of the values that are not text."""
    source = str(path)
    data = read_json(path)
    if not isinstance(data, dict):
        raise InputError(source, "expected a JSON object mapping output names to values")
    if data and all(isinstance(v, dict) for v in data.values()):
        stacks = sorted(data)
        chosen = stack_name if stack_name in data else stacks[0] if len(stacks) == 1 else None
        if chosen is None:
            raise InputError(source, f"holds the outputs of several stacks ({', '.join(stacks)}): "
                             "name one with --stack-name")
        data = data[chosen]
    values = {str(k): v for k, v in data.items() if isinstance(v, str)}
    return values, sorted(str(k) for k in data if str(k) not in values)


def references(value: Any, resources: Mapping[str, Any]) -> tuple[re.Pattern, list[tuple[str, str | None]]] | None:
    """A pattern matching the deployed value of an output, with one group per resource it refers to:
    (logical id, attribute or None for Ref). None when the output names no resource."""
    parts = _parts(value, resources)
    if parts is None:
        return None
    pattern, found = "", []
    for part in parts:
        if isinstance(part, str):
            pattern += re.escape(part)
        elif part is None:
            pattern += ".*?"  # a parameter, pseudo parameter or anything else not tied to a resource
        else:
            pattern += "(.+?)"
            found.append(part)
    return (re.compile(pattern), found) if found else None


def _parts(value: Any, resources: Mapping[str, Any]) -> list | None:
    """The output value as literal strings, (logical id, attribute) pairs and None (unknown text)."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, dict) or len(value) != 1:
        return None
    (name, argument), = value.items()
    if name == "Ref":
        return [(argument, None)] if argument in resources else [None]
    if name == "Fn::GetAtt":
        spelt = get_att_parts(argument)
        attribute = ".".join(map(str, spelt[1:])) or None
        return [(spelt[0], attribute)] if spelt[0] in resources else [None]
    if name == "Fn::Sub":
        text, variables = sub_form(argument)
        return _sub_parts(text, variables, resources) if isinstance(text, str) else None
    if name == "Fn::Join" and isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], list):
        parts: list = []
        for index, item in enumerate(argument[1]):
            if index:
                parts.append(str(argument[0]))
            parts += _parts(item, resources) or [None]
        return parts
    return [None]


def _sub_parts(text: str, variables: Mapping[str, Any], resources: Mapping[str, Any]) -> list:
    parts: list = []
    for piece in sub_pieces(text):
        if isinstance(piece, str):
            parts.append(piece)
        elif piece.name in variables:
            parts += _parts(variables[piece.name], resources) or [None]
        elif piece.name.split(".")[0] in resources:
            logical_id, _, attribute = piece.name.partition(".")
            parts.append((logical_id, attribute or None))
        else:
            parts.append(None)
    return parts


def locate(outputs: Mapping[str, Any], values: Mapping[str, str], resources: Mapping[str, Any],
           collectors: Mapping[str, Collector]) -> tuple[dict[str, tuple[str, str | None]], set[str]]:
    """logical id -> (physical id, ARN or None) for every resource the outputs identify, and the names of
    the outputs that identified one."""
    located: dict[str, tuple[str, str | None]] = {}
    used: set[str] = set()
    for name, output in outputs.items():
        if name not in values or not isinstance(output, dict):
            continue
        reference = references(output.get("Value"), resources)
        match = reference and reference[0].fullmatch(values[name])
        if not reference or not match:
            continue
        for (logical_id, attribute), text in zip(reference[1], match.groups(), strict=True):
            identity = _identify(collectors.get(resources[logical_id].get("Type")), attribute, text)
            if identity:
                used.add(name)
                located.setdefault(logical_id, identity)
    return located, used


def _identify(collector: Collector | None, attribute: str | None, value: str) -> tuple[str, str | None] | None:
    if collector is not None:
        return collector.identify(attribute, value)
    if attribute is None:
        return value, value if value.startswith("arn:") else None
    return None
