"""Load CloudFormation templates (YAML with short-form intrinsics, or JSON), keeping source lines.

YAML goes through cfn-flip's tag handling on top of libyaml's C event parser. Composition is done
in Python on purpose: libyaml's C composer recurses without a limit (deep nesting crashes the
interpreter) and expands no budget for aliases, so this composer bounds nesting depth and the
number of nodes that aliases expand to before anything is built.
"""
from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from cfn_tools.yaml_loader import CfnYamlLoader, multi_constructor
from yaml.composer import Composer
from yaml.events import AliasEvent, MappingEndEvent, ScalarEvent, SequenceEndEvent, SequenceStartEvent
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from checker.errors import InputError

try:
    from yaml.cyaml import CParser as _EventParser
except ImportError:  # libyaml not compiled in: same semantics, slower
    from yaml.parser import Parser as _EventParser  # type: ignore[assignment]

MAX_DEPTH = 100
MAX_NODES = 1_000_000
MAX_BYTES = 16 * 1024 * 1024
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template", ".cfn")


class LineDict(dict):
    """A mapping that remembers the source line of each of its keys."""

    __slots__ = ("lines",)

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[Any, int] = {}


@dataclass(frozen=True)
class Template:
    path: str
    body: dict

    def line_of(self, *keys: Any) -> int | None:
        """Line of the deepest key of `keys` that exists in the source, e.g. ("Resources", "Bucket")."""
        node: Any = self.body
        line = None
        for key in keys:
            if isinstance(node, LineDict) and key in node:
                line = node.lines.get(key, line)
                node = node[key]
            elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
                node = node[key]
            else:
                break
        return line


class NotATemplate(InputError):
    """A well-formed file that is not a CloudFormation template (a directory walk skips it)."""


class _BoundedComposer(Composer):
    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(AliasEvent):
            event = self.get_event()
            node = self.anchors.get(event.anchor)
            if node is None:
                raise _error(event.start_mark, f"found undefined alias {event.anchor!r}")
            if not hasattr(node, "expanded"):
                raise _error(event.start_mark, f"alias {event.anchor!r} refers to itself")
            return node
        self.depth = getattr(self, "depth", 0) + 1
        if self.depth > MAX_DEPTH:
            raise _error(self.peek_event().start_mark, f"nested more than {MAX_DEPTH} levels deep")
        node = super().compose_node(parent, index)
        self.depth -= 1
        if isinstance(node, ScalarNode):
            node.expanded = 1
        else:
            children = node.value if isinstance(node, SequenceNode) else [n for pair in node.value for n in pair]
            node.expanded = 1 + sum(child.expanded for child in children)
            if node.expanded > MAX_NODES:
                raise _error(node.start_mark, f"expands to more than {MAX_NODES:,} nodes (YAML aliases)")
        return node


class _CfnLoader(_BoundedComposer, _EventParser, CfnYamlLoader):
    """libyaml events, a bounded Python composer, cfn-flip's constructors."""

    get_single_node = Composer.get_single_node
    compose_document = Composer.compose_document
    compose_scalar_node = Composer.compose_scalar_node
    compose_sequence_node = Composer.compose_sequence_node
    compose_mapping_node = Composer.compose_mapping_node
    check_node = Composer.check_node
    get_node = Composer.get_node

    def __init__(self, stream: str) -> None:
        _EventParser.__init__(self, stream)
        Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        Resolver.__init__(self)

    def construct_mapping(self, node: Any, deep: bool = False) -> LineDict:
        if not isinstance(node, MappingNode):
            raise _error(node.start_mark, "expected a mapping")
        mapping = LineDict()
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, (str, int, float, bool)):
                raise _error(key_node.start_mark, "mapping keys must be scalars")
            if key in mapping:
                raise _error(key_node.start_mark, f"duplicate key {key!r}")
            mapping[key] = self.construct_object(value_node, deep=deep)
            mapping.lines[key] = key_node.start_mark.line + 1
        return mapping

    def construct_timestamp_as_text(self, node: Any) -> str:
        return self.construct_scalar(node)

    def construct_get_att(self, node: Any) -> dict:
        """!GetAtt Resource.Attribute, or !GetAtt [Resource, Attribute] (the attribute may be an intrinsic)."""
        if isinstance(node, ScalarNode):
            return {"Fn::GetAtt": self.construct_scalar(node).split(".", 1)}
        if isinstance(node, SequenceNode):
            return {"Fn::GetAtt": self.construct_sequence(node, deep=True)}
        raise _error(node.start_mark, "!GetAtt takes Resource.Attribute or [Resource, Attribute]")


_CfnLoader.add_constructor("tag:yaml.org,2002:map", _CfnLoader.construct_mapping)
_CfnLoader.add_constructor("tag:yaml.org,2002:timestamp", _CfnLoader.construct_timestamp_as_text)
_CfnLoader.add_constructor("!GetAtt", _CfnLoader.construct_get_att)
_CfnLoader.add_multi_constructor("!", multi_constructor)


class _YamlError(Exception):
    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _error(mark: Any, message: str) -> _YamlError:
    return _YamlError(mark.line + 1 if mark is not None else None, message)


def _parse_yaml(text: str, source: str) -> Any:
    loader = _CfnLoader(text)
    try:
        return loader.get_single_data()
    except _YamlError as exc:
        raise InputError(source, exc.message, exc.line) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise InputError(source, f"malformed YAML: {exc.problem or exc.context}", line) from None
    except yaml.YAMLError as exc:
        raise InputError(source, f"malformed YAML: {exc}") from None
    except (ValueError, TypeError) as exc:
        raise InputError(source, f"malformed YAML: {exc}") from None
    except RecursionError:
        raise InputError(source, f"nested more than {MAX_DEPTH} levels deep") from None
    finally:
        loader.dispose()


# Every JSON string token, in document order; group 1 is set when the string is an object key.
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"(\s*:)?', re.DOTALL)


class _Pairs(list):
    """Key/value pairs of one JSON object, in source order, duplicates kept."""


def _parse_json(text: str, source: str) -> Any:
    try:
        data = json.loads(text, object_pairs_hook=_Pairs)
    except json.JSONDecodeError as exc:
        raise InputError(source, f"malformed JSON: {exc.msg}", exc.lineno) from None
    except RecursionError:
        raise InputError(source, f"nested more than {MAX_DEPTH} levels deep") from None
    newlines = [m.start() for m in re.finditer("\n", text)]
    key_lines = (bisect.bisect_left(newlines, m.start()) + 1 for m in _JSON_STRING.finditer(text) if m.group(1))
    return _index_json(data, key_lines, source, 1)  # the top-level value is level 1, as in YAML


def _index_json(value: Any, key_lines: Any, source: str, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise InputError(source, f"nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, _Pairs):
        mapping = LineDict()
        for key, item in value:
            line = next(key_lines, None)
            if key in mapping:
                raise InputError(source, f"duplicate key {key!r}", line)
            mapping.lines[key] = line
            mapping[key] = _index_json(item, key_lines, source, depth + 1)
        return mapping
    if isinstance(value, list):
        return [_index_json(item, key_lines, source, depth + 1) for item in value]
    return value


def parse(text: str, source: str) -> Any:
    """Parse template text (JSON when it starts with '{', else YAML) into LineDicts and lists."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("{"):
        return _parse_json(text.removeprefix("\ufeff"), source)  # lines still count from the top
    return _parse_yaml(text, source)


def read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(str(path), f"file is {size:,} bytes; templates larger than {MAX_BYTES:,} bytes are refused")
        return path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), exc.strerror or str(exc)) from None


def decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(source, f"not UTF-8 text (byte {exc.start})") from None


def read_text(path: Path) -> str:
    return decode(read_bytes(path), str(path))


def load_template(path: str | Path) -> Template:
    """Load one template file. Raises InputError (NotATemplate for a valid non-template file)."""
    path = Path(path)
    source = str(path)
    text = read_text(path)
    if "Resources" not in text:
        raise NotATemplate(source, "not a CloudFormation template (no Resources section)")
    return Template(source, validate_shape(parse(text, source), source))


def validate_shape(body: Any, source: str) -> dict:
    if not isinstance(body, dict) or "Resources" not in body:
        raise NotATemplate(source, "not a CloudFormation template (no Resources section)")
    resources = body["Resources"]
    line = _line(body, "Resources")
    if not isinstance(resources, dict):
        raise InputError(source, f"Resources must be a mapping of logical ids, not {_kind(resources)}", line)
    for logical_id, resource in resources.items():
        rline = _line(resources, logical_id) or line
        if not isinstance(resource, dict):
            raise InputError(source, f"resource {logical_id!r} must be a mapping, not {_kind(resource)}", rline)
        if not isinstance(resource.get("Type"), str):
            raise InputError(source, f"resource {logical_id!r} has no Type", rline)
        if "Properties" in resource and not isinstance(resource["Properties"], (dict, type(None))):
            raise InputError(source, f"resource {logical_id!r}: Properties must be a mapping", rline)
    for section in ("Parameters", "Mappings", "Conditions", "Outputs", "Rules"):
        if section in body and not isinstance(body[section], (dict, type(None))):
            raise InputError(source, f"{section} must be a mapping, not {_kind(body[section])}", _line(body, section))
    return body


def _line(mapping: Any, key: Any) -> int | None:
    return mapping.lines.get(key) if isinstance(mapping, LineDict) else None


def _kind(value: Any) -> str:
    return {list: "a list", str: "a string", type(None): "empty"}.get(type(value), type(value).__name__)
