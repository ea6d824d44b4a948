"""Which assignments of the undecided conditions some deployment could produce.

A condition the environment cannot decide rests on values without a value (a parameter, a pseudo parameter).
Its `Fn::Equals` leaves are atoms: `value == literal` for one such value, or an opaque truth value. Trying
every value each unknown value is compared with (plus "something else", unless AllowedValues says which
values it can take), and both truths of each opaque atom, gives the condition assignments that can occur:
`IsProd` and `IsDev` on the same parameter are never both true.
"""
from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from checker.template.intrinsics import Scope, resolve
from checker.template.values import Origin, Unknown, contains_special

_MAX_COMBINATIONS = 4096
_OTHER = object()  # a value unlike every literal it is compared with

Formula = Any  # bool | ("atom", key) | ("and" | "or" | "not", [Formula...])


class ConditionSpace:
    """The feasible truth assignments of the conditions a rendered environment leaves undecided."""

    def __init__(self, definitions: Mapping[str, Any], scope: Scope) -> None:
        self._definitions = definitions
        self._scope = scope
        self._undecided = [name for name in definitions if isinstance(scope.condition(name), Unknown)]
        self._worlds: list[dict[str, bool]] | None = None
        self._enumerated = False

    def undecided(self, name: str) -> bool:
        """Whether this environment leaves condition `name` undecided."""
        return name in self._undecided

    def feasible(self, assignment: Mapping[str, bool]) -> bool:
        """Whether some deployment gives these conditions these truth values."""
        worlds = self._feasible_worlds()
        if worlds is None:  # too many to enumerate: every assignment is taken as possible
            return True
        return any(all(world.get(name, value) == value for name, value in assignment.items()) for world in worlds)

    def _feasible_worlds(self) -> list[dict[str, bool]] | None:
        if not self._enumerated:
            self._enumerated = True
            self._worlds = self._enumerate()
        return self._worlds

    def _enumerate(self) -> list[dict[str, bool]] | None:
        atoms: dict[Any, Any] = {}
        formulas = {name: self._formula(self._definitions[name], atoms, set()) for name in self._undecided}
        variables: dict[Origin, set[Any]] = {}
        free: list[Any] = []
        for key, atom in atoms.items():
            if atom[0] == "compare":
                variables.setdefault(atom[1], set()).add(atom[2])
            else:
                free.append(key)
        domains = [sorted(self._domain(origin, literals), key=str) for origin, literals in variables.items()]
        size = 2 ** len(free)
        for domain in domains:
            size *= len(domain)
        if size > _MAX_COMBINATIONS:
            return None
        worlds: dict[tuple[tuple[str, bool], ...], dict[str, bool]] = {}
        for values in itertools.product(*domains):
            chosen = dict(zip(variables, values, strict=True))
            for truths in itertools.product((True, False), repeat=len(free)):
                opaque = dict(zip(free, truths, strict=True))
                world = {name: _value(f, atoms, chosen, opaque) for name, f in formulas.items()}
                worlds[tuple(sorted(world.items()))] = world
        return list(worlds.values())

    def _domain(self, origin: Origin, literals: set[Any]) -> list[Any]:
        spec = self._scope.declarations.get(origin.name) if origin.kind == "parameter" else None
        allowed = spec.get("AllowedValues") if isinstance(spec, Mapping) else None
        if isinstance(allowed, list) and allowed:
            return [str(v) for v in allowed]
        return [*literals, _OTHER]

    def _formula(self, expression: Any, atoms: dict[Any, Any], seen: set[str]) -> Formula:
        if isinstance(expression, dict) and len(expression) == 1:
            (name, argument), = expression.items()
            arguments = argument if isinstance(argument, list) else [argument]
            if name in ("Fn::And", "Fn::Or", "Fn::Not"):
                return (name[4:].lower(), [self._formula(a, atoms, seen) for a in arguments])
            if name == "Condition" and isinstance(argument, str) and argument in self._definitions:
                decided = self._scope.condition(argument)
                if isinstance(decided, bool) or argument in seen:
                    return decided if isinstance(decided, bool) else self._opaque(("condition", argument), atoms)
                return self._formula(self._definitions[argument], atoms, seen | {argument})
            if name == "Fn::Equals" and len(arguments) == 2:
                return self._equals([resolve(a, self._scope) for a in arguments], atoms)
        decided = resolve(expression, self._scope)
        if isinstance(decided, bool):
            return decided
        return self._opaque(("expression", repr(expression)), atoms)

    def _equals(self, sides: list[Any], atoms: dict[Any, Any]) -> Formula:
        if not contains_special(sides):
            return str(sides[0]) == str(sides[1])
        for one, other in (sides, sides[::-1]):
            if isinstance(one, Unknown) and len(one.origins) == 1 and not contains_special(other) \
                    and isinstance(other, (str, int, float, bool)):
                key = ("compare", next(iter(one.origins)), str(other))
                atoms[key] = key
                return ("atom", key)
        return self._opaque(("equals", repr(sides)), atoms)

    @staticmethod
    def _opaque(key: Any, atoms: dict[Any, Any]) -> Formula:
        atoms[key] = ("opaque",)
        return ("atom", key)


def _value(formula: Formula, atoms: dict[Any, Any], chosen: dict[Origin, Any], opaque: dict[Any, bool]) -> bool:
    if isinstance(formula, bool):
        return formula
    kind, argument = formula
    if kind == "atom":
        atom = atoms[argument]
        return chosen[atom[1]] == atom[2] if atom[0] == "compare" else opaque[argument]
    values = [_value(f, atoms, chosen, opaque) for f in argument]
    if kind == "and":
        return all(values)
    if kind == "or":
        return any(values)
    return not values[0]
