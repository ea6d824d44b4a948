"""The only module that talks to JMESPath: compiling, searching, custom functions, evidence."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jmespath
from jmespath import exceptions, functions
from jmespath.visitor import Options, TreeInterpreter

from checker import functions as impl


class ExpressionError(Exception):
    """An expression that does not compile."""


class Expression:
    """A compiled JMESPath expression, with the sub-expression that shows its evidence."""

    def __init__(self, text: str, evidence: str | None = None) -> None:
        self.text = text
        try:
            self._parsed = jmespath.compile(text)
            self._evidence = jmespath.compile(evidence).parsed if evidence else _default_evidence(self._parsed.parsed)
        except exceptions.JMESPathError as exc:
            raise ExpressionError(f"invalid JMESPath {evidence if evidence and text not in str(exc) else text!r}: "
                                  f"{str(exc).splitlines()[0]}") from None
        mistaken = sorted(self.field_names() & {"null", "true", "false"})
        if mistaken:
            # A bare null is a field called "null" in JMESPath, which is missing, so `x != null` holds by accident.
            raise ExpressionError(f"{text!r} reads a field named {mistaken[0]}; write the literal as `{mistaken[0]}`")

    def called_functions(self) -> list[tuple[str, list[Any]]]:
        """(name, literal arguments) of every function call, for load-time checks."""
        calls: list[tuple[str, list[Any]]] = []
        _walk_calls(self._parsed.parsed, calls)
        return calls

    def field_path(self) -> list[str]:
        """The chain of field names the evidence reads (e.g. Properties.BackupRetentionPeriod)."""
        return _fields(self._evidence)

    def field_names(self) -> set[str]:
        """Every field name the expression or its evidence reads, anywhere (string literals excluded)."""
        names: set[str] = set()
        for node in (self._parsed.parsed, self._evidence):
            _walk_fields(node, names)
        return names

    def foreign_field_names(self, functions: frozenset[str] = frozenset({"resolve", "resources"})) -> set[str]:
        """The field names read on what `functions` return (other resources), e.g. Type in resolve(X).Type."""
        names: set[str] = set()
        for node in (self._parsed.parsed, self._evidence):
            _walk_foreign(node, functions, names)
        return names

    def search(self, data: Any, context: Context) -> Any:
        return context.interpreter.visit(self._parsed.parsed, data)

    def evidence(self, data: Any, context: Context) -> Any:
        return context.interpreter.visit(self._evidence, data)


def _default_evidence(node: dict) -> dict:
    kind = node.get("type")
    if kind == "comparator" or kind in ("and_expression", "or_expression", "not_expression"):
        return _default_evidence(node["children"][0])
    if kind == "function_expression" and node["children"]:
        return _default_evidence(node["children"][0])
    return node


def _walk_calls(node: Any, calls: list) -> None:
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


_CHAINS = ("subexpression", "index_expression", "projection", "filter_projection", "value_projection", "pipe",
           "flatten")


def _from_call(node: Any, functions: frozenset[str]) -> bool:
    """Whether the value of `node` is (a part of) what one of `functions` returned."""
    if not isinstance(node, dict):
        return False
    if node.get("type") == "function_expression":
        return node.get("value") in functions
    return node.get("type") in _CHAINS and bool(node["children"]) and _from_call(node["children"][0], functions)


def _walk_foreign(node: Any, functions: frozenset[str], names: set[str]) -> None:
    if not isinstance(node, dict):
        return
    children = node.get("children", [])
    if node.get("type") in _CHAINS and children and _from_call(children[0], functions):
        for child in children[1:]:
            _walk_fields(child, names)
    for child in children:
        _walk_foreign(child, functions, names)


def _fields(node: dict) -> list[str]:
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


class _Functions(functions.Functions):
    def __init__(self, document: dict, params: Mapping[str, Any]) -> None:
        super().__init__()
        self.document = document
        self.params = params

    @functions.signature({"types": ["string"]})
    def _func_param(self, name: str) -> Any:
        if name not in self.params:
            raise exceptions.JMESPathError(f"param({name!r}) is not defined for this environment")
        return self.params[name]

    @functions.signature({"types": ["string"]}, {"types": []})
    def _func_regex_match(self, pattern: str, value: Any) -> bool:
        return impl.regex_match(pattern, value)

    @functions.signature({"types": []}, {"types": ["string"]})
    def _func_pattern_accepts(self, pattern: Any, sample: str) -> bool:
        return impl.pattern_accepts(pattern, sample)

    @functions.signature({"types": []})
    def _func_schedule_days(self, expression: Any) -> Any:
        return impl.schedule_days(expression)

    @functions.signature({"types": []})
    def _func_resolve(self, value: Any) -> Any:
        return impl.resolve_in(self.document, value)

    @functions.signature({"types": ["string"]})
    def _func_resources(self, resource_type: str) -> list:
        return impl.resources_in(self.document, resource_type)

    @functions.signature({"types": []})
    def _func_is_reference(self, value: Any) -> bool:
        return impl.is_reference_in(self.document, value)


CUSTOM_FUNCTIONS = tuple(name[len("_func_"):] for name in vars(_Functions) if name.startswith("_func_"))


def arity_problem(name: str, argument_count: int) -> str | None:
    """Why a call of `name` with that many arguments cannot work, or None."""
    spec = _Functions.FUNCTION_TABLE.get(name)
    if spec is None:
        return f"unknown function {name}()"
    signature = spec["signature"]
    variadic = bool(signature) and signature[-1].get("variadic")
    if argument_count < len(signature) or (argument_count > len(signature) and not variadic):
        return f"{name}() takes {len(signature)} argument(s), not {argument_count}"
    return None


class Context:
    """What expressions may see besides their input: the whole document and the environment's params."""

    def __init__(self, document: dict, params: Mapping[str, Any]) -> None:
        # One interpreter per context: it keeps its method cache across the rule's expressions.
        self.interpreter = TreeInterpreter(Options(custom_functions=_Functions(document, params)))


EvaluationError = (exceptions.JMESPathError, ValueError, TypeError, RecursionError)
