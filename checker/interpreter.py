"""A JMESPath interpreter that carries unknowns instead of coercing them to null or false.

Field access on an unknown is unknown; comparisons, `&&`, `||` and `!` follow Kleene logic; a filter
whose test is unknown for an element keeps it as `Maybe`; projections and flattening keep `Maybe` elements;
functions get the values as they are and decide what they can (checker.functions). Everything is read in
one `World`, which picks the branch of a `Choice` on an assigned condition.
"""
from __future__ import annotations

from typing import Any

from checker.logic import World, negate
from checker.values import NO_VALUE, Maybe, Origin, Unknown, origins_of


class ExpressionReference:
    """The value of `&expression`, for functions such as map() and sort_by()."""

    def __init__(self, node: dict, interpreter: Interpreter) -> None:
        self.node = node
        self.interpreter = interpreter

    def visit(self, value: Any) -> Any:
        return self.interpreter.visit(self.node, value)


class Interpreter:
    """Evaluates parsed JMESPath (the parser's node dicts) in a world, calling `call(name, args, interpreter)`."""

    def __init__(self, world: World, call: Any) -> None:
        self.world = world
        self.call = call
        self._methods: dict[str, Any] = {}

    def visit(self, node: dict, value: Any) -> Any:
        method = self._methods.get(node["type"])
        if method is None:
            method = self._methods[node["type"]] = getattr(self, f"visit_{node['type']}")
        return method(node, value)

    def read(self, value: Any) -> Any:
        value = self.world.read(value)
        return None if value is NO_VALUE else value

    def visit_subexpression(self, node: dict, value: Any) -> Any:
        for child in node["children"]:
            value = self.visit(child, value)
        return value

    visit_index_expression = visit_subexpression
    visit_pipe = visit_subexpression

    def visit_field(self, node: dict, value: Any) -> Any:
        if isinstance(value, dict):
            return self.read(value.get(node["value"]))
        if isinstance(value, Unknown) and value.type in (None, "object"):
            return Unknown(value.origins, form=value.form)
        return None

    def visit_comparator(self, node: dict, value: Any) -> Any:
        left = self.visit(node["children"][0], value)
        right = self.visit(node["children"][1], value)
        operator = node["value"]
        if operator == "eq":
            return self.world.equal(left, right)
        if operator == "ne":
            return negate(self.world.equal(left, right))
        return self.world.order(operator, left, right)

    def visit_current(self, node: dict, value: Any) -> Any:
        return value

    visit_identity = visit_current

    def visit_literal(self, node: dict, value: Any) -> Any:
        return node["value"]

    def visit_expref(self, node: dict, value: Any) -> Any:
        return ExpressionReference(node["children"][0], self)

    def visit_key_val_pair(self, node: dict, value: Any) -> Any:
        return self.visit(node["children"][0], value)

    def visit_function_expression(self, node: dict, value: Any) -> Any:
        return self.call(node["value"], [self.visit(child, value) for child in node["children"]], self)

    def visit_not_expression(self, node: dict, value: Any) -> Any:
        return negate(self.world.truth(self.visit(node["children"][0], value)))

    def visit_and_expression(self, node: dict, value: Any) -> Any:
        left = self.visit(node["children"][0], value)
        holds = self.world.truth(left)
        if holds is False:
            return left
        right = self.visit(node["children"][1], value)
        if holds is True:
            return right
        then = self.world.truth(right)
        if then is False:  # falsy whichever side it is
            return Unknown(holds.origins, truthy=False)
        return Unknown(holds.origins | origins_of(then), form=_form(left))

    def visit_or_expression(self, node: dict, value: Any) -> Any:
        left = self.visit(node["children"][0], value)
        holds = self.world.truth(left)
        if holds is True:
            return left
        right = self.visit(node["children"][1], value)
        if holds is False:
            return right
        if right == [] and type(right) is list and (isinstance(left, list) or getattr(left, "type", None) == "array"):
            return left  # `x || []`: when x is falsy it is [] already
        otherwise = self.world.truth(right)
        return Unknown(holds.origins | origins_of(otherwise), truthy=True if otherwise is True else None,
                       form=_form(left))

    def visit_multi_select_list(self, node: dict, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, Unknown) and value.type is None:
            return Unknown(value.origins, form=value.form)
        return [self.visit(child, value) for child in node["children"]]

    def visit_multi_select_dict(self, node: dict, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, Unknown) and value.type is None:
            return Unknown(value.origins, form=value.form)
        return {child["value"]: self.visit(child, value) for child in node["children"]}

    def visit_index(self, node: dict, value: Any) -> Any:
        value = self.read(value)
        if isinstance(value, Unknown) and value.type in (None, "array"):
            return Unknown(value.origins, form=value.form)
        if not isinstance(value, list):
            return None
        index = node["value"]
        if index >= len(value) or -index > len(value):
            return None  # a list with Maybe elements can only be shorter
        segment = value[:index + 1] if index >= 0 else value[index:]
        doubtful = [item for item in segment if isinstance(item, Maybe)]
        if doubtful:
            return Unknown(frozenset().union(*(item.origins for item in doubtful)))
        return self.read(value[index])

    def visit_slice(self, node: dict, value: Any) -> Any:
        value = self.read(value)
        if isinstance(value, Unknown) and value.type in (None, "array"):
            return Unknown(value.origins, "array")
        if not isinstance(value, list):
            return None
        if any(isinstance(item, Maybe) for item in value):
            return Unknown(frozenset().union(*(m.origins for m in value if isinstance(m, Maybe))), "array")
        return value[slice(*node["children"])]

    def _base(self, node: dict, value: Any, shape: type = list) -> Any:
        """What a projection runs over: a list (or a mapping for `*`), an unknown one, or None."""
        base = self.read(self.visit(node["children"][0], value))
        if isinstance(base, Unknown) and base.type in (None, "array" if shape is list else "object"):
            return Unknown(base.origins, "array", form=base.form)
        return base if isinstance(base, shape) else None

    def visit_flatten(self, node: dict, value: Any) -> Any:
        base = self._base(node, value)
        if not isinstance(base, list):
            return base
        flat: list[Any] = []
        for element, uncertain in self._elements(base):
            if isinstance(element, list):
                for inner, inner_uncertain in self._elements(element):
                    _collect(flat, inner, uncertain | inner_uncertain, keep_null=True)
            elif isinstance(element, Unknown) and element.type in (None, "array"):
                return Unknown(element.origins | uncertain, "array")
            else:
                _collect(flat, element, uncertain, keep_null=True)
        return flat

    def visit_projection(self, node: dict, value: Any) -> Any:
        base = self._base(node, value)
        if not isinstance(base, list):
            return base
        projected: list[Any] = []
        for element, uncertain in self._elements(base):
            _collect(projected, self.visit(node["children"][1], element), uncertain)
        return projected

    def visit_value_projection(self, node: dict, value: Any) -> Any:
        base = self._base(node, value, dict)
        if not isinstance(base, dict):
            return base
        projected: list[Any] = []
        for item in base.values():
            item = self.world.read(item)
            if item is NO_VALUE:
                continue
            uncertain = _absent_origins(item)
            _collect(projected, self.visit(node["children"][1], item), uncertain)
        return projected

    def visit_filter_projection(self, node: dict, value: Any) -> Any:
        base = self._base(node, value)
        if not isinstance(base, list):
            return base
        kept: list[Any] = []
        for element, uncertain in self._elements(base):
            test = self.world.truth(self.visit(node["children"][2], element))
            if test is False:
                continue
            _collect(kept, self.visit(node["children"][1], element), uncertain | origins_of(test))
        return kept

    def _elements(self, items: list) -> list[tuple[Any, frozenset[Origin]]]:
        """Each element as this world has it, with the origins of its doubtful presence."""
        elements = []
        for item in self.world.read(items):
            if isinstance(item, Maybe):
                elements.append((self.read(item.value), item.origins))
            else:
                elements.append((self.read(item), frozenset()))
        return elements


def _absent_origins(value: Any) -> frozenset[Origin]:
    """For an undecided `!If [C, x, !Ref AWS::NoValue]` value: why it may be absent."""
    return value.origins if isinstance(value, Unknown) and value.type is None else frozenset()


def _collect(collected: list, value: Any, uncertain: frozenset[Origin], keep_null: bool = False) -> None:
    """Add a projected value: JMESPath drops nulls; a value that may be null or absent is `Maybe`."""
    if value is None and not keep_null:
        return
    if isinstance(value, Unknown) and value.type is None and not keep_null:
        uncertain = uncertain | value.origins
    collected.append(Maybe(value, uncertain) if uncertain else value)


def _form(value: Any) -> Any:
    return getattr(value, "form", None) if isinstance(value, Unknown) else value
