"""Console output: a compact table of what needs attention, then a summary per environment."""
from __future__ import annotations

from typing import TextIO

from checker.results import ERROR, FAIL, NOT_APPLICABLE, PASS, WAIVED, Result
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


def print_waivers(outcome: WaiverOutcome, out: TextIO) -> None:
    """Expired waivers (their findings fail again) and stale ones (they match no failure)."""
    for waiver in outcome.expired:
        print(f"waiver expired on {waiver.expires}: {waiver.rule_id} {waiver.resource or '(template)'} "
              f"({waiver.origin}); its findings fail again", file=out)
    for waiver in outcome.stale:
        print(f"stale waiver: {waiver.rule_id} {waiver.resource or '(template)'} ({waiver.origin}) "
              f"matches no failing result; remove it", file=out)


def print_summary(results: list[Result], out: TextIO) -> None:
    environments: dict[str, list[Result]] = {}
    for result in results:
        environments.setdefault(result.environment, []).append(result)
    for name, items in environments.items():
        count = {status: sum(1 for r in items if r.status == status)
                 for status in (PASS, FAIL, ERROR, NOT_APPLICABLE, WAIVED)}
        severities: dict[str, int] = {}
        for r in items:
            if r.status == FAIL:
                severities[r.severity] = severities.get(r.severity, 0) + 1
        detail = f" ({', '.join(f'{n} {s}' for s, n in severities.items())})" if severities else ""
        waived = f", {count[WAIVED]} waived" if count[WAIVED] else ""
        print(f"{name}: {count[PASS]} passed, {count[FAIL]} failed{detail}{waived}, {count[ERROR]} errors, "
              f"{count[NOT_APPLICABLE]} not applicable", file=out)
