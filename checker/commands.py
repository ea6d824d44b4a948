"""The commands behind the command line: each takes the parsed arguments and returns the exit code."""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from checker.baseline import Baseline, baseline_document, load_baseline
from checker.config import Environment, parse_overrides, select_environments
from checker.console import print_results
from checker.errors import InputError
from checker.gate import (
    ENVIRONMENT_PARAMETER,
    change_set_environment,
    cloudformation_client,
    decide,
    declared_environments,
    environment_refusals,
    explain,
    read_change_set,
    scan_change_set,
)
from checker.progress import Progress
from checker.rules import Rule, bundled_rule_dirs, controls_of, load_rules
from checker.scan import ScanReport
from checker.waivers import Waiver, load_waiver_file

EXIT_OK, EXIT_FAILED, EXIT_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
REPORT_FORMATS = {"json": "the JSON report (re-rendered by 'checker report')", "html": "the auditor's HTML report",
                  "sarif": "SARIF 2.1.0 for code scanning", "junit": "JUnit XML for CI",
                  "markdown": "a Markdown summary for a pull request or CI step",
                  "suggestions": "pull-request review comments with the fixes as GitHub suggested changes (JSON)"}


def rule_set(args: argparse.Namespace) -> list[Rule]:
    directories = [Path(d) for d in args.rules] or bundled_rule_dirs()
    return load_rules(directories + [Path(d) for d in args.add_rules])


def _waivers(args: argparse.Namespace) -> list[Waiver]:
    return [w for path in args.waivers for w in load_waiver_file(path)]


def _declared(args: argparse.Namespace) -> tuple[Environment, ...]:
    """Every environment the configuration declares (rules may compare an environment with them)."""
    declared, _ = declared_environments(args.config)
    return tuple(declared.values()) if declared else ()


def _scan_paths(args: argparse.Namespace, rules: list[Rule], paths: list[str | Path],
                env_names: list[str]) -> tuple[ScanReport, list[Environment]]:
    from checker.scan import scan

    environments = select_environments(args.config, env_names, args.region, parse_overrides(args.param),
                                       args.account_id)
    waivers = _waivers(args)
    with Progress("scanning", sys.stderr, args.quiet) as progress:
        report = scan(paths, rules, environments, waivers=waivers, progress=progress.step,
                      skip_non_templates=getattr(args, "skip_non_templates", False),
                      declared=_declared(args) or None)
    return report, environments


def _scan(args: argparse.Namespace) -> int:
    rules = rule_set(args)
    baseline = load_baseline(args.baseline) if args.baseline else None
    if not args.live and (args.stack_name or args.outputs):
        raise InputError("--live", "--stack-name and --outputs describe a deployment: add --live to check it")
    report, environments = _scan_paths(args, rules, args.paths, args.env)
    if not args.live:
        return conclude(args, report, rules, environments, baseline)
    from checker.drift import find_drift
    from checker.live import LiveSource, live_waivers
    from checker.load import load_template

    if len(report.templates) != 1 or report.errors:
        raise InputError("--live", "compare one template with its deployment: name exactly one template")
    template = load_template(report.templates[0])
    scan = _run_live(args, rules, environments, LiveSource(args.stack_name, args.outputs, template,
                                                            _declared(args)))
    drift = find_drift(template, environments, report.results, scan)
    live_results, report.waivers = live_waivers(scan.results, _waivers(args), {r.id for r in rules}, report.waivers)
    report.results += live_results
    return conclude(args, report, rules, environments, baseline, live=scan.summary(), drift=drift)


def _live(args: argparse.Namespace) -> int:
    from checker.live import LiveSource, live_waivers
    from checker.load import load_template

    rules = rule_set(args)
    baseline = load_baseline(args.baseline) if args.baseline else None
    environments = select_environments(args.config, args.env, args.region, parse_overrides(args.param),
                                       args.account_id)
    template = load_template(args.template) if args.template else None
    scan = _run_live(args, rules, environments, LiveSource(args.stack_name, args.outputs, template,
                                                            _declared(args)))
    results, outcome = live_waivers(scan.results, _waivers(args), {r.id for r in rules})
    report = ScanReport(results=results, templates=[template.path] if template else [], waivers=outcome)
    return conclude(args, report, rules, environments, baseline, live=scan.summary())


def aws_options(args: argparse.Namespace) -> Any:
    """How to reach AWS, from the live and gate options."""
    from checker.collect.aws import AwsOptions

    for option in ("workers", "max_attempts", "duration", "read_timeout", "deadline"):
        value = getattr(args, option, None)
        if value is not None and value <= 0:
            raise InputError(f"--{option.replace('_', '-')}", f"must be positive, not {value}")
    if args.external_id and not args.role_arn:
        raise InputError("--external-id", "is given when assuming a role: add --role-arn")
    if not 900 <= args.duration <= 43200:  # AssumeRole's DurationSeconds bounds
        raise InputError("--duration", f"must be between 900 and 43200 seconds, not {args.duration}")
    return AwsOptions(args.profile, args.role_arn, args.external_id, args.duration, args.endpoint_url,
                      getattr(args, "max_attempts", 5), read_timeout=getattr(args, "read_timeout", 10.0),
                      deadline_s=getattr(args, "deadline", None))


def _interrupted(line: str) -> None:
    """The first Ctrl-C: say what is cancelled; a second one quits at once, whatever is being written."""
    print(f"checker: {line}", file=sys.stderr, flush=True)
    signal.signal(signal.SIGINT, lambda *_: os._exit(EXIT_INTERRUPTED))


def _run_live(args: argparse.Namespace, rules: list[Rule], environments: list[Environment], source: Any) -> Any:
    from checker.live import describe, run_live

    options = aws_options(args)
    with Progress("reading", sys.stderr, args.quiet) as progress:
        scan = run_live(rules, environments, source, options, args.workers, getattr(args, "session", None),
                        progress.step, _interrupted)
    for line in describe(scan):
        print(line)
    return scan


def _iam_policy(args: argparse.Namespace) -> int:
    from checker.collect.policy import iam_policy

    print(json.dumps(iam_policy(), indent=2))
    return EXIT_OK


def conclude(args: argparse.Namespace, report: ScanReport, rules: list[Rule], environments: list[Environment],
             baseline: Baseline | None, refused: list[str] | None = None, subject: str | None = None,
             live: dict | None = None, drift: list[dict] | None = None) -> int:
    """Print, write the reports, and turn the gate's decision into the exit code (scan, gate, live)."""
    unknown = [f"{u.resource_type} ({u.resource})" for u in report.unknown_types]
    decision = decide(report.results, args.fail_on, args.allow_errors, baseline, refused or [], unknown)
    print_results(report, sys.stdout, sys.stderr, args.verbose)
    targets = report_targets(args)
    write_failures = []
    if any(targets.values()):
        from checker.fix.report import fix_payload
        from checker.report import write_reports
        from checker.report.payload import build_payload

        fixes = fix_payload(report.results, rules, environments) if any(
            targets[name] for name in ("json", "html", "sarif", "markdown", "suggestions")) else None
        write_failures = write_reports(build_payload(report, rules, environments, decision, live, drift, fixes),
                                       targets)
    for failure in write_failures:
        print(f"checker: error: {failure}", file=sys.stderr)
    if subject:
        print("\n".join(explain(decision, subject)))
    elif decision.baseline:
        print(f"baseline {decision.baseline.path}: {len(decision.known)} known failures do not block, "
              f"{len(decision.blocking)} new")
    if report.errors or write_failures:
        return EXIT_INPUT
    if live and live.get("interrupted"):
        return EXIT_INTERRUPTED
    if decision.blocked and args.soft_fail:
        print("checker: --soft-fail: failures reported, exit status 0", file=sys.stderr)
        return EXIT_OK
    return EXIT_FAILED if decision.blocked else EXIT_OK


def _gate(args: argparse.Namespace) -> int:
    rules = rule_set(args)
    baseline = load_baseline(args.baseline) if args.baseline else None
    if len(args.env) > 1:
        raise InputError("--env", "the gate checks one environment at a time")
    declared, config_name = declared_environments(args.config)
    if args.template:
        overrides = parse_overrides(args.param)
        names = args.env or ([overrides[ENVIRONMENT_PARAMETER]] if ENVIRONMENT_PARAMETER in overrides else [])
        if not names:
            raise InputError("--env", "name the environment the template is deployed to")
        report, environments = _scan_paths(args, rules, [Path(args.template)], names)
        env = environments[0]
        subject = f"{args.template} for {env.name} ({env.region or 'no region'})"
    else:
        if not args.change_set_name:
            raise InputError("--change-set-name", "required with --stack-name")
        if args.param or args.account_id:
            raise InputError("--param", "a change set is gated with its own parameter values and account")
        named = args.env[0] if args.env else None
        region = args.region or (declared[named].region if declared and named in declared else None)
        client = cloudformation_client(aws_options(args), region, getattr(args, "session", None))
        change_set = read_change_set(client, args.stack_name, args.change_set_name, args.template_name)
        env = change_set_environment(change_set, args.env[0] if args.env else None)
        if declared and env.name in declared:  # the configuration's rule params for this environment
            env = replace(env, rule_params=declared[env.name].rule_params)
        report = scan_change_set(change_set, env, rules, _waivers(args), declared=tuple((declared or {}).values()))
        environments = [env]
        subject = f"stack {change_set.stack_name} change set {change_set.name} for {env.name} ({env.region})"
    refused = environment_refusals(env, declared, config_name, env.parameters)
    return conclude(args, report, rules, environments, baseline, refused, subject)


def _baseline(args: argparse.Namespace) -> int:
    from checker.report import write_atomic

    rules = rule_set(args)
    report, _ = _scan_paths(args, rules, args.paths, args.env)
    print_results(report, sys.stdout, sys.stderr)
    if report.errors:
        return EXIT_INPUT
    document = baseline_document(report.results)
    write_atomic(args.output, json.dumps(document, indent=2) + "\n")
    print(f"baseline {args.output}: {len(document['findings'])} findings")
    return EXIT_OK


def report_targets(args: argparse.Namespace) -> dict[str, str | None]:
    """Report format name -> path requested on the command line."""
    return {name: getattr(args, name) for name in REPORT_FORMATS}


def _report(args: argparse.Namespace) -> int:
    from checker.report import write_reports
    from checker.report.merge import load_payload, merge

    targets = report_targets(args)
    if not any(targets.values()):
        raise InputError("report", f"name an output: {', '.join('--' + name for name in REPORT_FORMATS)}")
    failures = write_reports(merge([load_payload(path) for path in args.inputs], args.inputs), targets)
    for failure in failures:
        print(f"checker: error: {failure}", file=sys.stderr)
    return EXIT_INPUT if failures else EXIT_OK


def _list_rules(args: argparse.Namespace) -> int:
    rules = rule_set(args)
    width = max((len(r.id) for r in rules), default=4)
    for control in controls_of(rules):
        for rule in (r for r in rules if r.control == control.id):
            print(f"{rule.id.ljust(width)}  {rule.control:<24}  {rule.severity:<8}  {rule.target:<26}  {rule.title}")
    print(f"{len(rules)} rules")
    return EXIT_OK


def _test_rules(args: argparse.Namespace) -> int:
    from checker.selftest import run_all

    outcomes, problems = run_all(rule_set(args))
    failed = [o for o in outcomes if not o.ok]
    for outcome in failed:
        print(f"FAILED {outcome.rule_id} [{outcome.case}]: {outcome.describe()}")
    for problem in problems:
        print(f"FAILED {problem}")
    print(f"{len(outcomes) - len(failed)} passed, {len(failed) + len(problems)} failed")
    return EXIT_FAILED if failed or problems else EXIT_OK


def _fix(args: argparse.Namespace) -> int:
    from checker.fix.command import run_fix

    return run_fix(args, rule_set(args))


COMMANDS = {"scan": _scan, "live": _live, "iam-policy": _iam_policy, "gate": _gate, "baseline": _baseline,
             "report": _report, "rules": _list_rules,
             "test-rules": _test_rules, "fix": _fix}
