"""Console output: a header, a table of what needs attention, notes, and a summary per environment.

Messages are printed whole, wrapped to the terminal's width; paths relative to the working directory;
colour only on a terminal (and never with NO_COLOR).
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from checker.decision.waivers import WaiverOutcome
from checker.engine.results import ERROR, FAIL, NOT_APPLICABLE, NOT_COLLECTED, NOT_FOUND, PASS, WAIVED, Result
from checker.project.config import CONFIG_NAME
from checker.project.paths import search_path, shown_path
from checker.project.plan import EnvironmentPlan
from checker.report.terminal import Paint, colour_enabled, width_of, wrap
from checker.scans import ScanReport
from checker.template.environment import ENVIRONMENT_PARAMETER

if TYPE_CHECKING:
    from checker.engine.results import Tally

_STATUS_STYLES = {FAIL: ("red", "bold"), ERROR: ("magenta", "bold"), NOT_FOUND: ("magenta",),
                  NOT_COLLECTED: ("magenta",), WAIVED: ("cyan",), PASS: ("green",), NOT_APPLICABLE: ("dim",)}
_SEVERITY_STYLES = {"critical": ("red", "bold"), "high": ("red",), "medium": ("yellow",), "low": ("dim",)}
_LABELS = {WAIVED: "waived", NOT_FOUND: "not found", NOT_COLLECTED: "not collected"}
DRIFT_SHOWN = 10

BaselineState = Callable[[Result], "str | None"]


@dataclass
class Console:
    """Where human-readable output goes (`out`; errors to `err`), how wide it may be and whether in colour."""

    out: TextIO
    err: TextIO
    width: int | None = None
    paint: Paint = field(default_factory=lambda: Paint(False))

    @classmethod
    def on(cls, out: TextIO, err: TextIO) -> Console:
        return cls(out, err, width_of(out), Paint(colour_enabled(out)))

    def line(self, text: str = "") -> None:
        print(text, file=self.out)

    def error(self, text: str) -> None:
        print(f"checker: error: {text}", file=self.err)

    def results(self, report: ScanReport, verbose: bool = False, baseline_state: BaselineState | None = None,
                table: bool = True) -> None:
        """Findings, then what was skipped or noted about the inputs, the summary, and the next step."""
        self.findings(report.results, verbose, baseline_state, table)
        self.inputs([asdict(u) for u in report.unknown_types], [str(s) for s in report.skipped], report.notes,
                    [str(e) for e in report.errors], report.waivers)
        self.summary(report.tally())
        self.fix_hint(report.results)

    def fix_hint(self, results: list[Result]) -> None:
        """The next step for templates with failures: `checker fix` proposes a verified patch."""
        for path in sorted({r.file for r in results if r.status == FAIL and r.source == "template" and r.file}):
            self.line(f"next: checker fix {shown_path(path)} shows a patch for its failures, verified in every "
                      "environment (--write applies it)")

    def findings(self, results: list[Result], verbose: bool = False, baseline_state: BaselineState | None = None,
                 table: bool = True) -> None:
        """The table of failures and errors (every result with `verbose`), each with its whole message."""
        shown = [r for r in results if verbose or r.status in (FAIL, ERROR)]
        if shown and table:
            self._table(shown, baseline_state)

    def inputs(self, unknown_types: list[dict], skipped: list[str], notes: list[str], errors: list[str],
               waivers: WaiverOutcome | None = None) -> None:
        for unknown in unknown_types:
            where = shown_path(str(unknown.get("file"))) + (f":{unknown['line']}" if unknown.get("line") else "")
            self.line(f"unknown resource type {unknown.get('resource_type')} ({unknown.get('resource')}) at {where}")
        for item in skipped:
            self.line(f"skipped {item}")
        for note in notes:
            for text in wrap(f"note: {note}", self.width, ""):
                self.line(text)
        if waivers:
            self.waivers(waivers)
        for error in errors:
            self.error(error)

    def _table(self, shown: list[Result], baseline_state: BaselineState | None) -> None:
        heading = ["ENV", "STATUS", "SEVERITY", "RULE", "RESOURCE", "LOCATION"]
        files = {file: shown_path(file) for file in {r.file for r in shown if r.file}}
        rows = [[r.environment, r.status, r.severity, r.rule_id,
                 "(template)" if r.resource is None else str(r.resource), location(r, files)] for r in shown]
        if baseline_state:
            heading.append("BASELINE")
            for row, result in zip(rows, shown, strict=True):
                row.append(baseline_state(result) or "")
        widths = [max(len(row[i]) for row in [heading, *rows]) for i in range(len(heading))]
        widths[-1] = 0  # the last column is not padded

        def line(cells: list[str], styles: list[tuple[str, ...]]) -> str:
            return "  ".join(self.paint(cell.ljust(width), *style)
                             for cell, width, style in zip(cells, widths, styles, strict=True))

        def lines() -> Iterator[str]:
            yield line(heading, [("bold",)] * len(heading))
            for row, result in zip(rows, shown, strict=True):
                styles = [(), _STATUS_STYLES.get(result.status, ()), _SEVERITY_STYLES.get(result.severity, ()),
                          ("bold",), (), (), ("bold",) if row[-1] == "new" else ("dim",)][:len(row)]
                yield line(row, styles)
                yield from wrap(result.message, self.width, "    ")

        self.out.writelines(f"{text}\n" for text in lines())  # not print() per line: a table may have thousands

    def waivers(self, outcome: WaiverOutcome) -> None:
        """Expired waivers (their findings fail again) and stale ones (they match no failure)."""
        for waiver in outcome.expired:
            self.line(f"waiver expired on {waiver.expires}: {waiver.rule_id} {waiver.resource or '(template)'} "
                      f"({waiver.origin}); its findings fail again")
        for waiver in outcome.stale:
            self.line(f"stale waiver: {waiver.rule_id} {waiver.resource or '(template)'} ({waiver.origin}) "
                      f"matches no failing result; remove it")

    def summary(self, tally: Tally) -> None:
        """One line per environment (and per source, when live results are present) with every status counted."""
        several_sources = len({source for _, source in tally.groups}) > 1
        for (environment, source), (count, severities) in tally.groups.items():
            detail = f" ({', '.join(f'{n} {s}' for s, n in severities.items())})" if severities else ""
            extras = "".join(f", {count[status]} {_LABELS[status]}" for status in (WAIVED, NOT_FOUND, NOT_COLLECTED)
                             if count[status])
            label = f"{environment} [{source}]" if several_sources else environment
            failed = self.paint(f"{count[FAIL]} failed", *(_STATUS_STYLES[FAIL] if count[FAIL] else ()))
            errors = self.paint(f"{count[ERROR]} errors", *(_STATUS_STYLES[ERROR] if count[ERROR] else ()))
            self.line(f"{label}: {count[PASS]} passed, {failed}{detail}{extras}, {errors}, "
                      f"{count[NOT_APPLICABLE]} not applicable")

    def drift(self, drift: Sequence[dict[str, Any]], environments: Sequence[str]) -> None:
        """Per environment: how many rules and properties drifted, and the first few of them."""
        for environment in environments:
            found = [d for d in drift if d["environment"] == environment]
            if not found:
                self.line(f"drift in {environment}: none, the deployment matches the template")
                continue
            kinds = Counter(d["kind"] for d in found)
            parts = [f"{kinds['rule']} rule(s) pass on the template but fail live"] if kinds["rule"] else []
            parts += [f"{kinds['property']} propert(ies) differ from the template"] if kinds["property"] else []
            self.line(self.paint(f"drift in {environment}: {', '.join(parts)}", "yellow", "bold"))
            for item in found[:DRIFT_SHOWN]:
                for text in wrap(_drift_line(item), self.width, "  "):
                    self.line(text)
            if len(found) > DRIFT_SHOWN:
                self.line(f"  ...and {len(found) - DRIFT_SHOWN} more: the JSON and HTML reports list every one")


def _drift_line(item: dict[str, Any]) -> str:
    where = f"{item['resource']} {item.get('path') or ''}".rstrip()
    values = f"template {_value(item.get('template'))}, live {_value(item.get('live'))}"
    if item["kind"] == "rule":
        return f"{item['rule_id']} {where}: {item.get('message') or values}"
    return f"{where}: {values}"


def _value(value: Any) -> str:
    return json.dumps(value, default=str) if not isinstance(value, str) else repr(value)


def location(result: Result, shown: dict[str, str]) -> str:
    """Where a result points: its deployed resource, or its file (as `shown` has it) and line."""
    if result.source == "live":  # where it is deployed
        return f"live: {result.physical_id}" if result.physical_id else "live"
    if not result.file:
        return "-"
    file = shown.get(result.file) or shown_path(result.file)
    return f"{file}:{result.line}" if result.line else file


def header(rules: int, skipped: int, plan: EnvironmentPlan, templates: int | None, version: str) -> str:
    """One line saying what this run checks: version, rules in the pack (and how many are skipped), config
    and environments, templates."""
    counted = f"{rules} rule{'s' if rules != 1 else ''}" + (f" ({skipped} skipped)" if skipped else "")
    parts = [f"checker {version}", counted]
    if plan.declared and plan.config:
        parts.append(f"{shown_path(str(plan.config.path))}: " + ", ".join(
            f"{env.name} ({env.region or 'no region'})" for env in plan.environments))
    else:
        where = f"{shown_path(str(plan.config.path))} declares no environments" if plan.config else _no_config()
        parts.append(f"{where}: one environment, "
                     f"{describe_environment(plan.environments[0], plan.environment_parameter)}")
    if templates is not None:
        parts.append(f"{templates} template{'s' if templates != 1 else ''}")
    return " · ".join(parts)


def _no_config() -> str:
    searched = search_path(Path.cwd())
    if (searched[-1] / ".git").exists():
        return f"no {CONFIG_NAME} from here up to the repository root"
    return f"no {CONFIG_NAME} here (outside a git repository only this folder is searched)"


def describe_environment(env: Any, parameter: str = ENVIRONMENT_PARAMETER) -> str:
    """'prod (Environment=prod, us-east-1; also gives DBName)': values only of the environment parameter,
    other parameters by name (a value may be a secret)."""
    facts = [f"{parameter}={env.parameters[parameter]}"] if parameter in env.parameters else []
    facts.append(env.region or "no region (--region)")
    others = [name for name in env.parameters if name != parameter]
    detail = ", ".join(facts) + (f"; also gives {', '.join(others)}" if others else "")
    if not env.parameters:
        detail += "; no parameter values (--param NAME=VALUE)"
    return f"{env.name} ({detail})"
