"""Edit a template's text in place: only the lines an edit needs change, in the file's own style.

Every edit is checked: the edited text is parsed again with the template loader, and the result
must equal the template as it was with exactly that change made in memory. An edit that would read
back any differently is refused (PatchError) and the text is left as it was.
"""
from __future__ import annotations

from typing import Any

from checker.errors import InputError
from checker.patch.emit import (
    MAX_INLINE,
    JsonEmitter,
    Style,
    YamlEmitter,
    column,
    detect_style,
    json_addition,
    line_indent,
)
from checker.patch.paths import MISSING, PatchError, at, dotted, nest, plain
from checker.patch.spans import MAP, SEQ, Node, YamlSpans, find, json_spans
from checker.template.load import parse


class SourceText:
    """A template's text with a span tree; `set`, `remove`, `append` and `insert` edit it in place."""

    def copy(self) -> SourceText:
        """An independent copy to edit (the parsed forms are shared: edits replace them, never change them)."""
        _ = self.root  # built once here rather than by every copy that edits
        twin = object.__new__(SourceText)
        twin.__dict__.update(self.__dict__)
        return twin

    def __init__(self, text: str, path: str = "<template>", style: Style | None = None) -> None:
        self.path = path
        self.bom = "\ufeff" if text.startswith("\ufeff") else ""
        self.text = text[len(self.bom):]
        self.is_json = self.text.lstrip(" \t\r\n").startswith("{")
        self._read()
        self.style = style or detect_style(self.text, self.root, self.is_json)
        self._yaml = YamlEmitter(self.style)
        self._json = JsonEmitter(self.style)

    def _read(self) -> None:
        events: list[Any] | None = None if self.is_json else []  # the loader's events, for the span tree
        try:
            self.body = parse(self.text, self.path, None if events is None else events.append)
        except InputError as exc:
            raise PatchError(str(exc)) from None
        self._events: list[Any] | None = events
        self._root: Node | None = None

    @property
    def root(self) -> Node:
        """The span tree, built when an edit first needs it (the read-back check of an edit does not)."""
        root = self._root
        if root is None:
            if self._events is None:
                root = json_spans(self.text)
            else:
                spans = YamlSpans(self.text)
                for event in self._events:
                    spans(event)
                if spans.root is None:
                    raise PatchError(f"{self.path} holds no YAML document")
                root = spans.root
            self._root = root
        return root

    @property
    def full_text(self) -> str:
        return self.bom + self.text

    def blank_lines_between(self, path: tuple) -> bool:
        """Whether the entries of the mapping at `path` are (somewhere) separated by blank lines."""
        node = find(self.root, path)
        entries = node.entries if node is not None else []
        return any("\n\n" in self.text[a.value.end:b.key_start].replace("\r", "").replace(" ", "")
                   for a, b in zip(entries, entries[1:], strict=False))

    def value(self, path: tuple) -> Any:
        """The value at `path` as the template loader reads it, or MISSING."""
        return at(self.body, path)

    def mapping(self, path: tuple) -> dict:
        """The mapping at `path`, or an empty one when there is none."""
        found = self.value(path)
        return found if isinstance(found, dict) else {}

    # --- edits ---------------------------------------------------------------------------------------

    def set(self, path: tuple, value: Any) -> None:
        """Give `path` the value `value`, creating the mappings (and one-item lists) on the way."""
        if self.value(path) == value:
            return
        depth = len(path)
        while depth and find(self.root, path[:depth]) is None:
            depth -= 1
        node = find(self.root, path[:depth])
        if node is None:
            raise PatchError(f"{dotted(path)} cannot be located in {self.path}")
        if depth == len(path):
            self._edit(path, value, lambda: self._replace(path, node, value))
            return
        step, created = path[depth], nest(path[depth + 1:], value)
        if node.kind == SEQ and isinstance(step, int) and step == len(node.items):
            self.append(path[:depth], created)
        elif node.kind == MAP and not isinstance(step, int):
            self.insert(path[:depth], step, created)
        else:
            raise PatchError(f"cannot add {dotted(path)}: {dotted(path[:depth]) or 'the template'} "
                             f"is not a mapping that can take it")

    def remove(self, path: tuple) -> None:
        if self.value(path) is MISSING:
            return
        parent = self._container(path[:-1])
        if len(parent.entries or parent.items) == 1:
            self.set(path[:-1], {} if parent.kind == MAP else [])
            return
        self._edit(path, MISSING, lambda: self._cut(parent, path[-1]))

    def append(self, path: tuple, value: Any) -> None:
        """Add `value` at the end of the list at `path`."""
        sequence = self._container(path)
        if sequence.kind != SEQ:
            raise PatchError(f"{dotted(path)} is not a list")
        self._edit(path + (len(sequence.items),), value, lambda: self._add_item(path, sequence, value))

    def insert(self, path: tuple, key: Any, value: Any, *, after: Any = None, before: Any = None,
               blank_line: bool = False) -> None:
        """Add `key: value` to the mapping at `path`: last, or right after / before an existing key."""
        mapping = self._container(path)
        if mapping.kind != MAP or mapping.entry(key) is not None:
            raise PatchError(f"cannot add {dotted(path + (key,))}: it exists or its parent is not a mapping")
        self._edit(path + (key,), value, lambda: self._add_entry(path, mapping, key, value, after, before,
                                                                 blank_line))

    # --- machinery -----------------------------------------------------------------------------------

    def _container(self, path: tuple) -> Node:
        node = find(self.root, path)
        if node is None or node.kind not in (MAP, SEQ) or node.intrinsic_name() is not None:
            raise PatchError(f"{dotted(path) or 'the template'} is not a mapping or list in {self.path}")
        return node

    def add_all(self, entries: dict[tuple, Any]) -> None:
        """Add several new keys, each to an existing mapping, in one edit (one read-back check)."""
        changes = []
        for path, value in entries.items():
            mapping = self._container(path[:-1])
            if mapping.kind != MAP or mapping.entry(path[-1]) is not None:
                raise PatchError(f"cannot add {dotted(path)}: it exists or its parent is not a mapping")
            changes.append((mapping.end, path, value, mapping))
        changes.sort(key=lambda change: change[0], reverse=True)  # from the end: earlier offsets stay valid

        def add() -> None:
            for _, path, value, mapping in changes:
                self._add_entry(path[:-1], mapping, path[-1], value, None, None, False)

        self._edit_all([(path, value) for _, path, value, _ in changes], add)

    def _edit(self, path: tuple, value: Any, change: Any) -> None:
        self._edit_all([(path, value)], change)

    def _edit_all(self, edits: list[tuple[tuple, Any]], change: Any) -> None:
        expected = _edited(self.body, edits)
        before = (self.text, self.body, self._events, self._root)
        change()
        path = edits[0][0]
        try:
            self._read()
            if self.body == expected:  # a LineDict equals the dict of the same items
                return
            problem = "the edited text reads back differently"
        except (PatchError, ValueError) as exc:
            problem = f"the edited text does not parse ({exc})"
        self.text, self.body, self._events, self._root = before
        raise PatchError(f"cannot edit {dotted(path)} in {self.path}: {problem}")

    def _splice(self, start: int, end: int, text: str) -> None:
        if self.style.newline != "\n":
            text = text.replace("\r\n", "\n").replace("\n", self.style.newline)
        self.text = self.text[:start] + text + self.text[end:]

    def _line_start(self, offset: int) -> int:
        return self.text.rfind("\n", 0, offset) + 1

    def _next_line(self, offset: int) -> int:
        end = self.text.find("\n", offset)
        return len(self.text) if end < 0 else end + 1

    def _replace(self, path: tuple, node: Node, value: Any) -> None:
        parent = find(self.root, path[:-1])
        assert parent is not None
        if self.is_json:
            indent = line_indent(self.text, node.start)
            self._splice(node.start, node.end, self._json.value(value, indent))
            return
        inline = self._yaml.inline(value, flow=parent.flow)
        if parent.flow:
            if inline is None:  # the flow collection around it becomes block style
                merged = plain(self.value(path[:-1]))
                merged[path[-1]] = value
                self._replace(path[:-1], parent, merged)
                return
            self._splice(node.start, node.end, inline)
        elif parent.kind == MAP:
            entry = parent.entry(path[-1])
            assert entry is not None
            if inline is not None and node.kind not in (MAP, SEQ) or inline is not None and node.flow:
                self._splice(node.start, node.end, inline)
            else:
                self._splice(entry.key_start, node.end,
                             self._yaml.entry(entry.key, value, column(self.text, entry.key_start)))
        else:
            dash = self.text.rfind("-", self._line_start(node.start), node.start)
            self._splice(dash, node.end, self._yaml.item(value, column(self.text, dash)))

    def _cut(self, parent: Node, step: Any) -> None:
        index = step if parent.kind == SEQ else parent.entries.index(parent.entry(step))  # type: ignore[arg-type]
        starts = [e.key_start for e in parent.entries] if parent.kind == MAP else [i.start for i in parent.items]
        ends = [e.value.end for e in parent.entries] if parent.kind == MAP else [i.end for i in parent.items]
        if parent.flow or self.is_json:
            if index + 1 < len(starts):
                self._splice(starts[index], starts[index + 1], "")
            else:
                self._splice(ends[index - 1], ends[index], "")
            return
        first = self._line_start(starts[index])
        prefix = self.text[first:starts[index]]
        if parent.kind == SEQ:
            first = self._line_start(self.text.rfind("-", first, starts[index]))
            self._cut_lines(first, self._next_line(ends[index]))
        elif prefix.strip():  # the first key of a list item ("- Key: ..."): the next key moves up
            self._splice(starts[index], starts[index + 1], "")
        else:
            self._cut_lines(first, self._next_line(ends[index]))

    def _add_item(self, path: tuple, sequence: Node, value: Any) -> None:
        if self.is_json:
            self._add_json(sequence, None, value, len(sequence.items))
            return
        if sequence.flow:
            inline = self._yaml.inline(value, flow=True)
            if inline is None or self._outgrows(sequence, inline):
                self._replace(path, sequence, plain(self.value(path)) + [value])
            elif sequence.items:
                self._splice(sequence.items[-1].end, sequence.items[-1].end, ", " + inline)
            else:
                self._splice(sequence.start, sequence.end, f"[{inline}]")
            return
        dash = column(self.text, sequence.start)
        self._insert_lines(self._next_line(sequence.end), " " * dash + self._yaml.item(value, dash))

    def _outgrows(self, collection: Node, addition: str) -> bool:
        """Whether a flow collection that fits on a line would no longer fit with `addition`: it is then
        written anew (block style when long), so that edits do not grow a line without end."""
        length = collection.end - collection.start
        return length <= MAX_INLINE < length + len(addition) + 2

    def _add_entry(self, path: tuple, mapping: Node, key: Any, value: Any, after: Any, before: Any,
                   blank_line: bool) -> None:
        keys = [e.key for e in mapping.entries]
        position = keys.index(after) + 1 if after in keys else keys.index(before) if before in keys else len(keys)
        if self.is_json:
            self._add_json(mapping, key, value, position)
            return
        if mapping.flow:
            inline = self._yaml.inline(value, flow=True)
            merged = plain(self.value(path))
            merged[key] = value
            if inline is None or not mapping.entries or self._outgrows(mapping, f"{self._yaml.key(key)}: {inline}"):
                self._replace(path, mapping, merged)
            else:
                self._splice(mapping.entries[-1].value.end, mapping.entries[-1].value.end,
                             f", {self._yaml.key(key)}: {inline}")
            return
        col = column(self.text, mapping.entries[0].key_start)
        entry_text = " " * col + self._yaml.entry(key, value, col)
        if position < len(keys):
            offset = self._above_comments(self._line_start(mapping.entries[position].key_start))
            self._insert_lines(offset, entry_text + ("\n" if blank_line else ""))
        else:
            anchor = mapping.entries[position - 1].value.end
            self._insert_lines(self._next_line(anchor), ("\n" if blank_line else "") + entry_text)

    def _above_comments(self, offset: int) -> int:
        """`offset` moved up over the comment lines right above it (they belong to what follows)."""
        while offset > 0:
            previous = self._line_start(offset - 1)
            if not self.text[previous:offset].strip().startswith("#"):
                break
            offset = previous
        return offset

    def _insert_lines(self, offset: int, lines: str) -> None:
        if offset == len(self.text) and self.text and not self.text.endswith("\n"):
            self._splice(offset, offset, "\n" + lines)  # the file still ends without a line break
        else:
            self._splice(offset, offset, lines + "\n")

    def _cut_lines(self, start: int, end: int) -> None:
        """Remove whole lines; at the end of a file without a final line break, the break before them too."""
        if end == len(self.text) and not self.text.endswith("\n") and start > 0:
            start -= 2 if self.text[start - 2:start] == "\r\n" else 1
        self._splice(start, end, "")

    def _add_json(self, container: Node, key: Any, value: Any, position: int) -> None:
        self._splice(*json_addition(self.text, container, key, value, position, self._json))


def _edited(body: Any, edits: list[tuple[tuple, Any]]) -> Any:
    """`body` with the edits made, copying only the mappings and lists on their paths (the rest is shared)."""
    root = dict(body) if isinstance(body, dict) else list(body) if isinstance(body, list) else body
    copied = {id(root)}
    for path, value in edits:
        parent: Any = root
        for step in path[:-1]:
            child = parent[step]
            if id(child) not in copied:
                child = dict(child) if isinstance(child, dict) else list(child)
                copied.add(id(child))
                parent[step] = child
            parent = child
        if value is MISSING:
            del parent[path[-1]]
        elif isinstance(parent, list) and path[-1] == len(parent):
            parent.append(plain(value))
        else:
            parent[path[-1]] = plain(value)
    return root
