"""What a scan cannot know, and the shapes that keep what is known of it.

Templates and live documents hold plain JSON-like data and, where something is only known at deployment
(or could not be read), one of these values:

- `Unknown`: a value not known at scan time. It keeps its origins (why it is unknown and how to supply it),
  its JMESPath type when that is known (a String parameter is a string, never null) and its form (the
  intrinsic as written) for display.
- `Reference`: a `Ref` or `Fn::GetAtt` of a resource of the same document. Its identity is known, its value
  exists only after deployment.
- `Text`: a string built with `Fn::Sub` or `Fn::Join`: literal pieces known, the others `Unknown` or
  `Reference`. `contains(name, 'transaction-logs')` is decided on the literal pieces.
- `Choice`: `Fn::If` on a condition the environment does not decide. A world (an assignment of conditions)
  picks a branch; `NO_VALUE` as a branch means the key or list item is absent there.
- `Maybe`: a list element that may or may not be there (a filter whose test is unknown, a resource whose
  Condition is undecided, an item `!If [C, x, !Ref AWS::NoValue]`).
- `Range`: a number known only to lie between two bounds (the length of a list with `Maybe` elements).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

NO_VALUE: Any = type("NoValue", (), {"__repr__": lambda self: "AWS::NoValue"})()


@dataclass(frozen=True)
class Origin:
    """Why a value is unknown: `kind` (see `describe`), `name` (what is unknown) and `detail`."""

    kind: str
    name: str
    detail: str = ""

    def describe(self) -> str:
        explain = _EXPLANATIONS.get(self.kind)
        return explain(self) if explain else f"{self.name}: {self.detail}" if self.detail else self.name


_PSEUDO_HINTS = {
    "AWS::AccountId": "give --account-id or account_id in the environment's configuration",
    "AWS::Region": "give --region or region in the environment's configuration",
    "AWS::StackName": "give stack_name in the environment's configuration",
}
_EXPLANATIONS = {
    "parameter": lambda o: f"parameter {o.name} {o.detail}" if o.detail else
                           f"parameter {o.name} has no value in this environment "
                           f"(give it with --param {o.name}=VALUE or in the environment's parameters)",
    "pseudo": lambda o: f"{o.name} is not known ({_PSEUDO_HINTS.get(o.name, 'it exists only at deployment')})",
    "ssm-parameter": lambda o: f"parameter {o.name} is read from SSM parameter {o.detail} at deployment",
    "dynamic-reference": lambda o: f"the dynamic reference {o.name} is resolved only at deployment",
    "import": lambda o: f"Fn::ImportValue {o.name} is exported by another stack",
    "attribute": lambda o: f"{o.name} exists only after deployment",
    "condition": lambda o: f"condition {o.name} cannot be decided" + (f" ({o.detail})" if o.detail else ""),
    "zones": lambda o: f"the Availability Zones of {o.name} depend on the account",
    "template": lambda o: f"{o.name}: {o.detail}",
    "read": lambda o: f"{o.name} could not be read: {o.detail}",
    "not-located": lambda o: f"{o.name} was not located: {o.detail}",
    "not-collected": lambda o: f"{o.name} is not read from AWS: {o.detail}",
}

Origins = frozenset[Origin]


class Unknown:
    """A value only known at deployment (or not readable). `type` is its JMESPath type when known;
    `characters`, when known, are the only characters of a string that is never empty (an account id's
    digits), so that text around it can be searched."""

    __slots__ = ("origins", "type", "form", "truthy", "characters")

    def __init__(self, origins: Iterable[Origin], type: str | None = None, form: Any = None,
                 truthy: bool | None = None, characters: frozenset[str] | None = None) -> None:
        self.origins: Origins = frozenset(origins)
        self.type = type
        self.form = form
        self.truthy = truthy
        self.characters = characters

    def __repr__(self) -> str:
        return f"Unknown({sorted(o.describe() for o in self.origins)}, type={self.type})"


class Reference:
    """`Ref` (attribute None) or `Fn::GetAtt` of a resource of the same document; `value` is what it evaluates
    to when the template fixes it (e.g. `Ref` of a bucket that sets BucketName)."""

    __slots__ = ("logical_id", "attribute", "value")

    def __init__(self, logical_id: str, attribute: str | None = None, value: str | None = None) -> None:
        self.logical_id = logical_id
        self.attribute = attribute
        self.value = value

    @property
    def key(self) -> tuple[str, str | None]:
        return self.logical_id, self.attribute

    @property
    def form(self) -> dict[str, str | list[str]]:
        if self.attribute is None:
            return {"Ref": self.logical_id}
        return {"Fn::GetAtt": [self.logical_id, self.attribute]}

    @property
    def origin(self) -> Origin:
        name = self.logical_id if self.attribute is None else f"{self.logical_id}.{self.attribute}"
        return Origin("attribute", f"the value of {name}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Reference) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"Reference({self.logical_id!r}, {self.attribute!r}, {self.value!r})"


Piece = str | Unknown | Reference


class Text:
    """A string with known literal pieces and unknown ones, in order (no two literals side by side)."""

    __slots__ = ("parts", "form")

    def __init__(self, parts: tuple[Piece, ...], form: Any = None) -> None:
        self.parts = parts
        self.form = form

    @property
    def origins(self) -> Origins:
        return frozenset(o for part in self.parts for o in origins_of(part))

    def __repr__(self) -> str:
        return f"Text({self.parts!r})"


def text(pieces: Iterable[Any], form: Any = None) -> str | Text:
    """The string the pieces make: a `str` when every piece is known, else a `Text`.

    Pieces are strings, `Unknown`, `Reference` or `Text` (spliced in). Adjacent literals are merged.
    """
    parts: list[Piece] = []
    for piece in pieces:
        for part in piece.parts if isinstance(piece, Text) else (piece,):
            if isinstance(part, Reference) and part.value is not None:
                part = part.value  # a name the template fixes is known text
            if isinstance(part, str) and parts and isinstance(parts[-1], str):
                parts[-1] += part
            elif not (isinstance(part, str) and part == ""):
                parts.append(part)
    if all(isinstance(p, str) for p in parts):
        return "".join(cast(list[str], parts))
    return Text(tuple(parts), form)


class Choice:
    """`Fn::If` on an undecided condition. `origin` says why the condition is undecided."""

    __slots__ = ("condition", "then", "otherwise", "origin")

    def __init__(self, condition: str, then: Any, otherwise: Any, origin: Origin) -> None:
        self.condition = condition
        self.then = then
        self.otherwise = otherwise
        self.origin = origin

    def __repr__(self) -> str:
        return f"Choice({self.condition!r}, {self.then!r}, {self.otherwise!r})"


class ChoiceList(list[Any]):
    """A rendered list with `Choice` items: which items are there depends on the world."""


class Maybe:
    """A list element that may be absent, for `origins`; `form` shows it (e.g. the `Fn::If` it comes from)."""

    __slots__ = ("value", "origins", "form")

    def __init__(self, value: Any, origins: Iterable[Origin], form: Any = None) -> None:
        self.value = value
        self.origins: Origins = frozenset(origins)
        self.form = form

    def __repr__(self) -> str:
        return f"Maybe({self.value!r})"


class Range:
    """A whole number between `low` and `high` (inclusive)."""

    __slots__ = ("low", "high", "origins")

    def __init__(self, low: int, high: int, origins: Iterable[Origin]) -> None:
        self.low = low
        self.high = high
        self.origins: Origins = frozenset(origins)

    def __repr__(self) -> str:
        return f"Range({self.low}, {self.high})"


SPECIAL = (Unknown, Reference, Text, Choice, Maybe, Range)


def known_text(value: Any) -> Any:
    """`value`, or the text a `Reference` evaluates to when the template fixes it."""
    return value.value if isinstance(value, Reference) and value.value is not None else value


def origins_of(value: Any) -> Origins:
    """The origins a value carries at its top level (a `Reference` is unknown as a value, not as identity)."""
    if isinstance(value, (Unknown, Maybe, Range)):
        return value.origins
    if isinstance(value, Text):
        return value.origins
    if isinstance(value, Reference):
        return frozenset((value.origin,)) if value.value is None else frozenset()
    if isinstance(value, Choice):
        return frozenset((value.origin,))
    return frozenset()


def deep_origins(value: Any) -> Origins:
    """Every origin anywhere inside `value`."""
    if isinstance(value, dict):
        found: set[Origin] = set()
        for item in value.values():
            if not _plain_scalar(item):
                found |= deep_origins(item)
        return frozenset(found)
    if isinstance(value, list):
        found = set()
        for item in value:
            if not _plain_scalar(item):
                found |= deep_origins(item)
        return frozenset(found)
    if isinstance(value, Maybe):
        return value.origins | deep_origins(value.value)
    if isinstance(value, Choice):
        return frozenset((value.origin,)) | deep_origins(value.then) | deep_origins(value.otherwise)
    return origins_of(value)


def _plain_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def is_special(value: Any) -> bool:
    return isinstance(value, SPECIAL) or value is NO_VALUE or isinstance(value, ChoiceList)


def contains_special(value: Any) -> bool:
    """Whether anything inside `value` is not plain data."""
    if isinstance(value, dict):
        return any(not _plain_scalar(v) and contains_special(v) for v in value.values())
    if isinstance(value, list):
        return isinstance(value, ChoiceList) or any(not _plain_scalar(v) and contains_special(v) for v in value)
    return is_special(value)


def display(value: Any) -> Any:
    """`value` as plain data for reports: unknowns shown in their intrinsic form."""
    if isinstance(value, Unknown):
        if value.form is not None:
            return display(value.form)
        return {"Unknown": sorted(o.describe() for o in value.origins)}
    if isinstance(value, (Reference, Text)):
        return display(value.form) if value.form is not None else _text_form(value)
    if isinstance(value, Choice):
        return {"Fn::If": [value.condition, display(value.then), display(value.otherwise)]}
    if isinstance(value, Maybe):
        return display(value.form if value.form is not None else value.value)
    if isinstance(value, Range):
        return value.low if value.low == value.high else f"{value.low}..{value.high}"
    if value is NO_VALUE:
        return {"Ref": "AWS::NoValue"}
    if isinstance(value, dict):
        return {k: display(v) for k, v in value.items()} if contains_special(value) else value
    if isinstance(value, list):
        return [display(v) for v in value] if contains_special(value) else value
    return value


def _text_form(value: Reference | Text) -> Any:
    if isinstance(value, Reference):
        return value.form
    pieces = []
    for part in value.parts:
        if isinstance(part, str):
            pieces.append(part.replace("${", "${!"))
        elif isinstance(part, Reference):
            pieces.append("${" + part.logical_id + (f".{part.attribute}" if part.attribute else "") + "}")
        else:
            form = part.form
            name = form.get("Ref") if isinstance(form, dict) else None
            pieces.append("${" + name + "}" if isinstance(name, str) else "${?}")
    return {"Fn::Sub": "".join(pieces)}


def scalar_text(value: Any) -> str | None:
    """A scalar as CloudFormation reads it in text: booleans lower-case, numbers as written; None otherwise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None
