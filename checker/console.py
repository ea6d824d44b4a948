"""Console output: a compact table of what needs attention, then a summary per environment."""
from __future__ import annotations

from collections import Counter
from typing import TextIO

from checker.results import ERROR, FAIL, NOT_APPLICABLE, NOT_COLLECTED, NOT_FOUND, PASS, WAIVED, Result
from checker.scan import ScanReport
from checker.waivers import WaiverOutcome

_WIDTH = 90


def _location(result: Result) -> str:
    if result.source == "live":  # where it is deployed
        return f"live: {result.physical_id}" if result.physical_id else "live"
    if not result.file:
        return "-"
    return f"{result.file}:{result.line}" if result.line else result.file


def print_results(report: ScanReport, out: TextIO, err: TextIO, verbose: bool = False) -> None:
    shown = [r for r in report.results if verbose or r.status in (FAIL, ERROR)]
    if shown:
        rows = [("ENV", "STATUS", "SEVERITY", "RULE", "RESOURCE", "LOCATION")]
        rows += [(r.environment, r.status, r.severity, r.rule_id, r.resource or "(template)", _location(r))
                 for r in shown]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for index, row in enumerate(rows):
            print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip(), file=out)
            if index:
                message = shown[index - 1].message
                print(f"    {message if len(message) <= _WIDTH else message[:_WIDTH - 3] + '...'}", file=out)
    for unknown in report.unknown_types:
        where = f"{unknown.file}:{unknown.line}" if unknown.line else unknown.file
        print(f"unknown resource type {unknown.resource_type} ({unknown.resource}) at {where}", file=out)
    for skipped in report.skipped:
        print(f"skipped {skipped}", file=out)
    for note in report.notes:
        print(f"note: {note}", file=out)
    if report.waivers:
        print_waivers(report.waivers, out)
    for error in report.errors:
        print(f"checker: error: {error}", file=err)
    print_summary(report.results, out)
    print_fix_hint(report.results, out)


def print_fix_hint(results: list[Result], out: TextIO) -> None:
    """The next step for templates with failures: `checker fix` proposes a verified patch."""
    for path in sorted({r.file for r in results if r.status == FAIL and r.source == "template" and r.file}):
        print(f"next: checker fix {path} shows a patch for its failures, verified in every environment "
              "(--write applies it)", file=out)


def print_waivers(outcome: WaiverOutcome, out: TextIO) -> None:
    """Expired waivers (their findings fail again) and stale ones (they match no failure)."""
    for waiver in outcome.expired:
        print(f"waiver expired on {waiver.expires}: {waiver.rule_id} {waiver.resource or '(template)'} "
              f"({waiver.origin}); its findings fail again", file=out)
    for waiver in outcome.stale:
        print(f"stale waiver: {waiver.rule_id} {waiver.resource or '(template)'} ({waiver.origin}) "
              f"matches no failing result; remove it", file=out)


def print_summary(results: list[Result], out: TextIO) -> None:
    """One line per environment (and per source, when live results are present) with every status counted."""
    groups: dict[tuple[str, str], list[Result]] = {}
    for result in results:
        groups.setdefault((result.environment, result.source), []).append(result)
    several_sources = len({source for _, source in groups}) > 1
    for (environment, source), items in groups.items():
        count = Counter(r.status for r in items)
        severities = Counter(r.severity for r in items if r.status == FAIL)
        detail = f" ({', '.join(f'{n} {s}' for s, n in severities.items())})" if severities else ""
        extras = "".join(f", {count[status]} {_LABELS[status]}" for status in (WAIVED, NOT_FOUND, NOT_COLLECTED)
                         if count[status])
        label = f"{environment} [{source}]" if several_sources else environment
        print(f"{label}: {count[PASS]} passed, {count[FAIL]} failed{detail}{extras}, {count[ERROR]} errors, "
              f"{count[NOT_APPLICABLE]} not applicable", file=out)


_LABELS = {WAIVED: "waived", NOT_FOUND: "not found", NOT_COLLECTED: "not collected"}
