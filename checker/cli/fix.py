"""`checker fix TEMPLATE`: print the patch that fixes the template's failures, or write it (--write).

The diff goes to standard output (so it can be piped to `git apply`), what was fixed, withheld or left
without a fix to standard error. Exit code 0 when every selected failure is fixed, 1 when some are not,
2 for bad input.
"""
from __future__ import annotations

import argparse
import sys
from typing import TextIO

from checker.engine.rules import Rule
from checker.errors import InputError
from checker.fix.diff import unified_diff
from checker.fix.plan import FIXED, RESOLVED, FixPlan, fix_template
from checker.fix.report import read_source
from checker.project.config import Config, parse_overrides
from checker.project.plan import plan_environments
from checker.template.load import load_template

_LABELS = {FIXED: "fixed", RESOLVED: "resolved", "WITHHELD": "withheld", "NO_FIX": "no fix"}


def run_fix(args: argparse.Namespace, rules: list[Rule], config: Config | None, out: TextIO | None = None,
            err: TextIO | None = None) -> int:
    """`config` is the one the command found (checker.cli.run.start)."""
    out, err = out or sys.stdout, err or sys.stderr
    overrides = parse_overrides(args.param)
    # Every environment the template deploys to, with its own values (the config's templates: entry): a fix
    # is verified in all of them. Without a configuration, the environments named are those.
    deployment = plan_environments(config, [], args.region, overrides, args.account_id)
    if args.env:
        named = plan_environments(config, args.env, args.region, overrides, args.account_id)  # names checked
        deployment = deployment if deployment.declared else named
    environments = deployment.for_template(args.template)
    covered = {env.name for env in environments}
    outside = [name for name in args.env if name not in covered]
    if outside:
        raise InputError("--env", f"{args.template} is not deployed to {outside[0]} "
                         f"(it deploys to {', '.join(sorted(covered)) or 'no environment'})")
    known = {rule.id for rule in rules}
    unknown = [rule_id for rule_id in args.rule if rule_id not in known]
    if unknown:
        raise InputError("--rule", f"unknown rule {unknown[0]} (see 'checker rules')")
    load_template(args.template)  # a file that is no template is refused here, with its line
    plan = fix_template(read_source(args.template), rules, environments,
                        lambda rule_id, _, env: rule_id in (args.rule or [rule_id]) and env in (args.env or [env]))
    if args.write:
        if plan.changed:
            from checker.report import write_atomic

            write_atomic(args.template, plan.fixed)
    else:
        out.write(unified_diff(plan.original, plan.fixed, args.template))
    describe(plan, err, written=args.write)
    return 0 if all(o.status in (FIXED, RESOLVED) for o in plan.outcomes) else 1


def describe(plan: FixPlan, err: TextIO, written: bool) -> None:
    """One line per failing rule and subject: fixed, withheld (and why), or no fix (and why)."""
    for outcome in plan.outcomes:
        where = f"{outcome.resource or '(template)'} in {', '.join(outcome.environments)}"
        reason = f": {outcome.reason}" if outcome.reason and outcome.status != FIXED else ""
        print(f"{_LABELS[outcome.status]:<9} {outcome.rule_id}  {where}{reason}", file=err)
        for note in ([outcome.note] if outcome.note and outcome.status == FIXED else []) + outcome.notes:
            print(f"          note: {note}", file=err)
    fixed = sum(o.status == FIXED for o in plan.outcomes)
    if not plan.outcomes:
        print(f"{plan.path}: nothing to fix", file=err)
    elif written and plan.changed:
        print(f"{plan.path}: {fixed} fix(es) written; every one re-checked in each environment", file=err)
    elif plan.changed:
        print(f"{plan.path}: {fixed} fix(es) verified in each environment; --write applies them", file=err)
