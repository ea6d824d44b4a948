"""Three-valued logic over documents that hold unknowns (checker.template.values), in one world.

A truth value is True, False or an `Unknown` of type boolean whose origins say what it rests on (Kleene
logic). A `World` assigns truth values to some undecided conditions: a `Choice` on an assigned condition
reads as its branch, any other reads as unknown (a key that may be absent, a list item that is `Maybe`).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from numbers import Number
from typing import Any

from checker.template.values import (
    NO_VALUE,
    Choice,
    ChoiceList,
    Maybe,
    Origin,
    Range,
    Reference,
    Text,
    Unknown,
    contains_special,
    deep_origins,
    known_text,
    origins_of,
)

Truth = bool | Unknown


def unknown_truth(origins: Iterable[Origin]) -> Unknown:
    return Unknown(origins, "boolean")


def is_number(value: Any) -> bool:
    return isinstance(value, Number) and not isinstance(value, bool)


def json_type(value: Any) -> str | None:
    """The JMESPath type name of a value, None when it is not known."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (str, Text)):
        return "string"
    if is_number(value) or isinstance(value, Range):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, Unknown):
        return value.type
    return None


def both(left: Truth, right: Truth) -> Truth:
    return _junction(left, right, False)


def either(left: Truth, right: Truth) -> Truth:
    return _junction(left, right, True)


def _junction(left: Truth, right: Truth, decisive: bool) -> Truth:
    """`and` (decisive False) and `or` (decisive True): decided by either side holding the decisive value,
    or by both holding the other."""
    if left is decisive or right is decisive:
        return decisive
    if left is (not decisive) and right is (not decisive):
        return not decisive
    return unknown_truth(origins_of(left) | origins_of(right))


def negate(value: Truth) -> Truth:
    return value if isinstance(value, Unknown) else not value


def _fold(values: Iterable[Truth], combine: Any, neutral: bool) -> Truth:
    result: Truth = neutral
    for value in values:
        result = combine(result, value)
        if result is (not neutral):  # false for all_of, true for any_of: nothing can change it
            return result
    return result


def all_of(values: Iterable[Truth]) -> Truth:
    return _fold(values, both, True)


def any_of(values: Iterable[Truth]) -> Truth:
    return _fold(values, either, False)


class World:
    """An assignment of undecided conditions; reads document values as they are in it."""

    def __init__(self, assignment: Mapping[str, bool] | None = None) -> None:
        self.assignment: Mapping[str, bool] = assignment or {}

    def read(self, value: Any) -> Any:
        """A value as this world has it: choices picked (NO_VALUE for an absent one), lists expanded."""
        kind = type(value)
        if kind is Choice:
            return self._pick(value)
        if kind is ChoiceList:
            return self._expand(value)
        return value

    def _pick(self, value: Any) -> Any:
        while type(value) is Choice:
            decided = self.assignment.get(value.condition)
            if decided is None:
                absent = value.then is NO_VALUE or value.otherwise is NO_VALUE
                kinds = {json_type(value.then), json_type(value.otherwise)}
                known = None if absent or len(kinds) != 1 else kinds.pop()
                return Unknown([value.origin], None if known == "null" else known, form=value)
            value = value.then if decided else value.otherwise
        return self._expand(value) if type(value) is ChoiceList else value

    def _expand(self, items: list[Any]) -> list[Any]:
        expanded: list[Any] = []
        for item in items:
            if type(item) is not Choice:
                expanded.append(item)
                continue
            picked = self._pick(item)
            if picked is NO_VALUE:
                continue
            if isinstance(picked, Unknown) and isinstance(picked.form, Choice) and picked.type is None:
                branch = item.then if item.otherwise is NO_VALUE else item.otherwise if item.then is NO_VALUE else None
                if branch is not None:  # `!If [C, x, !Ref AWS::NoValue]`: x, or nothing
                    expanded.append(Maybe(branch, picked.origins, form=item))
                    continue
            expanded.append(picked)
        return expanded

    def settle(self, value: Any) -> Any:
        """`value` with every choice inside it read in this world (for whole-value comparisons)."""
        value = self.read(value)
        if value is NO_VALUE:
            return None
        if isinstance(value, dict) and contains_special(value):
            return {k: v for k, v in ((k, self.settle(v)) for k, v in value.items())}
        if isinstance(value, list) and contains_special(value):
            return [Maybe(self.settle(v.value), v.origins) if isinstance(v, Maybe) else self.settle(v) for v in value]
        return value

    # -- truth and comparison --------------------------------------------------------------------------

    def truth(self, value: Any) -> Truth:
        """JMESPath truth (false, null, "", [] and {} are false), three-valued."""
        if type(value) is bool:
            return value
        value = self.read(value)
        if type(value) is bool:
            return value
        if value is None or value is NO_VALUE:
            return False
        if type(value) is str:
            return value != ""
        if isinstance(value, list):
            if not value:
                return False
            maybes = []
            for item in value:
                if type(item) is not Maybe:
                    return True
                maybes.append(item)
            return unknown_truth(frozenset().union(*(m.origins for m in maybes)))
        if isinstance(value, dict):
            return bool(value)
        if type(value) is Unknown:
            if value.truthy is not None:
                return value.truthy
            return True if value.type == "number" else unknown_truth(value.origins)
        if type(value) is Text:
            if any(not isinstance(p, str) or p for p in value.parts if not isinstance(p, Unknown)):
                return True
            return unknown_truth(value.origins)
        return True  # numbers, references (non-empty strings), ranges

    def equal(self, left: Any, right: Any) -> Truth:
        """`left == right`, three-valued."""
        if type(left) in _SCALARS and type(right) in _SCALARS:
            return _plain_equal(left, right)
        left, right = known_text(self.read(left)), known_text(self.read(right))
        if not (_special(left) or _special(right)):
            if isinstance(left, (dict, list)) and isinstance(right, (dict, list)):
                return self._equal_containers(left, right)
            return _plain_equal(left, right)
        for one, other in ((left, right), (right, left)):
            if isinstance(one, Unknown):
                if one.type is not None and not _special(other) and json_type(other) not in (one.type, None):
                    return False
                return unknown_truth(one.origins | deep_origins(other))
        for one, other in ((left, right), (right, left)):
            if isinstance(one, Range):
                if is_number(other):
                    return False if not one.low <= other <= one.high else unknown_truth(one.origins)
                return False if not _special(other) else unknown_truth(one.origins | deep_origins(other))
        if isinstance(left, Reference) and isinstance(right, Reference):
            if left.key == right.key:
                return True
            return False if left.logical_id != right.logical_id else unknown_truth([left.origin, right.origin])
        for one, other in ((left, right), (right, left)):
            if isinstance(one, (Reference, Text)) and not _special(other) and not isinstance(other, str):
                return False  # text against null, a number, a list...
        for one, other in ((left, right), (right, left)):
            if isinstance(one, Reference) and (one.attribute or "").endswith("Arn") and isinstance(other, str) \
                    and not other.startswith("arn:"):
                return False  # Fn::GetAtt of an ARN attribute is an ARN
        if isinstance(left, Text) or isinstance(right, Text):
            return _text_equal(left, right)
        if isinstance(left, (dict, list)) and isinstance(right, (dict, list)):
            return self._equal_containers(left, right)
        return unknown_truth(deep_origins(left) | deep_origins(right))

    def _equal_containers(self, left: Any, right: Any) -> Truth:
        if isinstance(left, dict) and isinstance(right, dict):
            verdicts: list[Truth] = []
            for key in set(left) | set(right):
                if key in left and key in right:
                    verdicts.append(self.equal(left[key], right[key]))
                    continue
                present = self.read(left[key] if key in left else right[key])
                may_be_absent = isinstance(present, Unknown) and present.type is None
                verdicts.append(unknown_truth(present.origins) if may_be_absent else False)
            return all_of(verdicts)
        if isinstance(left, list) and isinstance(right, list):
            left, right = self.read(left), self.read(right)
            if any(isinstance(i, Maybe) for i in left) or any(isinstance(i, Maybe) for i in right):
                return unknown_truth(deep_origins(left) | deep_origins(right))
            if len(left) != len(right):
                return False
            return all_of(self.equal(a, b) for a, b in zip(left, right, strict=True))
        return False

    def order(self, operator: str, left: Any, right: Any) -> Any:
        """`<`, `<=`, `>`, `>=`: a truth value, or None (null) for values JMESPath does not order."""
        left, right = known_text(self.read(left)), known_text(self.read(right))
        if not (_special(left) or _special(right)):
            if (is_number(left) and is_number(right)) or (isinstance(left, str) and isinstance(right, str)):
                return _ORDER[operator](left, right)
            return None
        low_left, high_left = _bounds(left)
        low_right, high_right = _bounds(right)
        if None not in (low_left, high_left, low_right, high_right):
            holds = _ORDER[operator]
            worst, best = ((high_left, low_right), (low_left, high_right)) if operator in ("lt", "lte") \
                else ((low_left, high_right), (high_left, low_right))
            if holds(*worst):
                return True
            if not holds(*best):
                return False
        for one, other in ((left, right), (right, left)):
            if isinstance(one, Unknown) and one.type not in (None, "number", "string"):
                return None
            if isinstance(one, (Reference, Text)) and is_number(other):
                return None
        return unknown_truth(deep_origins(left) | deep_origins(right))


_SCALARS = frozenset({str, int, float, bool, type(None)})
_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b, "gt": lambda a, b: a > b, "gte": lambda a, b: a >= b,
}


def _bounds(value: Any) -> tuple[Any, Any]:
    if isinstance(value, Range):
        return value.low, value.high
    if is_number(value):
        return value, value
    return None, None


def _special(value: Any) -> bool:
    return isinstance(value, (Unknown, Reference, Text, Range, Maybe, Choice)) or value is NO_VALUE


def _plain_equal(left: Any, right: Any) -> bool:
    # JMESPath: 0 and 1 are not equal to false and true, as they are in Python.
    if isinstance(left, bool) != isinstance(right, bool) and (is_number(left) or is_number(right)):
        return False
    return bool(left == right)


# Unknowns that stand for the same value wherever they appear (a parameter, not a failed read).
_STABLE = frozenset({"parameter", "pseudo", "ssm-parameter", "import", "dynamic-reference"})


Token = str | tuple[Any, ...]  # a literal piece, or what identifies a reference or an unknown


def tokens_of(value: Any) -> tuple[Token, ...]:
    """A Text's pieces as comparable tokens: literals, references by identity, unknowns by their origin."""
    parts = value.parts if isinstance(value, Text) else (value,)
    tokens: list[Token] = []
    for part in parts:
        if isinstance(part, str):
            tokens.append(part)
        elif isinstance(part, Reference):
            tokens.append(("reference", part.key))
        elif isinstance(part, Unknown) and len(part.origins) == 1 and next(iter(part.origins)).kind in _STABLE:
            origin = next(iter(part.origins))
            tokens.append(("unknown", origin.kind, origin.name))
        else:
            return ()  # nothing to tell it by
    return tuple(tokens)


def _text_equal(left: Any, right: Any) -> Truth:
    origins = deep_origins(left) | deep_origins(right)
    same = tokens_of(left)
    if same and same == tokens_of(right):
        return True
    if isinstance(right, str):
        left, right = right, left
    if isinstance(left, str):  # literal text against a Text
        return False if not may_match(right, left) else unknown_truth(origins)
    prefix_left, prefix_right = _literal_end(left, 0), _literal_end(right, 0)
    suffix_left, suffix_right = _literal_end(left, -1), _literal_end(right, -1)
    if not (prefix_left.startswith(prefix_right) or prefix_right.startswith(prefix_left)):
        return False
    if not (suffix_left.endswith(suffix_right) or suffix_right.endswith(suffix_left)):
        return False
    if _differ_in_one_reference(left, right):
        return False
    return unknown_truth(origins)


def _differ_in_one_reference(left: Any, right: Any) -> bool:
    """Whether two Texts are the same but for one piece, a reference to a different resource in each, as
    `/aws/lambda/${A}` and `/aws/lambda/${B}`: distinct resources have distinct values (see `equal`)."""
    if not (isinstance(left, Text) and isinstance(right, Text)) or len(left.parts) != len(right.parts):
        return False
    differing = [(a, b) for a, b in zip(left.parts, right.parts, strict=True) if a is not b and a != b]
    if len(differing) != 1:
        return False
    one, other = differing[0]
    return isinstance(one, Reference) and isinstance(other, Reference) and one.logical_id != other.logical_id


def _literal_end(value: Text | Reference, index: int) -> str:
    part = value.parts[index] if isinstance(value, Text) else value  # a Ref is a name known only after deployment
    return part if isinstance(part, str) else ""


def may_match(value: Text, literal: str) -> bool:
    """Whether some values of the unknown pieces make `value` equal `literal`."""
    return match_pattern(value).fullmatch(literal) is not None


def match_pattern(value: Text) -> re.Pattern[str]:
    """A pattern matching every text `value` may stand for."""
    return re.compile("".join(re.escape(p) if isinstance(p, str) else (".+" if isinstance(p, Reference) else ".*")
                              for p in value.parts), re.DOTALL)


def leading_literal(value: Any) -> str:
    """The text every value of `value` begins with."""
    if isinstance(value, str):
        return value
    first = value.parts[0] if isinstance(value, Text) and value.parts else None
    return first if isinstance(first, str) else ""
