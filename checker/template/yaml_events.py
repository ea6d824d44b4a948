"""Build a template from libyaml's events: short-form intrinsics, source lines, and hard bounds.

Values are built straight from the event stream with an explicit stack, so nothing recurses: a
document nested too deeply is refused at the offending line, and the number of nodes that YAML
aliases expand to is counted as the document is read (a "billion laughs" file stops early, in
bounded memory). Short-form tags become their long form with cfn-flip's naming (`!Ref X` ->
`{"Ref": X}`, `!Sub s` -> `{"Fn::Sub": s}`, `!GetAtt a.b` -> `{"Fn::GetAtt": ["a", "b"]}`), plain
scalars resolve as YAML 1.1 does, and timestamps stay text, as CloudFormation reads them.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cfn_tools.yaml_loader import FN_PREFIX, UNCONVERTED_SUFFIXES
from yaml import MarkedYAMLError, YAMLError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

try:
    from yaml.cyaml import CParser as EventParser  # type: ignore[attr-defined]
except ImportError:  # libyaml not compiled in: same events, slower
    from yaml.loader import SafeLoader as EventParser  # type: ignore[assignment]

MAX_DEPTH = 100
MAX_NODES = 1_000_000

_STANDARD = "tag:yaml.org,2002:"
_IMPLICIT = Resolver.yaml_implicit_resolvers
_SCALARS = SafeConstructor()
_CONVERT: dict[str, Callable[[str], Any]] = {
    _STANDARD + "null": lambda value: None,
    _STANDARD + "bool": lambda value: _SCALARS.construct_yaml_bool(ScalarNode("", value)),
    _STANDARD + "int": lambda value: _SCALARS.construct_yaml_int(ScalarNode("", value)),
    _STANDARD + "float": lambda value: _SCALARS.construct_yaml_float(ScalarNode("", value)),
    _STANDARD + "str": str,
    _STANDARD + "timestamp": str,
    _STANDARD + "merge": str,
    _STANDARD + "value": str,
}
_NO_KEY = object()


class LineDict(dict[Any, Any]):
    """A mapping that remembers the source line of each of its keys."""

    __slots__ = ("lines",)

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[Any, int | None] = {}


class YamlError(Exception):
    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _error(event: Any, message: str) -> YamlError:
    mark = getattr(event, "start_mark", None)
    return YamlError(mark.line + 1 if mark is not None else None, message)


class _Frame:
    __slots__ = ("value", "event", "key", "key_line", "size")

    def __init__(self, value: Any, event: Any) -> None:
        self.value = value
        self.event = event
        self.key: Any = _NO_KEY
        self.key_line = 0
        self.size = 1


def _plain(value: str) -> Any:
    for tag, pattern in _IMPLICIT.get(value[:1], ()):
        if pattern.match(value):
            return _CONVERT[tag](value) if tag in _CONVERT else value
    return value


def _scalar(event: ScalarEvent) -> Any:
    tag, value = event.tag, event.value
    if tag is None or tag == "!":
        return _plain(value) if event.implicit[0] else value
    if tag.startswith(_STANDARD):
        if tag not in _CONVERT:
            raise _error(event, f"unsupported YAML tag {tag}")
        return _CONVERT[tag](value)
    if tag == "!GetAtt":
        return _short_form(tag, value.split(".", 1), event)
    return _short_form(tag, value, event)


def _short_form(tag: str, value: Any, event: Any) -> LineDict:
    suffix = tag[1:]
    if not tag.startswith("!") or not suffix or suffix.startswith("!"):
        raise _error(event, f"unsupported YAML tag {tag}")
    name = suffix if suffix in UNCONVERTED_SUFFIXES else FN_PREFIX + suffix
    function = LineDict()
    function[name] = value
    function.lines[name] = event.start_mark.line + 1
    return function


def _collection(frame: _Frame) -> Any:
    tag = frame.event.tag
    if tag is None or tag == "!" or tag in (_STANDARD + "seq", _STANDARD + "map"):
        return frame.value
    if tag == "!GetAtt" and not isinstance(frame.value, list):
        raise _error(frame.event, "!GetAtt takes Resource.Attribute or [Resource, Attribute]")
    return _short_form(tag, frame.value, frame.event)


def build(text: str, listen: Callable[[Any], None] | None = None) -> Any:
    """The single document in `text`, built from libyaml's events. Raises YamlError or YAMLError.

    `listen` sees every event as it is read (what else is built from the same text, in the same pass:
    checker.patch.spans)."""
    parser = EventParser(text)
    try:
        return _build(parser, listen)
    finally:
        parser.dispose()


def _build(parser: Any, listen: Callable[[Any], None] | None) -> Any:
    stack: list[_Frame] = []
    anchors: dict[str, tuple[Any, int | None]] = {}
    documents: list[Any] = []

    def attach(value: Any, size: int, event: Any) -> None:
        if not stack:
            documents.append(value)
            return
        frame = stack[-1]
        frame.size += size
        if frame.size > MAX_NODES:
            raise _error(event, f"expands to more than {MAX_NODES:,} nodes (YAML aliases)")
        if isinstance(frame.value, list):
            frame.value.append(value)
        elif frame.key is _NO_KEY:
            if isinstance(value, (dict, list)):
                raise _error(event, "mapping keys must be scalars")
            if value in frame.value:
                raise _error(event, f"duplicate key {value!r}")
            frame.key, frame.key_line = value, event.start_mark.line + 1
        else:
            frame.value[frame.key] = value
            frame.value.lines[frame.key] = frame.key_line
            frame.key = _NO_KEY

    while True:
        event = parser.get_event()
        if listen is not None:
            listen(event)
        kind = type(event)
        if len(stack) >= MAX_DEPTH and kind in (ScalarEvent, AliasEvent, MappingStartEvent, SequenceStartEvent):
            raise _error(event, f"nested more than {MAX_DEPTH} levels deep")
        if kind is ScalarEvent:
            value = _scalar(event)
            if event.anchor:
                anchors[event.anchor] = (value, 1)
            attach(value, 1, event)
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            stack.append(_Frame(LineDict() if kind is MappingStartEvent else [], event))
            if event.anchor:
                anchors[event.anchor] = (None, None)  # being built: an alias to it would be a cycle
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            frame = stack.pop()
            value = _collection(frame)
            if frame.event.anchor:
                anchors[frame.event.anchor] = (value, frame.size)
            attach(value, frame.size, frame.event)
        elif kind is AliasEvent:
            if event.anchor not in anchors:
                raise _error(event, f"found undefined alias {event.anchor!r}")
            value, size = anchors[event.anchor]
            if size is None:
                raise _error(event, f"alias {event.anchor!r} refers to itself")
            attach(value, size, event)
        elif kind is DocumentStartEvent and documents:
            raise _error(event, "expected a single document, found another")
        elif kind is StreamEndEvent:
            return documents[0] if documents else None
        elif kind not in (StreamStartEvent, DocumentStartEvent, DocumentEndEvent):
            raise _error(event, f"unexpected YAML event {kind.__name__}")


ParseErrors = (YamlError, MarkedYAMLError, YAMLError, ConstructorError, ValueError, TypeError)
