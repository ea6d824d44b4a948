"""Path globs as in .gitignore: `*` within one folder name, `**` across folders, `dir/` for a whole folder.

A glob without a slash (other than a trailing one) matches a file or folder name at any depth; one with a
slash matches from the folder it is relative to. A path matches when it or one of its parent folders does.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath


@dataclass(frozen=True)
class Glob:
    text: str
    pattern: re.Pattern[str]
    folder_only: bool  # written with a trailing slash: matches folders (and so everything beneath them)

    def matches(self, relative: str, is_folder: bool = False) -> bool:
        """Whether `relative` (a POSIX path relative to the glob's base) or one of its parent folders matches."""
        parts = PurePosixPath(relative).parts
        for end in range(1, len(parts) + 1):
            folder = end < len(parts) or is_folder
            if (folder or not self.folder_only) and self.pattern.fullmatch("/".join(parts[:end])):
                return True
        return False


def compile_glob(text: str) -> Glob:
    folder_only = text.endswith("/")
    body = text.strip("/") if folder_only else text.lstrip("/")
    anchored = "/" in body or text.startswith("/")
    pattern = _translate(body)
    if not anchored:
        pattern = f"(?:.*/)?{pattern}"
    return Glob(text, re.compile(pattern), folder_only)


def _translate(glob: str) -> str:
    out = []
    index = 0
    while index < len(glob):
        char = glob[index]
        if glob.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
            continue
        if glob.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and "]" in glob[index + 2:]:
            close = glob.index("]", index + 2)
            inner = glob[index + 1:close].replace("\\", "\\\\")
            out.append("[^" + inner[1:] + "]" if inner.startswith("!") else "[" + inner + "]")
            index = close + 1
            continue
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)
