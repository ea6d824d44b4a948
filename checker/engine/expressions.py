"""Rule expressions: JMESPath compiled once, evaluated by the engine's interpreter (checker.engine.interpreter)."""
from __future__ import annotations

import weakref
from typing import Any, cast

import jmespath
from jmespath import exceptions

from checker.cache import cached_json
from checker.engine.context import NO_ASSUMPTIONS, Context
from checker.engine.functions import FUNCTIONS
from checker.engine.interpreter import Interpreter, Node, compile_tree
from checker.engine.logic import World


class ExpressionError(Exception):
    """An expression that does not compile."""


_TREES: dict[str, Node] = {}  # expression text -> its parse tree, read from the cache of earlier runs


def remember_trees(texts: list[str]) -> None:
    """Have the parse trees of `texts` ready: from the per-user cache when an earlier run parsed the same
    expressions with the same JMESPath (a rule pack's two hundred expressions take longer to parse than to read)."""
    wanted = sorted(set(texts) - _TREES.keys())
    if wanted:
        _TREES.update(cached_json("jmespath-trees", [jmespath.__version__, *wanted], lambda: _parsed(wanted)))


def _parsed(texts: list[str]) -> dict[str, Any]:
    trees = {}
    for text in texts:
        try:
            trees[text] = jmespath.compile(text).parsed
        except exceptions.JMESPathError:
            continue  # refused when its rule is read, naming the rule
    return trees


def _tree(text: str) -> Node:
    return _TREES.get(text) or jmespath.compile(text).parsed


class Expression:
    """A compiled JMESPath expression, with the sub-expression that shows its evidence."""

    def __init__(self, text: str, evidence: str | None = None) -> None:
        self.text = text
        try:
            self._tree = _tree(text)
            self._evidence = _tree(evidence) if evidence else _default_evidence(self._tree)
            self._search = compile_tree(self._tree)
            self._show = compile_tree(self._evidence)
            self._path = _fields(self._evidence)
        except exceptions.JMESPathError as exc:
            raise ExpressionError(f"invalid JMESPath {evidence if evidence and text not in str(exc) else text!r}: "
                                  f"{str(exc).splitlines()[0]}") from None
        self._calls: list[tuple[str, list[Any]]] = []
        _walk_calls(self._tree, self._calls)
        if evidence:  # its own expression, not a part of this one
            _walk_calls(self._evidence, self._calls)
        self._footprint: frozenset[Place] | None = None
        mistaken = sorted(self.field_names() & {"null", "true", "false"})
        if mistaken:
            # A bare null is a field called "null" in JMESPath, which is missing, so `x != null` holds by accident.
            raise ExpressionError(f"{text!r} reads a field named {mistaken[0]}; write the literal as `{mistaken[0]}`")

    @property
    def footprint(self) -> frozenset[Place]:
        """The places of the input the expression and its evidence may depend on (found when first asked)."""
        if self._footprint is None:
            self._footprint = footprint(self._tree) | footprint(self._evidence)
        return self._footprint

    def called_functions(self) -> list[tuple[str, list[Any]]]:
        """(name, literal arguments) of every function call, for load-time checks."""
        return list(self._calls)

    def field_path(self) -> list[str]:
        """The chain of field names the evidence reads (e.g. Properties.BackupRetentionPeriod)."""
        return self._path

    def field_names(self) -> set[str]:
        """Every field name the expression or its evidence reads, anywhere (string literals excluded)."""
        names: set[str] = set()
        for node in (self._tree, self._evidence):
            _walk_fields(node, names)
        return names

    def search(self, data: Any, context: Context, world: World | None = None) -> Any:
        return self._search(data, _interpreter(context, world or NO_ASSUMPTIONS))

    def evidence(self, data: Any, context: Context, world: World | None = None) -> Any:
        return self._show(data, _interpreter(context, world or NO_ASSUMPTIONS))


def _default_evidence(node: Node) -> Node:
    """What an assertion shows by default: the operand that reads the input (a comparison's left side, a
    function's first argument, the first operand of && || !), else the whole expression."""
    kind = node.get("type")
    if kind in ("comparator", "and_expression", "or_expression", "not_expression", "function_expression"):
        operands = [child for child in node["children"] if child.get("type") != "expref" and _reads_input(child)]
        if operands:
            return _default_evidence(operands[0])
    return node


def _reads_input(node: Any) -> bool:
    """Whether a node looks at its input (a field or @), rather than being a literal."""
    if not isinstance(node, dict):
        return False
    return node.get("type") in ("field", "current") or any(_reads_input(c) for c in node.get("children", []))


def _walk_calls(node: Any, calls: list[tuple[str, list[Any]]]) -> None:
    if not isinstance(node, dict):
        return
    if node.get("type") == "function_expression":
        args = [c.get("value") if c.get("type") == "literal" else None for c in node["children"]]
        calls.append((node["value"], args))
    for child in node.get("children", []):
        _walk_calls(child, calls)


def _walk_fields(node: Any, names: set[str]) -> None:
    if not isinstance(node, dict):
        return
    if node.get("type") == "field":
        names.add(node["value"])
    for child in node.get("children", []):
        _walk_fields(child, names)


Place = tuple[str, ...]  # where a value sits in the input: the field names leading to it
FOOTPRINT_DEPTH = 2  # a place this deep is kept whole (Properties.BucketEncryption, not what is inside it)


def footprint(node: Node) -> frozenset[Place]:
    """The places of the input whose values the expression's result may depend on, each at most
    FOOTPRINT_DEPTH deep and standing for everything beneath it; `()` is the whole input.

    Two inputs equal at every place of the footprint give the same result, whatever else they hold: a
    field read names its place, and any other use of a value (a comparison, a function argument,
    a projection's list, `*` or `keys(@)`) takes in the whole of where that value sits, but for the
    parts a function declares it reads of its argument (`ref` and `arn` of a resource)."""
    found: set[Place] = set()
    _use(_reads(node, (), found), found)
    return frozenset({()} if () in found else found)


def _reads(node: Node, place: Place | None, found: set[Place]) -> Place | None:
    """Walk `node` evaluated on the value at `place` (None: a value that is no place of the input, or one
    inside a place already kept whole); add the places it takes in whole; return where its result sits."""
    kind = node["type"]
    if kind == "field":
        if place is None:
            return None
        inner = (*place, node["value"])
        if len(inner) < FOOTPRINT_DEPTH:
            return inner
        found.add(inner[:FOOTPRINT_DEPTH])
        return None
    if kind in ("current", "identity"):
        return place
    if kind in ("literal", "expref"):  # an expref runs on elements of another argument, taken in whole
        for child in node["children"]:
            _use(_reads(child, None, found), found)
        return None
    if kind in ("subexpression", "index_expression", "pipe"):
        for child in node["children"]:
            place = _reads(child, place, found)
        return place
    if kind in ("index", "slice"):
        _use(place, found)
        return None
    if kind in ("projection", "value_projection", "filter_projection"):
        base, *per_element = node["children"]
        _use(_reads(base, place, found), found)
        for child in per_element:
            _use(_reads(child, None, found), found)
        return None
    function = FUNCTIONS.get(node["value"]) if kind == "function_expression" else None
    for child in node["children"]:  # comparators, functions, && || !, multi-selects, flatten: operands whole
        at = _reads(child, place, found)
        if function is not None and function.reads is not None and at is not None:  # only parts of it
            found.update((*at, *part)[:FOOTPRINT_DEPTH] for part in function.reads)
        else:
            _use(at, found)
    return None


def _use(place: Place | None, found: set[Place]) -> None:
    if place is not None:
        found.add(place)


def _fields(node: Node) -> list[str]:
    kind = node.get("type")
    if kind == "field":
        return [node["value"]]
    if kind == "subexpression":
        path: list[str] = []
        for child in node["children"]:
            part = _fields(child)
            if not part:
                break
            path += part
        return path
    if kind in ("index_expression", "projection", "filter_projection") and node.get("children"):
        return _fields(node["children"][0])
    return []


CUSTOM_FUNCTIONS = tuple(name for name, function in FUNCTIONS.items() if function.custom)


def arity_problem(name: str, argument_count: int) -> str | None:
    """Why a call of `name` with that many arguments cannot work, or None."""
    function = FUNCTIONS.get(name)
    if function is None:
        return f"unknown function {name}()"
    if argument_count < function.minimum or (function.maximum is not None and argument_count > function.maximum):
        expected = str(function.minimum) if function.maximum == function.minimum else f"{function.minimum} or more"
        return f"{name}() takes {expected} argument(s), not {argument_count}"
    return None


def _interpreter(context: Context, world: World) -> Interpreter:
    """The context's interpreter for `world`, made once: it dispatches calls to the rule functions. It refers
    to its context weakly: a context and its interpreters in a cycle would keep the document they hold until
    the next full collection, which a scan makes rare (cli/main.py)."""
    key = () if world is NO_ASSUMPTIONS else tuple(sorted(world.assignment.items()))
    interpreter = context.interpreters.get(key)
    if interpreter is None:
        owner = weakref.ref(context)
        interpreter = context.interpreters[key] = Interpreter(
            world, lambda name, args, run: _call(cast(Context, owner()), run, name, args))
    return interpreter


def _call(context: Context, run: Interpreter, name: str, args: list[Any]) -> Any:
    function = FUNCTIONS[name]
    result = function.call(context, run, args)
    if function.document and context.reads is not None:
        context.reads.append((name, args, result, run.world is NO_ASSUMPTIONS))
    return result


def call_again(context: Context, name: str, args: list[Any]) -> Any:
    """A function that reads the document, called in `context` with no condition assumed."""
    return FUNCTIONS[name].call(context, _interpreter(context, NO_ASSUMPTIONS), args)


EvaluationError = (exceptions.JMESPathError, ValueError, TypeError, RecursionError)
