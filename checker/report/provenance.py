"""Where a template came from: the git commit checked out where it lives, when git can tell.

Only read-only git commands run (no index refresh, no lock files); without git, or outside a
repository, the report simply says the commit is not known.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

_TIMEOUT = 10


def _git(directory: Path, *args: str) -> str | None:
    try:
        completed = subprocess.run(["git", "-C", str(directory), *args], capture_output=True, text=True,
                                   timeout=_TIMEOUT, env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"}, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if completed.returncode != 0:
        return None
    return completed.stdout.strip() or None


def git_revision(path: str) -> dict[str, str | bool]:
    """{"git_commit": HEAD, "git_modified": whether the file differs from (or is absent in) HEAD}, or {}."""
    file = Path(path).resolve()
    commit = _git(file.parent, "rev-parse", "--verify", "--quiet", "HEAD")
    if not commit:
        return {}
    committed = _git(file.parent, "rev-parse", "--verify", "--quiet", f"HEAD:./{file.name}")
    current = _git(file.parent, "hash-object", "--", file.name)
    return {"git_commit": commit, "git_modified": committed is None or committed != current}
