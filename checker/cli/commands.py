"""The commands behind the command line: each takes the parsed arguments and returns the exit code."""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from checker.cli.run import EXIT_INPUT, EXIT_INTERRUPTED, EXIT_OK, Run, start
from checker.decision.baseline import BASELINED, baseline_document
from checker.decision.gate import Decision, decide, environment_refusals, explain, unknown_type_refusal
from checker.engine.results import FAIL, Tally
from checker.engine.selection import RuleSelection
from checker.engine.spool import ResultSpool
from checker.errors import InputError
from checker.project.config import CONFIG_NAME, parse_overrides
from checker.project.files import TemplateFiles
from checker.project.plan import EnvironmentPlan, plan_environments
from checker.report.console import header
from checker.report.progress import Progress
from checker.scans import (
    ScanReport,
    change_set_environment,
    find_templates,
    not_deployed,
    scan,
    scan_change_set,
    scan_live,
    scan_with_live,
)
from checker.template.environment import ENVIRONMENT_PARAMETER, Environment
from checker.template.load import load_template
from checker.version import __version__

__all__ = ["COMMANDS", "EXIT_INPUT"]
_WITH_FIXES = {"json", "html", "sarif", "markdown", "suggestions"}  # formats that show the verified fixes


def _plan(run: Run, names: list[str] | None = None) -> EnvironmentPlan:
    args = run.args
    return plan_environments(run.config, args.env if names is None else names, args.region,
                             parse_overrides(args.param), args.account_id)


def _scan_paths(run: Run, selection: RuleSelection, plan: EnvironmentPlan,
                paths: Sequence[str] | TemplateFiles, spool: ResultSpool | None = None) -> ScanReport:
    found = paths if isinstance(paths, TemplateFiles) else find_templates(paths, run.config)
    run.console.line(header(len(selection.pack_ids), len(selection.skipped), plan, len(found.candidates), __version__))
    with Progress("scanning", sys.stderr, run.args.quiet) as progress:
        return scan(found, selection.rules, plan, waivers=run.waivers(), known_rules=selection.pack_ids,
                    skip_non_templates=getattr(run.args, "skip_non_templates", False), progress=progress.step,
                    spool=spool)


def _spool(run: Run) -> ResultSpool | None:
    """Where a template scan keeps the results that need no attention: recorded for the reports, or only
    counted when there is none; none when every result is shown (--verbose)."""
    if run.args.verbose:
        return None
    if run.report_targets() or run.stdout_format:
        from checker.report.payload import report_line

        return ResultSpool(report_line())
    return ResultSpool()


def _scan(args: argparse.Namespace) -> int:
    run = start(args)
    selection = run.rule_selection()
    baseline = run.baseline()
    if not args.live and (args.stack_name or args.outputs):
        raise InputError("--live", "--stack-name and --outputs describe a deployment: add --live to check it")
    plan = _plan(run)
    found = find_templates(args.paths, run.config)
    if not args.live:
        spool = _spool(run)
        try:
            return conclude(run, _scan_paths(run, selection, plan, found, spool), selection, plan.environments,
                            baseline, plan=plan)
        finally:
            if spool is not None:
                spool.close()
    if len(found.candidates) != 1 or found.missing:
        raise InputError("--live", "compare one template with its deployment: name exactly one template")
    path = found.candidates[0]
    run.console.line(header(len(selection.pack_ids), len(selection.skipped), plan, 1, __version__))
    with Progress("reading", sys.stderr, args.quiet) as progress:
        report = scan_with_live(path, selection.rules, plan, waivers=run.waivers(), known_rules=selection.pack_ids,
                                progress=progress.step, **_live_options(run))
    return conclude(run, report, selection, plan.for_template(path), baseline)


def _live(args: argparse.Namespace) -> int:
    run = start(args)
    selection = run.rule_selection()
    baseline = run.baseline()
    plan = _plan(run)
    template = run.read("template", args.template, load_template) if args.template else None
    run.console.line(header(len(selection.pack_ids), len(selection.skipped), plan, 1 if template else None,
                            __version__))
    with Progress("reading", sys.stderr, args.quiet) as progress:
        report = scan_live(selection.rules, plan, template=template, waivers=run.waivers(),
                           known_rules=selection.pack_ids, progress=progress.step, **_live_options(run))
    return conclude(run, report, selection, plan.for_template(template.path) if template else plan.environments,
                    baseline)


def _live_options(run: Run) -> dict[str, Any]:
    """The keyword arguments of a live scan from the command line."""
    args = run.args
    return {"stack_name": args.stack_name, "outputs": args.outputs, "options": aws_options(args),
            "workers": args.workers, "session": getattr(args, "session", None), "notify": _interrupted}


def aws_options(args: argparse.Namespace) -> Any:
    """How to reach AWS, from the live and gate options."""
    from checker.live.aws import AwsOptions

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


def _iam_policy(args: argparse.Namespace) -> int:
    from checker.live.permissions import iam_policy

    print(json.dumps(iam_policy(getattr(args, "org", False)), indent=2))
    return EXIT_OK


def baseline_state(decision: Decision) -> Any:
    """For the console's BASELINE column: 'new' or 'known' per blocking-status result (None: no baseline)."""
    if decision.baseline is None:
        return None
    known = decision.baseline.known
    return lambda result: ("known" if known(result) else "new") if result.status in BASELINED else None


def baseline_lines(decision: Decision) -> list[str]:
    if decision.baseline is None:
        return []
    new = ", ".join(f"{r.rule_id} {r.resource or '(template)'} [{r.environment}]" for r in decision.blocking)
    return [f"baseline {decision.baseline.path}: {len(decision.known)} known failures do not block, "
            f"{len(decision.blocking)} new" + (f": {new}" if new else "")]


def conclude(run: Run, report: ScanReport, selection: RuleSelection, environments: list[Environment],
             baseline: Any, refused: list[str] | None = None, subject: str | None = None,
             plan: EnvironmentPlan | None = None) -> int:
    """Print, write the reports, and turn the gate's decision into the exit code (scan, gate, live). With
    the `plan`, fixes are verified in the environments each template deploys to."""
    args = run.args
    unknown = [f"{u.resource_type} ({u.resource})" for u in report.unknown_types]
    decision = decide(report.results, args.fail_on, args.allow_errors, baseline, refused or [], unknown)
    if report.live is not None:
        from checker.live.scan import describe

        for line in describe(report.live):
            run.console.line(line)
    run.console.results(report, args.verbose, baseline_state(decision), table=run.stdout_format is None)
    if report.drift is not None:
        run.console.drift(report.drift, [env.name for env in environments])
    payload = None
    formats = {name for name, path in run.report_targets().items() if path} | {run.stdout_format} - {None}
    if run.report_targets() or run.stdout_format:
        from checker.report.payload import build_payload

        fixes = None
        if formats & _WITH_FIXES and any(r.status == FAIL and r.source == "template" for r in report.results):
            from checker.fix.report import fix_payload  # imported only when there is something to fix

            fixes = fix_payload(report.results, selection.rules, plan.for_template if plan else environments)
        payload = build_payload(report, selection.rules, environments, decision, fixes=fixes,
                                skipped_rules=selection.skipped)
    lines = explain(decision, subject) if subject else baseline_lines(decision)
    interrupted = report.live is not None and report.live.interrupted
    return run.finish(decision, payload, bool(report.errors), lines, interrupted=interrupted)


def _gate(args: argparse.Namespace) -> int:
    run = start(args)
    selection = run.rule_selection()
    baseline = run.baseline()
    if len(args.env) > 1:
        raise InputError("--env", "the gate checks one environment at a time")
    declared = run.config.environments if run.config and run.config.environments else None
    config_name = str(run.config.path) if run.config else CONFIG_NAME
    parameter = run.config.environment_parameter if run.config else ENVIRONMENT_PARAMETER  # names the environment
    plan: EnvironmentPlan | None = None
    if args.template:
        overrides = parse_overrides(args.param)
        names = args.env or ([overrides[parameter]] if parameter in overrides else [])
        if not names:
            raise InputError("--env", "name the environment the template is deployed to")
        plan = _plan(run, names)
        if not plan.for_template(args.template) and Path(args.template).is_file():
            raise not_deployed(plan, Path(args.template))
        report = _scan_paths(run, selection, plan, [args.template])
        environments = plan.for_template(args.template)
        env = environments[0]
        subject = f"{args.template} for {env.name} ({env.region or 'no region'})"
    else:
        if not args.change_set_name:
            raise InputError("--change-set-name", "required with --stack-name")
        if args.param or args.account_id:
            raise InputError("--param", "a change set is gated with its own parameter values and account")
        from checker.live.changeset import cloudformation_client, read_change_set

        named = args.env[0] if args.env else None
        region = args.region or (declared[named].region if declared and named in declared else None)
        client = cloudformation_client(aws_options(args), region, getattr(args, "session", None))
        change_set = read_change_set(client, args.stack_name, args.change_set_name, args.template_name)
        env = change_set_environment(change_set, args.env[0] if args.env else None, parameter)
        if declared and env.name in declared:  # the configuration's rule params for this environment
            env = replace(env, rule_params=declared[env.name].rule_params)
        # The other environments as the config gives them to the template file the change set deploys
        # (--template-name names it), for rules that compare environments.
        peers = _plan(run, []).peers_for(args.template_name or "") or []
        report = scan_change_set(change_set, env, selection.rules, run.waivers(), known_rules=selection.pack_ids,
                                 declared=tuple(peers))
        environments = [env]
        subject = f"stack {change_set.stack_name} change set {change_set.name} for {env.name} ({env.region})"
    refused = environment_refusals(env, declared, config_name, env.parameters, parameter)
    return conclude(run, report, selection, environments, baseline, refused, subject, plan=plan)


def _baseline(args: argparse.Namespace) -> int:
    from checker.report import write_atomic

    run = start(args)
    selection = run.rule_selection()
    report = _scan_paths(run, selection, _plan(run), args.paths)
    run.console.results(report)
    if report.errors:
        return EXIT_INPUT
    document = baseline_document(report.results)
    write_atomic(args.baseline_file, json.dumps(document, indent=2) + "\n")
    run.console.line(f"baseline {args.baseline_file}: {len(document['findings'])} findings")
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from checker.report.merge import as_result, load_payload, merge, saved_decision
    from checker.report.payload import apply_decision

    run = start(args)
    payload = merge([load_payload(path) for path in args.inputs], args.inputs)
    results = [as_result(r) for r in payload["results"]]
    fail_on, allow_errors, saved_baseline = saved_decision(payload)
    if "fail-on" in run.origins or fail_on is None:
        fail_on = args.fail_on
    if "allow-errors" in run.origins or allow_errors is None:
        allow_errors = args.allow_errors
    unknown = [f"{u.get('resource_type')} ({u.get('resource')})" for u in payload.get("unknown_resource_types", [])]
    decided_again = {unknown_type_refusal(kind) for kind in unknown}  # with the --allow-errors of this run
    refused = [r for r in (payload.get("gate") or {}).get("refusals") or [] if r not in decided_again]
    decision = decide(results, fail_on, allow_errors, run.baseline() or saved_baseline, refused, unknown)
    apply_decision(payload, decision)
    run.console.findings(results, args.verbose, baseline_state(decision), table=run.stdout_format is None)
    run.console.inputs(payload.get("unknown_resource_types", []), payload.get("skipped", []),
                       payload.get("notes", []), payload.get("input_errors", []))
    run.console.summary(Tally.of(results))
    lines = baseline_lines(decision) + [f"gate: {'BLOCK' if decision.blocked else 'PASS'}: "
                                        f"{len(decision.blocking) + len(decision.refusals)} blocking reason(s)"]
    return run.finish(decision, payload, bool(payload.get("input_errors")), lines)


def _fix(args: argparse.Namespace) -> int:
    from checker.cli.fix import run_fix

    run = start(args)
    return run_fix(args, run.pack(), run.config)


def _rules(args: argparse.Namespace) -> int:
    from checker.cli.rule_commands import list_rules

    return list_rules(args)


def _test_rules(args: argparse.Namespace) -> int:
    from checker.cli.rule_commands import test_rules

    return test_rules(args)


def _org(args: argparse.Namespace) -> int:
    from checker.cli.org import run_org_command

    return run_org_command(args)


COMMANDS = {"scan": _scan, "live": _live, "iam-policy": _iam_policy, "gate": _gate, "baseline": _baseline,
            "report": _report, "rules": _rules, "test-rules": _test_rules, "fix": _fix, "org": _org}
