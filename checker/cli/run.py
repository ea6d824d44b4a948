"""What every command shares: the config and its options, the rule pack, where output goes, and how a
run ends (console, reports, exit code)."""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from checker.decision.baseline import Baseline, load_baseline
from checker.decision.gate import Decision
from checker.decision.waivers import Waiver, load_waiver_file
from checker.engine.rules import Rule, bundled_rule_dirs, load_rules
from checker.engine.selection import RuleSelection, select_rules
from checker.errors import InputError
from checker.project.config import Config, find_config
from checker.project.options import REPORT_FORMATS, STDOUT, TABLE, settle
from checker.report.console import Console

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
_STDOUT_PATHS = ("/dev/stdout", "/dev/fd/1", "/proc/self/fd/1")
T = TypeVar("T")


@dataclass
class Run:
    """One command's settled arguments, its config, and where its human-readable output goes."""

    args: argparse.Namespace
    config: Config | None
    origins: dict[str, str]  # option name -> where it was given ("--baseline", "checker.yaml: baseline")
    stdout_format: str | None  # a report format written to standard output, if one is
    console: Console

    def given_with(self, option: str) -> str:
        return self.origins.get(option, f"--{option}")

    def read(self, option: str, path: str, reader: Callable[[str], T]) -> T:
        """`reader(path)`, with an error about that file saying which option named it."""
        try:
            return reader(path)
        except InputError as exc:
            if exc.source != str(path):
                raise
            raise InputError(exc.source, f"{exc.message} (given with {self.given_with(option)})", exc.line) from None

    def pack(self) -> list[Rule]:
        """Every rule loaded: the bundled pack (or --rules), plus --add-rules."""
        own = [self.read("rules", d, _directory) for d in self.args.rules] or bundled_rule_dirs()
        extra = [self.read("add-rules", d, _directory) for d in self.args.add_rules]
        return load_rules(own + extra)

    def rule_selection(self) -> RuleSelection:
        return select_rules(self.pack(), self.args.only_rule, self.args.skip_rule)

    def baseline(self) -> Baseline | None:
        return self.read("baseline", self.args.baseline, load_baseline) if self.args.baseline else None

    def waivers(self) -> list[Waiver]:
        return [w for path in self.args.waivers for w in self.read("waivers", path, load_waiver_file)]

    def report_targets(self) -> dict[str, str | None]:
        """Report format -> file to write (those going to standard output are written there instead)."""
        return {name: None if _is_stdout(path) else path
                for name in REPORT_FORMATS if (path := getattr(self.args, name, None))}

    def finish(self, decision: Decision, payload: dict[str, Any] | None, input_errors: bool,
               subject_lines: list[str] | None = None, interrupted: bool = False) -> int:
        """Write the reports, print the verdict lines, and turn the decision into the exit code (130 after
        a live scan cut short with Ctrl-C)."""
        failures: list[str] = []
        if payload is not None:
            from checker.report import write_reports

            failures = write_reports(payload, self.report_targets(), self.stdout_format)
        for failure in failures:
            self.console.error(failure)
        for line in subject_lines or []:
            self.console.line(line)
        if input_errors or failures:
            return EXIT_INPUT
        if interrupted:
            return EXIT_INTERRUPTED
        if decision.blocked and self.args.soft_fail:
            print("checker: --soft-fail: failures reported, exit status 0", file=sys.stderr)
            return EXIT_OK
        return EXIT_FAILED if decision.blocked else EXIT_OK


def _directory(path: str) -> Path:
    if not Path(path).is_dir():
        raise InputError(path, "rule directory does not exist")
    return Path(path)


def _is_stdout(path: str) -> bool:
    if path == STDOUT or path in _STDOUT_PATHS:
        return True
    try:
        return os.path.exists(path) and os.path.samestat(os.stat(path), os.fstat(sys.stdout.fileno()))
    except (OSError, ValueError, AttributeError):  # standard output without a file descriptor (captured)
        return False


def start(args: argparse.Namespace) -> Run:
    """Find the config, fill in the options the command line left unset, and decide where output goes."""
    config = find_config(getattr(args, "config", None))
    configured = config.options if config else {}
    options = getattr(args, "options", ())
    origins = {o.name: f"--{o.name}" for o in options if getattr(args, o.dest, None) is not None}
    origins.update({name: f"{config.path}: {name}" for name in configured if name not in origins and config})
    settle(args, options, configured)
    stdout_format = _stdout_format(args)
    to_stderr = stdout_format is not None
    console = Console.on(sys.stderr if to_stderr else sys.stdout, sys.stderr)
    return Run(args, config, origins, stdout_format, console)


def _stdout_format(args: argparse.Namespace) -> str | None:
    """The one report format standard output carries (`-o FORMAT`, or a report path of '-'), if any."""
    chosen = {name for name in REPORT_FORMATS if getattr(args, name, None) and _is_stdout(getattr(args, name))}
    output = getattr(args, "output", TABLE) or TABLE
    if output != TABLE:
        chosen.add(output)
    if len(chosen) > 1:
        raise InputError("--output", f"only one format can go to standard output, not {', '.join(sorted(chosen))}")
    return next(iter(chosen), None)
