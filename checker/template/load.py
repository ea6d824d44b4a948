"""Load CloudFormation templates (YAML with short-form intrinsics, or JSON), keeping source lines.

YAML is read from libyaml's event parser by checker.template.yaml_events (bounded depth and alias
expansion); JSON by the standard library, with key lines recovered from the text.
"""
from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checker.errors import InputError
from checker.template.document_types import TemplateBody
from checker.template.yaml_events import MAX_DEPTH, LineDict, ParseErrors, YamlError, build

if TYPE_CHECKING:
    from checker.template.document_types import Document

MAX_BYTES = 16 * 1024 * 1024
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template", ".cfn")
__all__ = ["LineDict", "Template", "NotATemplate", "load_template", "parse", "validate_shape"]


@dataclass(frozen=True)
class Template:
    path: str
    body: TemplateBody
    # Resources a transform generated -> the resource of the source they come from (for lines).
    sources: Mapping[str, str] = field(default_factory=dict)
    source_body: TemplateBody | None = None  # the body as written, when `body` is its transformed form
    # Rendered documents by environment (checker.template.render): each environment is rendered once a run.
    renders: dict[tuple[Any, ...], Document] = field(default_factory=dict, compare=False, repr=False)
    # Lines found, by keys: every environment's results point at the same places.
    lines: dict[tuple[Any, ...], int | None] = field(default_factory=dict, init=False, compare=False, repr=False)

    def line_of(self, *keys: Any) -> int | None:
        """Line of the deepest key of `keys` that exists in the source, e.g. ("Resources", "Bucket")."""
        if keys not in self.lines:
            self.lines[keys] = self._line_of(keys)
        return self.lines[keys]

    def _line_of(self, keys: tuple[Any, ...]) -> int | None:
        if self.source_body is not None:
            if len(keys) >= 2 and keys[0] == "Resources" and keys[1] in self.sources:
                keys = ("Resources", self.sources[keys[1]], *keys[2:])
            return _deepest_line(self.source_body, keys)
        return _deepest_line(self.body, keys)


def _deepest_line(body: TemplateBody, keys: tuple[Any, ...]) -> int | None:
    node: Any = body
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


def _parse_yaml(text: str, source: str, listen: Callable[[Any], None] | None = None) -> Any:
    try:
        return build(text, listen)
    except YamlError as exc:
        raise InputError(source, exc.message, exc.line) from None
    except ParseErrors as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        detail = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc)
        line = mark.line + 1 if mark else None
        if "nesting depth" in detail:  # newer libyaml stops deep nesting itself, before our own bound
            raise InputError(source, f"nested more than {MAX_DEPTH} levels deep", line) from None
        raise InputError(source, f"malformed YAML: {detail}", line) from None


# Every JSON string token, in document order; group 1 is set when the string is an object key.
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"(\s*:)?', re.DOTALL)


# String tokens and brackets: enough to follow a JSON document's nesting without parsing it.
_JSON_NESTING = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class _Pairs(list[tuple[str, Any]]):
    """Key/value pairs of one JSON object, in source order, duplicates kept."""


def _parse_json(text: str, source: str) -> Any:
    try:
        data = json.loads(text, object_pairs_hook=_Pairs)
    except json.JSONDecodeError as exc:
        raise InputError(source, f"malformed JSON: {exc.msg}", exc.lineno) from None
    except RecursionError:
        raise _too_deep(text, source) from None
    newlines = [m.start() for m in re.finditer("\n", text)]
    key_lines = (bisect.bisect_left(newlines, m.start()) + 1 for m in _JSON_STRING.finditer(text) if m.group(1))
    return _index_json(data, key_lines, text, source, 1)  # the top-level value is level 1, as in YAML


def _too_deep(text: str, source: str) -> InputError:
    """The nesting error, at the line of the first bracket that opens level MAX_DEPTH."""
    depth, line = 0, None
    for match in _JSON_NESTING.finditer(text):
        token = match.group()
        depth += 1 if token in "[{" else -1 if token in "]}" else 0
        if depth >= MAX_DEPTH:
            line = text.count("\n", 0, match.start()) + 1
            break
    return InputError(source, f"nested more than {MAX_DEPTH} levels deep", line)


def _index_json(value: Any, key_lines: Any, text: str, source: str, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise _too_deep(text, source)
    if isinstance(value, _Pairs):
        mapping = LineDict()
        for key, item in value:
            line: int | None = next(key_lines, None)
            if key in mapping:
                raise InputError(source, f"duplicate key {key!r}", line)
            mapping.lines[key] = line
            mapping[key] = _index_json(item, key_lines, text, source, depth + 1)
        return mapping
    if isinstance(value, list):
        return [_index_json(item, key_lines, text, source, depth + 1) for item in value]
    return value


def parse(text: str, source: str, listen: Callable[[Any], None] | None = None) -> Any:
    """Parse template text (JSON when it starts with '{', else YAML) into LineDicts and lists. `listen`
    sees each YAML event as it is read (checker.template.yaml_events.build)."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("{"):
        return _parse_json(text.removeprefix("\ufeff"), source)  # lines still count from the top
    return _parse_yaml(text, source, listen)


def read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(str(path), f"file is {size:,} bytes; templates over {MAX_BYTES:,} bytes are refused")
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


def read_json(path: str | Path) -> Any:
    """A JSON file (parameter file, stack outputs, saved report); unreadable or malformed is an InputError."""
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(source, exc.strerror or str(exc)) from None
    try:
        return json.loads(decode(data, source))
    except json.JSONDecodeError as exc:
        raise InputError(source, f"malformed JSON: {exc.msg}", exc.lineno) from None


def load_template(path: str | Path) -> Template:
    """Load one template file. Raises InputError (NotATemplate for a valid non-template file)."""
    path = Path(path)
    source = str(path)
    text = read_text(path)
    if "Resources" not in text:
        raise NotATemplate(source, "not a CloudFormation template (no Resources section)")
    return Template(source, validate_shape(parse(text, source), source))


def validate_shape(body: Any, source: str) -> TemplateBody:
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


def template_from_body(body: str | dict[str, Any], source: str) -> Template:
    """A Template from GetTemplate's TemplateBody: YAML text, or JSON that boto3 already decoded."""
    text = json.dumps(body, indent=2) if isinstance(body, dict) else str(body)
    return Template(source, validate_shape(parse(text, source), source))
