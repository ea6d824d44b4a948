"""Paths as the user sees them, and the folders searched upward for the project's files."""
from __future__ import annotations

import os
from pathlib import Path


def search_path(start: Path) -> list[Path]:
    """The folders searched for checker.yaml: `start`, then its parents up to the repository root."""
    folders = []
    for folder in [start.resolve(), *start.resolve().parents]:
        folders.append(folder)
        if (folder / ".git").exists():
            return folders
    return folders[:1]  # outside a repository only the working directory is searched


def shown_path(path: str) -> str:
    """A path as short as it can be shown: relative to the working directory when that is shorter."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive
        return path
    return relative if len(relative) < len(path) or not Path(path).is_absolute() else path
