"""Command line: a thin shell over the library. Exit codes: 0 pass, 1 failures, 2 bad input or usage."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from checker import __version__
from checker.config import parse_overrides, select_environments
from checker.console import print_results
from checker.errors import InputError
from checker.results import SEVERITY_ORDER, blocking
from checker.rules import CONTROLS, Rule, bundled_rule_dirs, load_rules

EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message}\n")


def _add_rule_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", action="append", metavar="DIR", default=[],
                        help="use the rules in DIR instead of the bundled pack (repeatable)")
    parser.add_argument("--add-rules", action="append", metavar="DIR", default=[],
                        help="use the rules in DIR as well as the bundled pack (repeatable)")


def _add_environment_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", action="append", default=[], metavar="NAME",
                        help="environment to cover (repeatable; default: every declared environment)")
    parser.add_argument("--config", metavar="PATH", help="environments file (default: ./checker.yaml if present)")
    parser.add_argument("--region", help="region (overrides the environment's)")
    parser.add_argument("--account-id", help="account id for AWS::AccountId")
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                        help="parameter value (repeatable; overrides config and parameter files)")


def _add_gate_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fail-on", choices=list(SEVERITY_ORDER)[::-1], default="low",
                        help="lowest severity of a failure that fails the run (default: low)")
    parser.add_argument("--allow-errors", action="store_true",
                        help="do not fail the run on ERROR results or unknown resource types")
    parser.add_argument("--json", metavar="PATH", help="write the JSON report to PATH")
    parser.add_argument("-v", "--verbose", action="store_true", help="list passing and not-applicable results too")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="checker", description=__doc__)
    parser.add_argument("--version", action="version", version=f"checker {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    scan = commands.add_parser("scan", help="scan templates for every environment")
    scan.add_argument("paths", nargs="+", metavar="PATH", help="template files or directories")
    _add_environment_options(scan)
    _add_rule_options(scan)
    _add_gate_options(scan)

    listing = commands.add_parser("rules", help="list rules, controls and severities")
    _add_rule_options(listing)

    selftest = commands.add_parser("test-rules", help="run every rule's own test cases")
    _add_rule_options(selftest)
    return parser


def rule_set(args: argparse.Namespace) -> list[Rule]:
    directories = [Path(d) for d in args.rules] or bundled_rule_dirs()
    return load_rules(directories + [Path(d) for d in args.add_rules])


def _scan(args: argparse.Namespace) -> int:
    from checker.report import write_reports
    from checker.report.payload import build_payload
    from checker.scan import scan

    rules = rule_set(args)
    environments = select_environments(args.config, args.env, args.region, parse_overrides(args.param),
                                       args.account_id)
    report = scan(args.paths, rules, environments)
    print_results(report, sys.stdout, sys.stderr, args.verbose)
    write_failures = write_reports(build_payload(report, rules, environments), report_targets(args))
    for failure in write_failures:
        print(f"checker: error: {failure}", file=sys.stderr)
    if report.errors or write_failures:
        return EXIT_INPUT
    failing = blocking(report.results, args.fail_on, args.allow_errors)
    if report.unknown_types and not args.allow_errors:
        return EXIT_FAILED
    return EXIT_FAILED if failing else EXIT_OK


def report_targets(args: argparse.Namespace) -> dict[str, str | None]:
    """Report format name -> path requested on the command line."""
    return {"json": args.json}


def _list_rules(args: argparse.Namespace) -> int:
    rules = rule_set(args)
    width = max((len(r.id) for r in rules), default=4)
    for control in CONTROLS:
        for rule in (r for r in rules if r.control == control):
            print(f"{rule.id.ljust(width)}  {rule.control:<24}  {rule.severity:<8}  {rule.target:<26}  {rule.title}")
    print(f"{len(rules)} rules")
    return EXIT_OK


def _test_rules(args: argparse.Namespace) -> int:
    from checker.selftest import run_all

    outcomes, problems = run_all(rule_set(args))
    failed = [o for o in outcomes if not o.ok]
    for outcome in failed:
        print(f"FAILED {outcome.rule_id} [{outcome.case}]: expected {outcome.expected}, got {outcome.actual}: "
              f"{outcome.message}")
    for problem in problems:
        print(f"FAILED {problem}")
    print(f"{len(outcomes) - len(failed)} passed, {len(failed) + len(problems)} failed")
    return EXIT_FAILED if failed or problems else EXIT_OK


_COMMANDS = {"scan": _scan, "rules": _list_rules, "test-rules": _test_rules}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except InputError as exc:
        print(f"checker: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130
