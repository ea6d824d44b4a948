"""Finding templates: files named on the command line, folders walked, paths the config excludes."""
from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from checker.decision.waivers import WAIVER_FILE
from checker.errors import InputError
from checker.project.config import CONFIG_NAME, Config
from checker.template.load import TEMPLATE_SUFFIXES

# Folders a directory walk never enters (a folder named on the command line is still scanned).
SKIPPED_FOLDERS = ("build", "node_modules", "__pycache__")


@dataclass
class TemplateFiles:
    """Template candidates (files named, and those found in folders), and what could not be taken."""

    given: list[str] = field(default_factory=list)
    candidates: list[Path] = field(default_factory=list)
    named: set[Path] = field(default_factory=set)
    missing: list[InputError] = field(default_factory=list)
    excluded: list[InputError] = field(default_factory=list)


def _walked_into(folder: Path, config: Config | None) -> bool:
    """Whether a directory walk enters `folder`: not hidden, no build output, dependencies or virtualenv."""
    name = folder.name
    if name.startswith(".") or name in SKIPPED_FOLDERS or (folder / "pyvenv.cfg").is_file():
        return False
    return config is None or config.excluded_by(folder, is_folder=True) is None


def find_templates(paths: Sequence[str | Path], config: Config | None = None) -> TemplateFiles:
    """Files as given, folders walked; the config's `exclude:` globs apply to both."""
    found = TemplateFiles(given=[str(p) for p in paths])
    for given in map(Path, paths):
        if given.is_dir():
            for root, dirs, files in os.walk(given):
                dirs[:] = sorted(d for d in dirs if _walked_into(Path(root, d), config))
                found.candidates += [Path(root, f) for f in sorted(files)
                                     if f.lower().endswith(TEMPLATE_SUFFIXES) and f not in (WAIVER_FILE, CONFIG_NAME)
                                     and (config is None or config.excluded_by(Path(root, f)) is None)]
        elif given.is_file():
            glob = config.excluded_by(given) if config else None
            if glob:
                found.excluded.append(InputError(str(given), f"excluded by {config.path if config else ''}: {glob}"))
                continue
            found.candidates.append(given)
            found.named.add(given)
        else:
            found.missing.append(InputError(str(given), "no such file or directory"))
    return found
