"""The options of the commands, declared once: the command line is built from them, `checker.yaml` may set
them (the command line wins), and the defaults apply last.

A config value is checked against the option's kind; paths in the config are relative to the config file.
"""
from __future__ import annotations

import argparse
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.engine.results import SEVERITY_ORDER
from checker.errors import InputError, did_you_mean
from checker.live import DEFAULT_WORKERS

FLAG, TEXT, NUMBER, SECONDS, NAMES, PATH, PATHS = "flag", "text", "number", "seconds", "names", "path", "paths"
REPORT_FORMATS = {"json": "the JSON report (re-rendered by 'checker report')", "html": "the auditor's HTML report",
                  "sarif": "SARIF 2.1.0 for code scanning", "junit": "JUnit XML for CI",
                  "markdown": "a Markdown summary for a pull request or CI step",
                  "suggestions": "pull-request review comments with the fixes as GitHub suggested changes (JSON)"}
TABLE = "table"
STDOUT = "-"


@dataclass(frozen=True)
class Option:
    """`name` is the long flag without its dashes and the key in checker.yaml. NAMES may be given comma-separated."""

    name: str
    help: str
    kind: str = TEXT
    default: Any = None
    choices: tuple[str, ...] | None = None
    metavar: str | None = None
    short: str | None = None

    @property
    def dest(self) -> str:
        return self.name.replace("-", "_")

    def add_to(self, parser: Any) -> None:
        flags = [f"--{self.name}"] + ([self.short] if self.short else [])
        if self.kind == FLAG:
            parser.add_argument(*flags, action=argparse.BooleanOptionalAction, default=None, help=self.help)
            return
        repeated = self.kind in (NAMES, PATHS)
        parser.add_argument(*flags, dest=self.dest, default=None, choices=self.choices, metavar=self.metavar,
                            type={NUMBER: int, SECONDS: float}.get(self.kind, str),
                            action="append" if repeated else "store",
                            help=self.help + (" (repeatable)" if repeated else ""))


def _comma_separated(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


ENVIRONMENT = (
    Option("env", "environment(s) to cover, from the config (default: every one declared; without a config, the "
           "one environment's name)", NAMES, metavar="NAME"),
)
RULES = (
    Option("rules", "use the rules in DIR instead of the bundled pack", PATHS, metavar="DIR"),
    Option("add-rules", "use the rules in DIR as well as the bundled pack", PATHS, metavar="DIR"),
    Option("skip-rule", "do not run these rules: ids, globs (PAY-S3-*) or control:NAME", NAMES, metavar="RULE"),
    Option("only-rule", "run only these rules: ids, globs (PAY-S3-*) or control:NAME", NAMES, metavar="RULE"),
)
OUTPUT = (
    Option("output", "format written to standard output: table (default) or a report format", TEXT, TABLE,
           (TABLE, *REPORT_FORMATS), "FORMAT", "-o"),
    *(Option(name, f"write {what} to PATH ('-': standard output)", PATH, metavar="PATH")
      for name, what in REPORT_FORMATS.items()),
    Option("verbose", "list passing and not-applicable results too", FLAG, False, short="-v"),
)
DECISION = (
    Option("fail-on", "lowest severity of a failure that fails the run (default: low)", TEXT, "low",
           tuple(SEVERITY_ORDER)[::-1]),
    Option("allow-errors", "do not fail the run on ERROR results or unknown resource types", FLAG, False),
    Option("baseline", "earlier JSON report or 'checker baseline' file: only failures not in it fail the run",
           PATH, metavar="PATH"),
    Option("soft-fail", "report failures but exit 0 (bad input still exits 2)", FLAG, False),
)
SCANNING = (
    Option("waivers", "waiver file applying to every template and live result", PATHS, metavar="PATH"),
    Option("quiet", "no progress display on the terminal", FLAG, False, short="-q"),
)
HOOK = (
    Option("skip-non-templates", "skip named files that are not templates instead of failing (for commit hooks)",
           FLAG, False),
)
AWS = (
    Option("profile", "AWS profile (default: the standard credential chain)"),
    Option("role-arn", "role to assume for reading", metavar="ARN"),
    Option("external-id", "external id the role's trust policy requires", metavar="ID"),
    Option("duration", "assumed-role session length; credentials are refreshed before they expire (default: 3600)",
           NUMBER, 3600, metavar="SECONDS"),
    Option("endpoint-url", "AWS-compatible endpoint for every service", metavar="URL"),
)
LIVE = (
    Option("workers", f"concurrent API calls (default: {DEFAULT_WORKERS})", NUMBER, DEFAULT_WORKERS, metavar="N"),
    Option("max-attempts", "attempts per API call, the first included (default: 5)", NUMBER, 5, metavar="N"),
    Option("read-timeout", "seconds to wait for an answer to one attempt (default: 10)", SECONDS, 10.0,
           metavar="SECONDS"),
    Option("deadline", "no API call starts after this many seconds; what was not read is ERROR", SECONDS,
           metavar="SECONDS"),
)
ALL = {option.name: option for group in (ENVIRONMENT, RULES, OUTPUT, DECISION, SCANNING, HOOK, AWS, LIVE)
       for option in group}
# Keys that are options on the command line but belong elsewhere in checker.yaml, or to one run only.
ELSEWHERE = {
    "region": "declare it per environment: environments.NAME.region",
    "account-id": "declare it per environment: environments.NAME.account_id",
    "param": "declare parameters per environment (environments.NAME.parameters) or per template (templates:)",
    "stack-name": "declare it per environment: environments.NAME.stack_name",
    "config": "it names this file",
    **dict.fromkeys(("live", "outputs", "template", "change-set-name", "template-name"),
                    "it describes one run: give it on the command line"),
}


def config_value(option: Option, value: Any, source: str, line: int | None, base: Path) -> Any:
    """A value for `option` read from checker.yaml at `source`:`line`, checked and with paths made usable."""
    def wrong(expected: str) -> InputError:
        return InputError(source, f"{option.name}: expected {expected}, not {value!r}", line)

    if option.kind == FLAG:
        if not isinstance(value, bool):
            raise wrong("true or false")
        return value
    if option.kind == NUMBER:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise wrong("a whole number of at least 1")
        return value
    if option.kind == SECONDS:
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            raise wrong("a number of seconds above 0")
        return float(value)
    if option.kind in (NAMES, PATHS):
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
            raise wrong("a name or a list of names" if option.kind == NAMES else "a path or a list of paths")
        return [_relative_to(base, i) for i in items] if option.kind == PATHS else _comma_separated(items)
    if not isinstance(value, str) or not value.strip():
        raise wrong("text")
    if option.choices and value not in option.choices:
        raise InputError(source, f"{option.name}: {value!r} is not one of {', '.join(option.choices)}", line)
    return _relative_to(base, value) if option.kind == PATH else value


def _relative_to(base: Path, path: str) -> str:
    """A path from the config, as the working directory reaches it (standard output stays '-')."""
    if path == STDOUT or os.path.isabs(path):
        return path
    return os.path.relpath(base / path)


def unknown_key(key: str, source: str, line: int | None, known: Iterable[str]) -> InputError:
    hint = ELSEWHERE.get(key)
    if hint:
        return InputError(source, f"{key} is not set at the top of the config: {hint}", line)
    return InputError(source, f"unknown key {key!r}{did_you_mean(key, known)}", line)


def settle(args: argparse.Namespace, options: Iterable[Option], configured: dict[str, Any]) -> None:
    """Fill in each option the command line left unset: from the config, else its default."""
    for option in options:
        given = getattr(args, option.dest, None)
        if given is None:
            value = configured.get(option.name, option.default)
            given = list(value) if isinstance(value, list) else value
        elif option.kind == NAMES:
            given = _comma_separated(given)
        setattr(args, option.dest, [] if given is None and option.kind in (NAMES, PATHS) else given)
