"""The written forms of intrinsic functions that several stages read: Fn::Sub's two forms and the pieces of
its text, Fn::GetAtt's two spellings, and dynamic references."""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# A Fn::Sub placeholder: ${Name}, ${Resource.Attribute}, or the literal ${!Text}.
SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:([a-z-]+):[^}]*\}\}")


@dataclass(frozen=True)
class Variable:
    """A Fn::Sub variable: a parameter, a pseudo parameter, `Resource` or `Resource.Attribute`, or a key of
    the Sub's own variables."""

    name: str


def sub_form(argument: Any) -> tuple[Any, Mapping[str, Any]]:
    """Fn::Sub's text and variables: written as a text alone, or as [text, {name: value}]."""
    if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], Mapping):
        return argument[0], argument[1]
    return argument, {}


def sub_pieces(text: str) -> list[str | Variable]:
    """A Fn::Sub text as literal pieces and variables; `${!Text}` is the literal `${Text}`."""
    pieces: list[str | Variable] = []
    position = 0
    for match in SUB_VARIABLE.finditer(text):
        pieces.append(text[position:match.start()])
        position = match.end()
        name = match.group(1)
        pieces.append("${" + name[1:] + "}" if name.startswith("!") else Variable(name))
    pieces.append(text[position:])
    return pieces


def sub_variables(text: str) -> list[str]:
    """The variable names a Fn::Sub text refers to, literals (${!Text}) left out."""
    return [p.name for p in sub_pieces(text) if isinstance(p, Variable) and p.name]


def replace_variables(text: str, replace: Callable[[str], str]) -> str:
    """The Fn::Sub text with each variable `${Name}` written `${replace(Name)}`; literals kept."""
    return SUB_VARIABLE.sub(lambda m: m.group(0) if m.group(1).startswith("!") else "${" + replace(m.group(1)) + "}",
                            text)


def get_att_parts(argument: Any) -> list[Any]:
    """Fn::GetAtt's argument as [logical id, attribute]: spelt `Resource.Attribute` (the attribute may hold
    dots, as in Endpoint.Address) or as a list."""
    if isinstance(argument, str):
        return argument.split(".", 1)
    return list(argument) if isinstance(argument, list) else [argument]
