"""Where each value of a template sits in its text: a tree of spans for YAML (from libyaml's composer) and JSON.

A span is a pair of character offsets. Block collections end where their last value ends, so text
after them (comments, blank lines) belongs to what follows. Short-form tags stay on their node:
`!If [...]` is one sequence node tagged `!If`, which `child` also answers for the key `Fn::If`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import yaml
from cfn_tools.yaml_loader import FN_PREFIX, UNCONVERTED_SUFFIXES

try:
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # libyaml not compiled in
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]


class _Loader(_BaseLoader):
    """Spans need no types: every untagged node is taken as it comes (resolving them is most of the cost)."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        return {yaml.ScalarNode: "tag:yaml.org,2002:str", yaml.SequenceNode: "tag:yaml.org,2002:seq"}.get(
            kind, "tag:yaml.org,2002:map")

MAP, SEQ, SCALAR = "map", "seq", "scalar"


@dataclass
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


@dataclass
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


def yaml_spans(text: str) -> Node:
    """The span tree of a single-document YAML text (which the template loader has already accepted)."""
    node = yaml.compose(text, Loader=_Loader)
    if node is None:
        raise ValueError("empty YAML document")
    return _yaml_node(node, text)


def _yaml_node(node: Any, text: str) -> Node:
    tag = node.tag if isinstance(node.tag, str) and node.tag.startswith("!") and not node.tag.startswith("!!") \
        else None
    if isinstance(node, yaml.ScalarNode):
        start, end = node.start_mark.index, node.end_mark.index
        if node.style in ("|", ">"):
            end = start + len(text[start:end].rstrip())
        return Node(SCALAR, start, end, tag=tag, style=node.style)
    flow = bool(node.flow_style)
    if isinstance(node, yaml.SequenceNode):
        items = [_yaml_node(item, text) for item in node.value]
        end = node.end_mark.index if flow or not items else items[-1].end
        return Node(SEQ, node.start_mark.index, end, flow=flow, tag=tag, items=items)
    entries = []
    for key, value in node.value:
        child = _yaml_node(value, text)
        if child.kind == SCALAR and child.start == child.end and value.value == "" and not value.style:
            colon = text.index(":", key.end_mark.index)  # an empty value sits right after its key's colon
            child.start = child.end = colon + 1
        entries.append(Entry(_key_value(key.value), key.start_mark.index, key.end_mark.index, child))
    end = node.end_mark.index if flow or not entries else entries[-1].value.end
    return Node(MAP, node.start_mark.index, end, flow=flow, tag=tag, entries=entries)


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
