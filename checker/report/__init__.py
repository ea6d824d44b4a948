"""Reports. Every format is rendered from one payload (see payload.py) and written atomically."""
from __future__ import annotations

import importlib
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TextIO

from checker.engine.spool import Records


def _file_mode(path: Path) -> int:
    """The mode the file has, or a new file's mode under the umask (mkstemp alone would leave 0600)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(path: str | Path, text: str | Iterable[str]) -> None:
    """Write `text` (or its pieces, written as they come) to `path` through a temporary file in the same
    directory, then rename.

    A symbolic link keeps pointing where it did: its target is replaced. A path that is no regular file
    (/dev/stdout, a pipe) cannot be renamed over and is written directly.
    """
    path = Path(path)
    pieces = [text] if isinstance(text, str) else text
    if path.exists() and not path.is_file():
        with open(path, "w", encoding="utf-8") as stream:
            stream.writelines(pieces)
        return
    path = path.resolve() if path.is_symlink() else path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, _file_mode(path))
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.writelines(pieces)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _json(payload: dict) -> str:
    return "".join(json_lines(payload))


def json_lines(payload: dict) -> Iterator[str]:
    """The payload as JSON with one result per line, line by line: readable in a diff, written by the C
    encoder (an indented dump would take the pure-Python one), and never held whole."""
    encode = json.JSONEncoder(default=str).encode  # one encoder for every line
    head = encode({**{k: v for k, v in payload.items() if k != "results"}, "results": []})
    results = payload.get("results") or []
    if not results:
        yield head + "\n"
        return
    yield head[:-2] + "\n"
    last = len(results) - 1
    lines = results.lines() if isinstance(results, Records) else map(encode, results)  # a spool's are encoded
    for number, line in enumerate(lines):
        yield line + (",\n" if number < last else "\n]}\n")


def _whole(payload: dict, formats: list[str]) -> dict:
    """The payload with its results read back whole, for the formats that sort and group them (only JSON is
    written as its results are read)."""
    results = payload.get("results")
    if not isinstance(results, Records) or all(name == "json" for name in formats):
        return payload
    return {**payload, "results": list(results)}


# Format name -> "module:function" rendering the payload as text. Imported on use, so that a scan that
# writes no HTML never imports Jinja2.
FORMATS: dict[str, str] = {
    "json": "checker.report:_json", "html": "checker.report.html:render_html",
    "sarif": "checker.report.sarif:render_sarif", "junit": "checker.report.junit:render_junit",
    "markdown": "checker.report.markdown:render_markdown",
    "suggestions": "checker.fix.report:render_suggestions",
}


def renderer(name: str) -> Callable[[dict], str]:
    module, _, function = FORMATS[name].partition(":")
    return getattr(importlib.import_module(module), function)


def write_reports(payload: dict, targets: dict[str, str | None], stdout_format: str | None = None,
                  stdout: TextIO | None = None) -> list[str]:
    """Write each requested format, and `stdout_format` to standard output; a failure in one does not stop
    the others. Returns the failures."""
    failures = []
    formats = [name for name, path in targets.items() if path] + ([stdout_format] if stdout_format else [])
    whole = _whole(payload, formats)
    for name, path in targets.items():
        if not path:
            continue
        try:
            if name == "html" and payload.get("org"):  # an organisation's report is paged: one page per account
                from checker.report.pages import write_pages

                write_pages(payload, path)
            else:
                write_atomic(path, json_lines(payload) if name == "json" else renderer(name)(whole))
        except Exception as exc:  # noqa: BLE001 - one format's failure must not cost the others or the exit code
            failures.append(f"{path}: could not write the {name} report: {exc}")
    if stdout_format:
        try:
            text = renderer(stdout_format)(payload if stdout_format == "json" else whole)
        except Exception as exc:  # noqa: BLE001 - as above
            failures.append(f"standard output: could not write the {stdout_format} report: {exc}")
        else:
            stream = stdout or sys.stdout
            stream.write(text)
            stream.flush()
    return failures
