"""Command line: a thin shell over the library. Exit codes: 0 pass, 1 failures, 2 bad input or usage.

Options also come from checker.yaml (found from the working directory up to the repository root); the
command line wins.
"""
from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from checker.cli.commands import COMMANDS, EXIT_INPUT
from checker.errors import InputError
from checker.org.options import ORG_AWS, ORG_LIVE, add_org_options
from checker.project.options import (
    AWS,
    DECISION,
    ENVIRONMENT,
    HOOK,
    LIVE,
    OUTPUT,
    REPORT_FORMATS,
    RULES,
    SCANNING,
    Option,
)
from checker.version import __version__

__all__ = ["REPORT_FORMATS", "build_parser", "main"]
EXIT_BROKEN_PIPE = 128 + 13  # as a shell reports a command stopped by SIGPIPE


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message}\n")


def _options(parser: argparse.ArgumentParser, *groups: Sequence[Option]) -> None:
    """Add the shared options, and remember them so that checker.yaml can fill in those not given."""
    options = [option for group in groups for option in group]
    for option in options:
        option.add_to(parser)
    parser.set_defaults(options=tuple(options))


def _config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="PATH",
                        help="checker.yaml to use (default: the nearest one from here up to the repository root)")


def _environment_options(parser: argparse.ArgumentParser) -> None:
    _config_option(parser)
    parser.add_argument("--region", help="region (overrides the environment's)")
    parser.add_argument("--account-id", metavar="ID", help="account id for AWS::AccountId (12 digits)")
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                        help="parameter value (repeatable; overrides config and parameter files)")


def _deployment_options(parser: argparse.ArgumentParser, template: bool) -> None:
    live = parser.add_argument_group("deployed resources (read-only AWS calls)")
    live.add_argument("--stack-name", metavar="NAME", help="stack to read (default: the environment's stack_name)")
    live.add_argument("--outputs", metavar="FILE", help="flat stack outputs (cfn-outputs/flat-outputs.json)")
    if template:
        live.add_argument("--template", metavar="FILE", help="template whose Outputs the outputs file holds")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="checker", description=__doc__)
    parser.add_argument("--version", action="version", version=f"checker {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    scan = commands.add_parser("scan", help="scan templates for every environment")
    scan.add_argument("paths", nargs="+", metavar="PATH", help="template files or directories")
    _environment_options(scan)
    scan.add_argument("--live", action="store_true",
                      help="also check the deployed stack and report drift from the template")
    _deployment_options(scan, template=False)
    _options(scan, ENVIRONMENT, RULES, OUTPUT, DECISION, SCANNING, HOOK, AWS, LIVE)

    live = commands.add_parser("live", help="check deployed resources with the same rules")
    _environment_options(live)
    _deployment_options(live, template=True)
    _options(live, ENVIRONMENT, RULES, OUTPUT, DECISION, SCANNING, AWS, LIVE)

    org = commands.add_parser("org", help="check every stack of an organisation's accounts and Regions, on Dask")
    add_org_options(org)
    _config_option(org)
    _options(org, RULES, OUTPUT, DECISION, SCANNING, ORG_AWS, ORG_LIVE)

    policy = commands.add_parser("iam-policy", help="print the read-only IAM policy that live checks need")
    policy.add_argument("--org", action="store_true",
                        help="the policy of the role 'checker org' assumes in each account (GetTemplate added)")

    gate = commands.add_parser("gate", help="decide whether a change set or a template may be deployed")
    source = gate.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack-name", metavar="NAME", help="stack of the change set to gate")
    source.add_argument("--template", metavar="FILE", help="template to gate before a change set exists")
    gate.add_argument("--change-set-name", metavar="NAME", help="change set to gate (with --stack-name)")
    gate.add_argument("--template-name", metavar="NAME",
                      help="name of the change set's template in reports and baselines (default: STACK/CHANGE_SET)")
    _environment_options(gate)
    _options(gate, ENVIRONMENT, RULES, OUTPUT, DECISION, SCANNING, AWS)

    base = commands.add_parser("baseline", help="write the current failures as a baseline file")
    base.add_argument("paths", nargs="+", metavar="PATH", help="template files or directories")
    base.add_argument("-o", "--output", dest="baseline_file", metavar="PATH", default="checker-baseline.json",
                      help="baseline file to write (default: checker-baseline.json)")
    _environment_options(base)
    _options(base, ENVIRONMENT, RULES, SCANNING)

    rerender = commands.add_parser("report", help="render saved JSON reports, merged into one, and decide as scan does")
    rerender.add_argument("inputs", nargs="+", metavar="RESULTS.json", help="JSON reports written by --json")
    _config_option(rerender)
    _options(rerender, OUTPUT, DECISION)

    fix = commands.add_parser("fix", help="print (or write) the verified patch that fixes a template's failures")
    fix.add_argument("template", metavar="TEMPLATE", help="template file to fix")
    fix.add_argument("--rule", action="append", default=[], metavar="ID", help="fix this rule only (repeatable)")
    fix.add_argument("--write", action="store_true", help="write the fixed template instead of printing the diff")
    _environment_options(fix)
    _options(fix, ENVIRONMENT, RULES[:2])

    listing = commands.add_parser("rules", help="list rules, or show the rules named in full")
    listing.add_argument("selectors", nargs="*", metavar="RULE", help="rule ids, globs (PAY-S3-*) or control:NAME")
    listing.add_argument("--json", action="store_true", help="print the rules as JSON")
    _config_option(listing)
    _options(listing, RULES[:2])

    selftest = commands.add_parser("test-rules", help="run every rule's own test cases")
    _config_option(selftest)
    _options(selftest, RULES[:2])
    return parser


def main(argv: list[str] | None = None, *, session: Any = None) -> int:
    """Run the command line. `session`: a boto3 Session for live checks (default: built from the options)."""
    # A scan allocates millions of small objects, next to none in cycles (a document is freed when its last
    # reference goes): with the default thresholds the cyclic collector spends a fifth of a large scan walking
    # them, at 100,000 still 0.13 s of a 5,000-resource scan; at 1,000,000 almost nothing, at the same peak
    # memory (measured with benchmarks/scale.py).
    gc.set_threshold(1_000_000, 50, 1000)
    on_interrupt = signal.getsignal(signal.SIGINT)
    try:
        args = build_parser().parse_args(argv)
        args.session = session
        return COMMANDS[args.command](args)
    except InputError as exc:
        print(f"checker: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:  # the reader went away (`checker rules | head`): stop quietly
        _discard_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        return 130
    finally:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, on_interrupt)  # a live scan's Ctrl-C handling ends with the command


def _discard_stdout() -> None:
    """Point standard output at /dev/null, so that flushing it at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
