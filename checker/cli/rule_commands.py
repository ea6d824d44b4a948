"""`checker rules` (a table, one rule in full, or JSON) and `checker test-rules`."""
from __future__ import annotations

import argparse
import json
from typing import Any

from checker.cli.run import EXIT_FAILED, EXIT_OK, start
from checker.engine.rules import Rule, controls_of
from checker.engine.selection import matching
from checker.report.terminal import width_of, wrap


def rule_document(rule: Rule, environments: list[str]) -> dict[str, Any]:
    """Everything about a rule: its metadata, logic, parameter values per environment and its test cases."""
    return {
        **rule.metadata(),
        "environments": list(rule.environments) if rule.environments is not None else None,
        "when": rule.when.text if rule.when else None,
        "assert": [{"expr": a.expression.text, "message": a.message} for a in rule.assertions],
        "params": {env: rule.params_for(env) for env in environments if rule.params_for(env)},
        "cases": [{"name": case.name, "expect": case.expect, "environment": case.environment} for case in rule.cases],
    }


def _params_environments(rule: Rule, declared: list[str]) -> list[str]:
    """The environments to show parameter values for: the config's, else those the rule names."""
    named = [env for env in rule.params if env != "default"]
    return declared or named or ["default"]


def _detail(document: dict[str, Any], width: int | None) -> list[str]:
    """One rule in full, as `checker rules ID` prints it."""
    lines = [f"{document['id']}  {document['title']}"]

    def field(label: str, text: str) -> None:
        wrapped = wrap(text, width, " " * 15)
        lines.append(f"  {label:<12} {wrapped[0].strip()}")
        lines.extend(wrapped[1:])

    field("control", document["control"])
    field("severity", document["severity"])
    field("target", f"{document['target']} ({', '.join(document['sources'])})")
    field("environments", ", ".join(document["environments"]) if document["environments"] else "all")
    field("file", document["file"])
    if document["when"]:
        field("when", document["when"])
    for assertion in document["assert"]:
        field("assert", f"{' '.join(assertion['expr'].split())}  ->  {assertion['message']}")
    for env, values in document["params"].items():
        field(f"params {env}", json.dumps(values))
    for label in ("rationale", "remediation"):
        if document[label]:
            field(label, " ".join(document[label].split()))
    for reference in document["references"]:
        field("reference", reference)
    for standard, items in document["compliance"].items():
        field(standard.replace("_", " "), ", ".join(items))
    for case in document["cases"]:
        field("case", f"{case['expect']:<14} {case['name']} ({case['environment']})")
    return lines


def list_rules(args: argparse.Namespace) -> int:
    run = start(args)
    rules = run.pack()
    chosen = list({r.id: r for s in args.selectors for r in matching(rules, s, "rules")}.values()) or rules
    declared = list(run.config.environments) if run.config else []
    documents = [rule_document(r, _params_environments(r, declared)) for r in chosen]
    if args.json:
        print(json.dumps(documents, indent=2))
        return EXIT_OK
    if args.selectors:
        for index, document in enumerate(documents):
            print("\n".join(([""] if index else []) + _detail(document, width_of(run.console.out))))
        return EXIT_OK
    width = max((len(r.id) for r in rules), default=4)
    order = {control.id: index for index, control in enumerate(controls_of(rules))}
    for rule in sorted(chosen, key=lambda r: order.get(r.control, len(order))):
        print(f"{rule.id.ljust(width)}  {rule.control:<24}  {rule.severity:<8}  {rule.target:<26}  {rule.title}")
    print(f"{len(chosen)} rules")
    return EXIT_OK


def test_rules(args: argparse.Namespace) -> int:
    from checker.engine.cases import run_all

    outcomes, problems = run_all(start(args).pack())
    failed = [o for o in outcomes if not o.ok]
    for outcome in failed:
        print(f"FAILED {outcome.rule_id} [{outcome.case}]: {outcome.describe()}")
    for problem in problems:
        print(f"FAILED {problem}")
    print(f"{len(outcomes) - len(failed)} passed, {len(failed) + len(problems)} failed")
    return EXIT_FAILED if failed or problems else EXIT_OK
