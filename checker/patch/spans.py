"""Where each value of a template sits in its text: a tree of spans for YAML (from the events the template
loader reads, in the same pass) and JSON.

A span is a pair of character offsets. Block collections end where their last value ends, so text
after them (comments, blank lines) belongs to what follows. Short-form tags stay on their node:
`!If [...]` is one sequence node tagged `!If`, which `child` also answers for the key `Fn::If`.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

import yaml
from cfn_tools.yaml_loader import FN_PREFIX, UNCONVERTED_SUFFIXES
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

MAP, SEQ, SCALAR = "map", "seq", "scalar"


@dataclass(slots=True)
class Node:
    kind: str             # MAP, SEQ or SCALAR
    start: int            # offset of the first character (the tag, when there is one)
    end: int              # offset after the last character of the value itself
    flow: bool = False    # a flow collection ({...} / [...]) or a JSON value
    tag: str | None = None
    style: str | None = None  # scalar style: None (plain), "'", '"', "|", ">"
    entries: list[Entry] = field(default_factory=list)  # MAP
    items: list[Node] = field(default_factory=list)     # SEQ

    def intrinsic_name(self) -> str | None:
        """The long name of a short-form tag (`!Ref` -> Ref, `!If` -> Fn::If), else None."""
        if not self.tag or not self.tag.startswith("!") or self.tag.startswith("!!") or len(self.tag) < 2:
            return None
        suffix = self.tag[1:]
        return suffix if suffix in UNCONVERTED_SUFFIXES else FN_PREFIX + suffix

    def entry(self, key: Any) -> Entry | None:
        return next((e for e in self.entries if e.key == key), None)

    def child(self, step: Any) -> Node | None:
        """The node one path step below: a mapping key, a sequence index, or a short-form tag's own name."""
        if self.intrinsic_name() is not None and step == self.intrinsic_name():
            return Node(self.kind, self.start, self.end, self.flow, None, self.style, self.entries, self.items)
        if self.kind == MAP:
            found = self.entry(step)
            return found.value if found else None
        if self.kind == SEQ and isinstance(step, int) and 0 <= step < len(self.items):
            return self.items[step]
        return None


@dataclass(slots=True)
class Entry:
    key: Any
    key_start: int
    key_end: int
    value: Node


def find(root: Node, path: tuple) -> Node | None:
    node: Node | None = root
    for step in path:
        if node is None:
            return None
        node = node.child(step)
    return node


# --- YAML --------------------------------------------------------------------------------------------


class YamlSpans:
    """Builds the span tree of a YAML text from the events the template loader reads: pass it as the
    loader's `listen` (checker.template.load.parse); `root` is the tree once the text is read."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.root: Node | None = None
        self._open: list[tuple[Node, Any]] = []  # collections being read, with their start event
        self._keys: list[Any] = []  # per open mapping: the key event waiting for its value, or None
        self._anchors: dict[str, Node] = {}

    def __call__(self, event: Any) -> None:
        kind = type(event)
        if kind is ScalarEvent:
            start, end = event.start_mark.index, event.end_mark.index
            if event.style in ("|", ">"):
                end = start + len(self.text[start:end].rstrip())
            self._attach(Node(SCALAR, start, end, tag=_tag(event), style=event.style), event)
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            start = event.start_mark.index
            node = Node(MAP if kind is MappingStartEvent else SEQ, start, start, flow=bool(event.flow_style),
                        tag=_tag(event))
            self._open.append((node, event))
            self._keys.append(None)
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            node, start = self._open.pop()
            self._keys.pop()
            last = node.entries[-1].value if node.entries else node.items[-1] if node.items else None
            node.end = event.end_mark.index if node.flow or last is None else last.end
            self._attach(node, start)
        elif kind is AliasEvent and event.anchor in self._anchors:
            self._attach(copy.copy(self._anchors[event.anchor]), event)

    def _attach(self, node: Node, event: Any) -> None:
        if getattr(event, "anchor", None) and type(event) is not AliasEvent:
            self._anchors[event.anchor] = node
        if not self._open:
            self.root = node
            return
        parent = self._open[-1][0]
        if parent.kind == SEQ:
            parent.items.append(node)
            return
        key = self._keys[-1]
        if key is None:
            self._keys[-1] = event
            return
        if node.kind == SCALAR and node.start == node.end and getattr(event, "value", None) == "" \
                and not event.style:
            colon = self.text.index(":", key.end_mark.index)  # an empty value sits right after its key's colon
            node.start = node.end = colon + 1
        parent.entries.append(Entry(_key_value(getattr(key, "value", "")), key.start_mark.index,
                                    key.end_mark.index, node))
        self._keys[-1] = None


def _tag(event: Any) -> str | None:
    tag = event.tag
    return tag if isinstance(tag, str) and tag.startswith("!") and not tag.startswith("!!") and tag != "!" \
        else None


def _key_value(text: str) -> Any:
    """A mapping key as the template loader reads it (keys are almost always plain text)."""
    try:
        return yaml.safe_load(text) if text in ("true", "false", "null") or text.isdigit() else text
    except yaml.YAMLError:
        return text


# --- JSON --------------------------------------------------------------------------------------------


_WHITESPACE = " \t\r\n"


def json_spans(text: str) -> Node:
    """The span tree of a JSON text (which json.loads has already accepted)."""
    node, _ = _json_value(text, _skip(text, 0))
    return node


def _skip(text: str, index: int) -> int:
    while index < len(text) and text[index] in _WHITESPACE:
        index += 1
    return index


def _json_string_end(text: str, index: int) -> int:
    index += 1
    while text[index] != '"':
        index += 2 if text[index] == "\\" else 1
    return index + 1


def _json_value(text: str, start: int) -> tuple[Node, int]:
    char = text[start]
    if char in "{[":
        node = Node(MAP if char == "{" else SEQ, start, start, flow=True)
        index = _skip(text, start + 1)
        while text[index] not in "}]":
            if node.kind == MAP:
                key_end = _json_string_end(text, index)
                value, after = _json_value(text, _skip(text, _skip(text, key_end) + 1))
                node.entries.append(Entry(json.loads(text[index:key_end]), index, key_end, value))
            else:
                item, after = _json_value(text, index)
                node.items.append(item)
            index = _skip(text, after)
            if text[index] == ",":
                index = _skip(text, index + 1)
        node.end = index + 1
        return node, node.end
    if char == '"':
        end = _json_string_end(text, start)
        return Node(SCALAR, start, end, flow=True, style='"'), end
    end = start
    while end < len(text) and text[end] not in _WHITESPACE + ",]}":
        end += 1
    return Node(SCALAR, start, end, flow=True), end
