"""Write new values the way the template around them is written: its indentation, quotes and intrinsic forms.

`detect_style` reads a template's habits from its text and span tree; `YamlEmitter` and `JsonEmitter`
turn a value (as the template loader would read it, intrinsics in long form) into text in that style.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml

from checker.patch.spans import MAP, SCALAR, SEQ, Entry, Node

_SHORT_SCALAR = ("Ref", "Condition", "Fn::Sub", "Fn::Base64", "Fn::GetAZs", "Fn::ImportValue")
MAX_INLINE = 100  # longest flow collection written on one line
_BLOCK_KEYS = {"Properties", "Metadata", "Parameters", "Resources", "Mappings", "Conditions", "Rules", "Outputs"}


@dataclass(frozen=True)
class Style:
    json: bool = False
    unit: str = "  "            # one level of indentation
    sequence_offset: int = 2    # YAML: columns between a key and the dashes of its block sequence
    short_form: bool = True     # YAML: !Ref X rather than {Ref: X}
    quote: str = '"'
    newline: str = "\n"
    colon: str = ": "           # JSON: between a key and its value
    flow_maps: bool = False     # YAML: the file writes small mappings as {Key: value}


def column(text: str, offset: int) -> int:
    return offset - (text.rfind("\n", 0, offset) + 1)


def line_indent(text: str, offset: int) -> str:
    start = text.rfind("\n", 0, offset) + 1
    end = start
    while end < len(text) and text[end] in " \t":
        end += 1
    return text[start:end]


def detect_style(text: str, root: Node, is_json: bool) -> Style:
    newline = "\r\n" if "\r\n" in text else "\n"
    nodes = list(_walk(root))
    if is_json:
        units: Counter[str] = Counter()
        colons: Counter[str] = Counter()
        for node in nodes:
            for entry in node.entries:
                colons[text[entry.key_end:entry.value.start].replace("\n", " ").replace("\r", "")] += 1
                child = entry.value
                if child.kind in (MAP, SEQ) and text.count("\n", child.start, child.end):
                    inner = child.entries[0].key_start if child.entries else child.items[0].start if child.items \
                        else None
                    outer, deeper = line_indent(text, entry.key_start), line_indent(text, inner) if inner else ""
                    if inner is not None and deeper.startswith(outer) and len(deeper) > len(outer):
                        units[deeper[len(outer):]] += 1
        colon = colons.most_common(1)[0][0].strip() if colons else ":"
        spaced = next((c for c, _ in colons.most_common() if c.strip() == ":"), ": ")
        return Style(json=True, unit=units.most_common(1)[0][0] if units else "  ", newline=newline,
                     colon=spaced if spaced.endswith(" ") else colon + " ")
    units_yaml: Counter[int] = Counter()
    offsets: Counter[int] = Counter()
    quotes: Counter[str] = Counter()
    short = long = 0
    for node in nodes:
        short += node.intrinsic_name() is not None
        quotes[node.style or ""] += node.kind == SCALAR and node.style in ("'", '"')
        for entry in node.entries:
            long += entry.key == "Ref" or (isinstance(entry.key, str) and entry.key.startswith("Fn::"))
            child = entry.value
            if node.flow or child.flow or child.tag:
                continue
            if child.kind == MAP and child.entries:
                units_yaml[column(text, child.entries[0].key_start) - column(text, entry.key_start)] += 1
            elif child.kind == SEQ and child.items:
                offsets[column(text, child.start) - column(text, entry.key_start)] += 1
    unit = next((u for u, _ in units_yaml.most_common() if u > 0), 2)
    offset = next((o for o, _ in offsets.most_common() if o >= 0), unit)
    quote = "'" if quotes["'"] > quotes['"'] else '"'
    flow_maps = any(n.kind == MAP and n.flow and n.entries and not n.tag for n in nodes)
    return Style(unit=" " * unit, sequence_offset=offset, short_form=short > 0 or long == 0, quote=quote,
                 newline=newline, flow_maps=flow_maps)


def _walk(node: Node) -> Any:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(e.value for e in current.entries)
        stack.extend(current.items)


def _intrinsic(value: Any) -> tuple[str, Any] | None:
    if isinstance(value, dict) and len(value) == 1:
        (name, argument), = value.items()
        if name in ("Ref", "Condition") or (isinstance(name, str) and name.startswith("Fn::")):
            return name, argument
    return None


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


@lru_cache(maxsize=4096)
def _plain_reads_back(text: str, flow: bool) -> bool:
    if not text or text != text.strip() or "\n" in text or text[0] in "!&*|>%@`'\"#":
        return False
    try:
        return yaml.safe_load(f"[{text}]" if flow else f"k: {text}") == ([text] if flow else {"k": text})
    except yaml.YAMLError:
        return False


class YamlEmitter:
    def __init__(self, style: Style) -> None:
        self.style = style
        self.unit = len(style.unit)

    def scalar(self, value: Any, flow: bool = False) -> str:
        if value is None:
            return "null"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return repr(value)
        text = str(value)
        if _plain_reads_back(text, flow):
            return text
        if self.style.quote == "'" and text.isprintable():
            return "'" + text.replace("'", "''") + "'"
        return json.dumps(text, ensure_ascii=False)

    def key(self, key: Any) -> str:
        return self.scalar(key)

    def inline(self, value: Any, flow: bool = False) -> str | None:
        """The value on one line, or None when it needs block form."""
        if isinstance(value, str) and "\n" in value:
            return json.dumps(value, ensure_ascii=False) if flow else None
        if _scalar(value):
            return self.scalar(value, flow)
        function = _intrinsic(value)
        if function and self.style.short_form:
            return self._short_inline(*function, flow)
        if isinstance(value, dict):
            if not value:
                return "{}"
            if not flow and not (self.style.flow_maps and len(value) == 1 and all(map(_scalar, value.values()))):
                return None
            parts = [f"{self.key(k)}: {self.inline(v, True)}" for k, v in value.items()]
            return self._fits("{" + ", ".join(parts) + "}") if all(self.inline(v, True) for v in value.values()) \
                else None
        if isinstance(value, list):
            if not value:
                return "[]"
            if not flow and not all(_scalar(v) for v in value):
                return None
            items = [self.inline(v, True) for v in value]
            texts = [p for p in items if p is not None]
            return self._fits("[" + ", ".join(texts) + "]") if len(texts) == len(items) else None
        return None

    def _fits(self, text: str) -> str | None:
        return text if len(text) <= MAX_INLINE else None

    def _short_inline(self, name: str, argument: Any, flow: bool) -> str | None:
        tag = "!" + name.removeprefix("Fn::")
        if name == "Fn::GetAtt" and isinstance(argument, list) and len(argument) == 2 \
                and all(isinstance(a, str) for a in argument) and "." not in argument[0]:
            return f"!GetAtt {argument[0]}.{argument[1]}"
        if name in _SHORT_SCALAR and isinstance(argument, str):
            return f"{tag} {self.scalar(argument, flow)}"
        if isinstance(argument, (list, dict)):
            inner = self.inline(argument, True)
            return f"{tag} {inner}" if inner else None
        return None

    def entry(self, key: Any, value: Any, col: int) -> str:
        """`key: value` whose first line starts at column `col` (not indented here); later lines indented."""
        if key in _BLOCK_KEYS and isinstance(value, dict) and value and not _intrinsic(value):
            return self.key(key) + ":" + "".join(
                f"\n{' ' * (col + self.unit)}{self.entry(k, v, col + self.unit)}" for k, v in value.items())
        return self.key(key) + ":" + self._after_indicator(value, col)

    def item(self, value: Any, col: int) -> str:
        """`- value` of a block sequence whose dash is at column `col`."""
        inline = self.inline(value)
        if inline is not None:
            return "- " + inline
        inner = col + 2
        if isinstance(value, dict) and not (self.style.short_form and _intrinsic(value)):
            parts = [self.entry(k, v, inner) for k, v in value.items()]
            return "- " + f"\n{' ' * inner}".join(parts)
        if isinstance(value, list):
            parts = [self.item(v, inner) for v in value]
            return "- " + f"\n{' ' * inner}".join(parts)
        return "-" + self._after_indicator(value, col)

    def _after_indicator(self, value: Any, col: int) -> str:
        """What follows `key:` or `-`: the value inline, or on the next lines."""
        inline = self.inline(value)
        if inline is not None:
            return " " + inline
        function = _intrinsic(value)
        if function and self.style.short_form:
            name, argument = function
            return " !" + name.removeprefix("Fn::") + self._after_indicator(argument, col)
        if isinstance(value, str):
            return self._literal(value, col + self.unit)
        if isinstance(value, dict):
            inner = col + self.unit
            return "".join(f"\n{' ' * inner}{self.entry(k, v, inner)}" for k, v in value.items())
        dash = col + self.style.sequence_offset
        return "".join(f"\n{' ' * dash}{self.item(v, dash)}" for v in value)

    def _literal(self, text: str, col: int) -> str:
        if text[:1] in " \t" or not all(line.isprintable() for line in text.split("\n")):
            return " " + json.dumps(text, ensure_ascii=False)
        body = text.rstrip("\n")
        trailing = len(text) - len(body)
        indicator = "|-" if trailing == 0 else "|" if trailing == 1 else "|+"
        lines = body.split("\n") + [""] * (trailing - 1 if trailing > 1 else 0)
        return " " + indicator + "".join(f"\n{' ' * col}{line}" if line else "\n" for line in lines)


class JsonEmitter:
    def __init__(self, style: Style) -> None:
        self.style = style

    def _compact(self, value: Any) -> str | None:
        """Scalars, intrinsic functions of simple arguments and lists of them fit on one line."""
        function = _intrinsic(value)
        simple = _scalar(value) or (function is not None and self._simple(function[1])) or \
            (isinstance(value, list) and all(self._simple(v) for v in value))
        if not simple:
            return None
        text = json.dumps(value, ensure_ascii=False, separators=(", ", self.style.colon))
        return text if len(text) <= MAX_INLINE else None

    def _simple(self, value: Any, nested: bool = True) -> bool:
        """A scalar, an intrinsic function of one, or (unless `nested` is off) a list of those."""
        function = _intrinsic(value)
        return _scalar(value) or (function is not None and self._simple(function[1], False)) or \
            (nested and isinstance(value, list) and all(self._simple(v, False) for v in value))

    def value(self, value: Any, indent: str) -> str:
        """The value, its first line placed after a key on a line indented by `indent`."""
        compact = self._compact(value)
        if compact is not None or _scalar(value) or not value:
            return compact if compact is not None else json.dumps(value, ensure_ascii=False)
        inner = indent + self.style.unit
        newline = self.style.newline
        if isinstance(value, dict):
            members = [f"{inner}{self.member(k, v, inner)}" for k, v in value.items()]
            return "{" + newline + ("," + newline).join(members) + newline + indent + "}"
        items = [f"{inner}{self.value(v, inner)}" for v in value]
        return "[" + newline + ("," + newline).join(items) + newline + indent + "]"

    def member(self, key: Any, value: Any, indent: str) -> str:
        return json.dumps(str(key), ensure_ascii=False) + self.style.colon + self.value(value, indent)


def json_addition(text: str, container: Node, key: Any, value: Any, position: int,
                  emitter: JsonEmitter) -> tuple[int, int, str]:
    """The splice (start, end, text) that adds `key: value` (or the item `value` when `key` is None) at
    `position` of a JSON object or array, in the indentation of its members."""
    members: list[Entry] | list[Node] = container.entries if container.kind == MAP else container.items
    starts = [m.key_start if isinstance(m, Entry) else m.start for m in members]
    ends = [m.value.end if isinstance(m, Entry) else m.end for m in members]
    newline = emitter.style.newline

    def written(indent: str) -> str:
        return emitter.member(key, value, indent) if key is not None else emitter.value(value, indent)

    if not members:
        outer = line_indent(text, container.start)
        inner = outer + emitter.style.unit
        brackets = "{}" if container.kind == MAP else "[]"
        return container.start, container.end, \
            f"{brackets[0]}{newline}{inner}{written(inner)}{newline}{outer}{brackets[1]}"
    single_line = "\n" not in text[container.start:container.end]
    indent = line_indent(text, starts[0])
    separator = ", " if single_line else "," + newline + indent
    if position >= len(members):
        return ends[-1], ends[-1], separator + written(indent)
    return starts[position], starts[position], written(indent) + separator
