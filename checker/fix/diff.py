"""A fix as text changes: a unified diff for people, hunks (line and character ranges) for tools."""
from __future__ import annotations

import difflib
from dataclasses import dataclass


@dataclass(frozen=True)
class Hunk:
    """Lines `start_line`..`end_line` (1-based, inclusive) of the original replaced by `added`.

    A pure insertion has `end_line == start_line - 1`: the lines go before `start_line`.
    """
    start_line: int
    end_line: int
    removed: str
    added: str
    char_offset: int   # where the replaced text starts in the original
    char_length: int   # how many characters it spans

    def to_dict(self) -> dict:
        return dict(vars(self))


def unified_diff(before: str, after: str, path: str, context: int = 3) -> str:
    lines = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                 f"a/{path}", f"b/{path}", n=context)
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def hunks(before: str, after: str) -> list[Hunk]:
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    offsets = [0]
    for line in old:
        offsets.append(offsets[-1] + len(line))
    found = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            found.append(Hunk(i1 + 1, i2, "".join(old[i1:i2]), "".join(new[j1:j2]), offsets[i1],
                              offsets[i2] - offsets[i1]))
    return found
