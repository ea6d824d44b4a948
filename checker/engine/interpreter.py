"""A JMESPath evaluator that carries unknowns instead of coercing them to null or false.

Field access on an unknown is unknown; comparisons, `&&`, `||` and `!` follow Kleene logic; a filter
whose test is unknown for an element keeps it as `Maybe`; projections and flattening keep `Maybe` elements;
functions get the values as they are and decide what they can (checker.engine.functions). Everything is read in
one `World`, which picks the branch of a `Choice` on an assigned condition.

A parsed expression is compiled once into nested closures, each taking the current value and the
`Interpreter` (the world and the functions) of the evaluation.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, NotRequired, TypedDict

from checker.engine.logic import World, negate
from checker.template.values import NO_VALUE, Choice, ChoiceList, Maybe, Origin, Unknown, origins_of

Compiled = Callable[[Any, "Interpreter"], Any]
Call = Callable[[str, list[Any], "Interpreter"], Any]  # a function call: name, arguments, the evaluation's interpreter


class Node(TypedDict):
    """A node of the tree jmespath parses an expression into."""

    type: str
    children: list[Any]  # nodes (a slice's are its bounds: ints or None)
    value: NotRequired[Any]  # a field's name, a literal, a comparator or function name, an index


class Interpreter:
    """What an evaluation runs in: a world, and `call(name, args, interpreter)` for functions."""

    def __init__(self, world: World, call: Call) -> None:
        self.world = world
        self.call = call

    def read(self, value: Any) -> Any:
        value = self.world.read(value)
        return None if value is NO_VALUE else value

    def elements(self, items: list[Any]) -> list[tuple[Any, frozenset[Origin]]]:
        """Each element as this world has it, with the origins of its doubtful presence."""
        elements = []
        for item in self.world.read(items):
            if isinstance(item, Maybe):
                elements.append((self.read(item.value), item.origins))
            else:
                elements.append((self.read(item), frozenset()))
        return elements


class ExpressionReference:
    """The value of `&expression`, for functions such as map() and sort_by()."""

    def __init__(self, compiled: Compiled, interpreter: Interpreter) -> None:
        self.compiled = compiled
        self.interpreter = interpreter

    def visit(self, value: Any) -> Any:
        return self.compiled(value, self.interpreter)

    def __repr__(self) -> str:  # as an error message shows it: the same in every run
        return "&expression"


def compile_tree(node: Node) -> Compiled:
    """The closure that evaluates a parsed JMESPath node."""
    return _COMPILERS[node["type"]](node)


def _children(node: Node) -> list[Compiled]:
    return [compile_tree(child) for child in node["children"]]


def _chain(node: Node) -> Compiled:
    steps = _children(node)
    if len(steps) == 2:
        first, second = steps
        return lambda value, run: second(first(value, run), run)

    def chain(value: Any, run: Interpreter) -> Any:
        for step in steps:
            value = step(value, run)
        return value
    return chain


def _field(node: Node) -> Compiled:
    name = node["value"]

    def field(value: Any, run: Interpreter) -> Any:
        if isinstance(value, dict):
            item = value.get(name)
            kind = type(item)
            if kind is Choice or kind is ChoiceList or item is NO_VALUE:
                return run.read(item)
            return item
        if isinstance(value, Unknown) and value.type in (None, "object"):
            return Unknown(value.origins, form=value.form)
        return None
    return field


def _comparator(node: Node) -> Compiled:
    left, right = _children(node)
    operator = node["value"]
    if operator == "eq":
        return lambda value, run: run.world.equal(left(value, run), right(value, run))
    if operator == "ne":
        return lambda value, run: negate(run.world.equal(left(value, run), right(value, run)))
    return lambda value, run: run.world.order(operator, left(value, run), right(value, run))


def _current(node: Node) -> Compiled:
    return lambda value, run: value


def _literal(node: Node) -> Compiled:
    literal = node["value"]
    return lambda value, run: literal


def _expref(node: Node) -> Compiled:
    compiled = compile_tree(node["children"][0])
    return lambda value, run: ExpressionReference(compiled, run)


def _key_val_pair(node: Node) -> Compiled:
    return compile_tree(node["children"][0])


def _function(node: Node) -> Compiled:
    name, arguments = node["value"], _children(node)
    return lambda value, run: run.call(name, [argument(value, run) for argument in arguments], run)


def _not(node: Node) -> Compiled:
    operand = compile_tree(node["children"][0])
    return lambda value, run: negate(run.world.truth(operand(value, run)))


def _junction(node: Node, decisive: bool) -> Compiled:
    """`a && b` (decisive False) and `a || b` (decisive True), as JMESPath defines them: the left value when
    its truth is decisive, else the right one. With the left side undecided the result is unknown, and its
    truth is decided when the right side's is decisive (`x && false` is falsy, `x || true` truthy)."""
    first, second = _children(node)

    def junction(value: Any, run: Interpreter) -> Any:
        left = first(value, run)
        holds = run.world.truth(left)
        if holds is decisive:
            return left
        right = second(value, run)
        if isinstance(holds, bool):
            return right
        if decisive and type(right) is list and not right and (
                isinstance(left, list) or getattr(left, "type", None) == "array"):
            return left  # `x || []`: when x is falsy it is [] already
        then = run.world.truth(right)
        if then is False and not decisive:  # falsy whichever side it is
            return Unknown(holds.origins, truthy=False)
        return Unknown(holds.origins | origins_of(then), truthy=True if then is True and decisive else None,
                       form=_form(left))
    return junction


def _multi_select(node: Node) -> Compiled:
    parts = _children(node)
    keys = [child["value"] for child in node["children"]] if node["type"] == "multi_select_dict" else None

    def select(value: Any, run: Interpreter) -> Any:
        if value is None:
            return None
        if isinstance(value, Unknown) and value.type is None:
            return Unknown(value.origins, form=value.form)
        found = [part(value, run) for part in parts]
        return dict(zip(keys, found, strict=True)) if keys is not None else found
    return select


def _index(node: Node) -> Compiled:
    index = node["value"]

    def at(value: Any, run: Interpreter) -> Any:
        value = run.read(value)
        if isinstance(value, Unknown) and value.type in (None, "array"):
            return Unknown(value.origins, form=value.form)
        if not isinstance(value, list):
            return None
        if index >= len(value) or -index > len(value):
            return None  # a list with Maybe elements can only be shorter
        segment = value[:index + 1] if index >= 0 else value[index:]
        doubtful = [item for item in segment if isinstance(item, Maybe)]
        if doubtful:
            return Unknown(frozenset().union(*(item.origins for item in doubtful)))
        return run.read(value[index])
    return at


def _slice(node: Node) -> Compiled:
    bounds = slice(*node["children"])

    def cut(value: Any, run: Interpreter) -> Any:
        value = run.read(value)
        if isinstance(value, Unknown) and value.type in (None, "array"):
            return Unknown(value.origins, "array")
        if not isinstance(value, list):
            return None
        if any(isinstance(item, Maybe) for item in value):
            return Unknown(frozenset().union(*(m.origins for m in value if isinstance(m, Maybe))), "array")
        return value[bounds]
    return cut


def _base(compiled: Compiled, shape: type = list) -> Compiled:
    """What a projection runs over: a list (or a mapping for `*`), an unknown one, or None."""
    kind = "array" if shape is list else "object"

    def base(value: Any, run: Interpreter) -> Any:
        found = run.read(compiled(value, run))
        if isinstance(found, Unknown) and found.type in (None, kind):
            return Unknown(found.origins, "array", form=found.form)
        return found if isinstance(found, shape) else None
    return base


def _flatten(node: Node) -> Compiled:
    base = _base(compile_tree(node["children"][0]))

    def flatten(value: Any, run: Interpreter) -> Any:
        items = base(value, run)
        if not isinstance(items, list):
            return items
        flat: list[Any] = []
        for element, uncertain in run.elements(items):
            if isinstance(element, list):
                for inner, inner_uncertain in run.elements(element):
                    _collect(flat, inner, uncertain | inner_uncertain, keep_null=True)
            elif isinstance(element, Unknown) and element.type in (None, "array"):
                return Unknown(element.origins | uncertain, "array")
            else:
                _collect(flat, element, uncertain, keep_null=True)
        return flat
    return flatten


def _projection(node: Node) -> Compiled:
    base = _base(compile_tree(node["children"][0]))
    each = compile_tree(node["children"][1])

    def project(value: Any, run: Interpreter) -> Any:
        items = base(value, run)
        if not isinstance(items, list):
            return items
        projected: list[Any] = []
        for element, uncertain in run.elements(items):
            _collect(projected, each(element, run), uncertain)
        return projected
    return project


def _value_projection(node: Node) -> Compiled:
    base = _base(compile_tree(node["children"][0]), dict)
    each = compile_tree(node["children"][1])

    def project(value: Any, run: Interpreter) -> Any:
        mapping = base(value, run)
        if not isinstance(mapping, dict):
            return mapping
        projected: list[Any] = []
        for item in mapping.values():
            item = run.world.read(item)
            if item is NO_VALUE:
                continue
            _collect(projected, each(item, run), _absent_origins(item))
        return projected
    return project


def _filter_projection(node: Node) -> Compiled:
    base = _base(compile_tree(node["children"][0]))
    each, test = compile_tree(node["children"][1]), compile_tree(node["children"][2])

    def keep(value: Any, run: Interpreter) -> Any:
        items = base(value, run)
        if not isinstance(items, list):
            return items
        kept: list[Any] = []
        for element, uncertain in run.elements(items):
            holds = run.world.truth(test(element, run))
            if holds is False:
                continue
            _collect(kept, each(element, run), uncertain | origins_of(holds))
        return kept
    return keep


_COMPILERS: dict[str, Callable[[Node], Compiled]] = {
    "subexpression": _chain, "index_expression": _chain, "pipe": _chain, "field": _field,
    "comparator": _comparator, "current": _current, "identity": _current, "literal": _literal,
    "expref": _expref, "key_val_pair": _key_val_pair, "function_expression": _function, "not_expression": _not,
    "and_expression": lambda node: _junction(node, False), "or_expression": lambda node: _junction(node, True),
    "multi_select_list": _multi_select,
    "multi_select_dict": _multi_select, "index": _index, "slice": _slice, "flatten": _flatten,
    "projection": _projection, "value_projection": _value_projection, "filter_projection": _filter_projection,
}


def _absent_origins(value: Any) -> frozenset[Origin]:
    """For an undecided `!If [C, x, !Ref AWS::NoValue]` value: why it may be absent."""
    return value.origins if isinstance(value, Unknown) and value.type is None else frozenset()


def _collect(collected: list[Any], value: Any, uncertain: frozenset[Origin], keep_null: bool = False) -> None:
    """Add a projected value: JMESPath drops nulls; a value that may be null or absent is `Maybe`."""
    if value is None and not keep_null:
        return
    if isinstance(value, Unknown) and value.type is None and not keep_null:
        uncertain = uncertain | value.origins
    collected.append(Maybe(value, uncertain) if uncertain else value)


def _form(value: Any) -> Any:
    return getattr(value, "form", None) if isinstance(value, Unknown) else value
