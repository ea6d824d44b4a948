"""Command line: a thin shell over the library. Exit codes: 0 pass, 1 failures, 2 bad input or usage."""
from __future__ import annotations

import argparse
import gc
import signal
import sys
import threading
from typing import Any

from checker import __version__
from checker.collect.runner import DEFAULT_WORKERS
from checker.commands import COMMANDS, EXIT_INPUT, REPORT_FORMATS
from checker.errors import InputError
from checker.results import SEVERITY_ORDER


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


def _add_report_options(parser: argparse.ArgumentParser) -> None:
    for name, what in REPORT_FORMATS.items():
        parser.add_argument(f"--{name}", metavar="PATH", help=f"write {what} to PATH")


def _add_gate_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--fail-on", choices=list(SEVERITY_ORDER)[::-1], default="low",
                        help="lowest severity of a failure that fails the run (default: low)")
    parser.add_argument("--allow-errors", action="store_true",
                        help="do not fail the run on ERROR results or unknown resource types")
    _add_report_options(parser)
    parser.add_argument("-v", "--verbose", action="store_true", help="list passing and not-applicable results too")
    parser.add_argument("--waivers", action="append", default=[], metavar="PATH",
                        help="waiver file applying to every template and live result (repeatable)")
    parser.add_argument("--baseline", metavar="PATH",
                        help="earlier JSON report or 'checker baseline' file: only failures not in it fail the run")
    parser.add_argument("--soft-fail", action="store_true", help="report failures but exit 0 (bad input still exits 2)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress display on the terminal")


def _add_live_options(parser: argparse.ArgumentParser, template: bool) -> None:
    live = parser.add_argument_group("deployed resources (read-only AWS calls)")
    live.add_argument("--stack-name", metavar="NAME", help="stack to read (default: the environment's stack_name)")
    live.add_argument("--outputs", metavar="FILE", help="flat stack outputs (cfn-outputs/flat-outputs.json)")
    if template:
        live.add_argument("--template", metavar="FILE", help="template whose Outputs the outputs file holds")
    _add_aws_options(live, "reading")
    live.add_argument("--workers", type=int, default=DEFAULT_WORKERS, metavar="N",
                      help=f"concurrent API calls (default: {DEFAULT_WORKERS})")
    live.add_argument("--max-attempts", type=int, default=5, metavar="N",
                      help="attempts per API call, the first included (default: 5)")
    live.add_argument("--read-timeout", type=float, default=10.0, metavar="SECONDS",
                      help="seconds to wait for an answer to one attempt (default: 10)")
    live.add_argument("--deadline", type=float, metavar="SECONDS",
                      help="no API call starts after this many seconds; what was not read is ERROR")


def _add_aws_options(parser: Any, purpose: str) -> None:
    parser.add_argument("--profile", help="AWS profile (default: the standard credential chain)")
    parser.add_argument("--role-arn", metavar="ARN", help=f"role to assume for {purpose}")
    parser.add_argument("--external-id", metavar="ID", help="external id the role's trust policy requires")
    parser.add_argument("--duration", type=int, default=3600, metavar="SECONDS",
                        help="assumed-role session length; credentials are refreshed before they expire "
                             "(default: 3600)")
    parser.add_argument("--endpoint-url", metavar="URL", help="AWS-compatible endpoint for every service")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="checker", description=__doc__)
    parser.add_argument("--version", action="version", version=f"checker {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    scan = commands.add_parser("scan", help="scan templates for every environment")
    scan.add_argument("paths", nargs="+", metavar="PATH", help="template files or directories")
    _add_environment_options(scan)
    _add_rule_options(scan)
    _add_gate_options(scan)
    scan.add_argument("--skip-non-templates", action="store_true",
                      help="skip named files that are not templates instead of failing (for commit hooks)")
    scan.add_argument("--live", action="store_true",
                      help="also check the deployed stack and report drift from the template")
    _add_live_options(scan, template=False)

    live = commands.add_parser("live", help="check deployed resources with the same rules")
    _add_environment_options(live)
    _add_rule_options(live)
    _add_gate_options(live)
    _add_live_options(live, template=True)

    commands.add_parser("iam-policy", help="print the read-only IAM policy that live checks need")

    gate = commands.add_parser("gate", help="decide whether a change set or a template may be deployed")
    source = gate.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack-name", metavar="NAME", help="stack of the change set to gate")
    source.add_argument("--template", metavar="FILE", help="template to gate before a change set exists")
    gate.add_argument("--change-set-name", metavar="NAME", help="change set to gate (with --stack-name)")
    gate.add_argument("--template-name", metavar="NAME",
                      help="name of the change set's template in reports and baselines (default: STACK/CHANGE_SET)")
    _add_aws_options(gate, "reading the change set")
    _add_environment_options(gate)
    _add_rule_options(gate)
    _add_gate_options(gate)

    base = commands.add_parser("baseline", help="write the current failures as a baseline file")
    base.add_argument("paths", nargs="+", metavar="PATH", help="template files or directories")
    base.add_argument("-o", "--output", metavar="PATH", default="checker-baseline.json",
                      help="baseline file to write (default: checker-baseline.json)")
    base.add_argument("--waivers", action="append", default=[], metavar="PATH", help="waiver file (repeatable)")
    base.add_argument("-q", "--quiet", action="store_true", help="no progress display on the terminal")
    _add_environment_options(base)
    _add_rule_options(base)

    rerender = commands.add_parser("report", help="render saved JSON reports, merged into one, in any format")
    rerender.add_argument("inputs", nargs="+", metavar="RESULTS.json", help="JSON reports written by --json")
    _add_report_options(rerender)

    fix = commands.add_parser("fix", help="print (or write) the verified patch that fixes a template's failures")
    fix.add_argument("template", metavar="TEMPLATE", help="template file to fix")
    fix.add_argument("--rule", action="append", default=[], metavar="ID", help="fix this rule only (repeatable)")
    fix.add_argument("--write", action="store_true", help="write the fixed template instead of printing the diff")
    _add_environment_options(fix)
    _add_rule_options(fix)

    listing = commands.add_parser("rules", help="list rules, controls and severities")
    _add_rule_options(listing)

    selftest = commands.add_parser("test-rules", help="run every rule's own test cases")
    _add_rule_options(selftest)
    return parser


def main(argv: list[str] | None = None, *, session: Any = None) -> int:
    """Run the command line. `session`: a boto3 Session for live checks (default: built from the options)."""
    args = build_parser().parse_args(argv)
    args.session = session
    # A scan allocates millions of small, acyclic objects: with the default thresholds the cyclic collector
    # spends a fifth of a large scan walking them (measured with benchmarks/scale.py).
    gc.set_threshold(100_000, 50, 1000)
    on_interrupt = signal.getsignal(signal.SIGINT)
    try:
        return COMMANDS[args.command](args)
    except InputError as exc:
        print(f"checker: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        return 130
    finally:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, on_interrupt)  # a live scan's Ctrl-C handling ends with the command
