"""Where templates came from: their path in the git repository that holds them, and the commit checked
out there, when git can tell.

Templates are grouped by the repository that holds them (found by looking for `.git` upwards, without
starting git), and each repository is asked three read-only questions whatever the number of templates:
its HEAD, the committed blobs of the templates, and their current blobs. No index refresh, no lock files;
without git, or outside a repository, the report simply says the commit is not known.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

_TIMEOUT = 30


def _git(directory: Path, *args: str, stdin: str | None = None) -> str | None:
    try:
        completed = subprocess.run(["git", "-C", str(directory), *args], capture_output=True, text=True,
                                   input=stdin, timeout=_TIMEOUT, check=False,
                                   env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"})
    except (OSError, subprocess.SubprocessError):
        return None
    if completed.returncode != 0:
        return None
    return completed.stdout


def _repository(directory: Path, roots: dict[Path, Path | None]) -> Path | None:
    """The working tree holding `directory` (its `.git` may be a directory or, in a worktree, a file)."""
    if directory not in roots:
        parent = directory.parent
        roots[directory] = directory if (directory / ".git").exists() else (
            None if parent == directory else _repository(parent, roots))
    return roots[directory]


def git_revisions(paths: list[str]) -> dict[str, dict[str, str | bool]]:
    """For each path, {"repository_path": its path from the repository's root, "git_commit": HEAD,
    "git_modified": whether it differs from (or is absent in) HEAD}; {} outside a repository, and no commit
    when git cannot tell."""
    roots: dict[Path, Path | None] = {}
    by_repository: dict[Path, list[tuple[str, Path]]] = {}
    found: dict[str, dict[str, str | bool]] = {path: {} for path in paths}
    for path in paths:
        file = Path(path).resolve()
        root = _repository(file.parent, roots)
        if root is not None:
            by_repository.setdefault(root, []).append((path, file))
    for root, files in by_repository.items():
        relative = [file.relative_to(root).as_posix() for _, file in files]
        for (path, _), name in zip(files, relative, strict=True):
            found[path] = {"repository_path": name}
        head = _git(root, "rev-parse", "--verify", "--quiet", "HEAD")
        if not head:
            continue
        listing = _git(root, "ls-tree", "-z", "HEAD", "--", *relative) or ""
        committed = {entry.split("\t", 1)[1]: entry.split("\t", 1)[0].split()[2]
                     for entry in listing.split("\0") if "\t" in entry}
        current = (_git(root, "hash-object", "--stdin-paths", stdin="\n".join(relative) + "\n") or "").split()
        for (path, _), name, blob in zip(files, relative, current + [""] * len(relative), strict=False):
            found[path].update(git_commit=head.strip(), git_modified=committed.get(name) != blob)
    return found


def git_revision(path: str) -> dict[str, str | bool]:
    """The revision of one template (see git_revisions)."""
    return git_revisions([path])[path]
