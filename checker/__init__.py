"""Policy-as-code compliance for CloudFormation: one rule set for templates and for deployed stacks.

The library the command line is built on::

    import checker

    rules = checker.load_rules(checker.bundled_rule_dirs())
    plan = checker.plan_environments(checker.find_config("checker.yaml"), ["prod"])
    report = checker.scan(["templates/payment-stack.yaml"], rules, plan)
    decision = checker.decide(report.results, fail_on="high", allow_errors=False)
    payload = checker.build_payload(report, rules, plan.environments, decision)
    checker.write_reports(payload, {"html": "reports/report.html"})

Without a configuration, environments are listed by hand: `checker.Environment("prod", "us-east-1",
parameters={"Environment": "prod"})`.

One template by hand: `load_template`, `render` for an environment, `evaluate` the rules on the document.
Deployed stacks: `scan_live` (what is deployed) and `scan_with_live` (template, deployment and the drift
between them); both reach AWS lazily, so template scans never import boto3.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from checker.version import __version__

if TYPE_CHECKING:
    from checker.decision.baseline import Baseline, load_baseline
    from checker.decision.gate import Decision, decide
    from checker.engine.evaluate import evaluate
    from checker.engine.results import Result
    from checker.engine.rules import Rule, bundled_rule_dirs, load_rules
    from checker.errors import InputError
    from checker.live.aws import AwsOptions
    from checker.project.config import Config, find_config
    from checker.project.plan import EnvironmentPlan, plan_environments
    from checker.report import write_reports
    from checker.report.payload import build_payload
    from checker.scans import ScanReport, scan, scan_live, scan_with_live
    from checker.template.document_types import Document
    from checker.template.environment import Environment
    from checker.template.load import Template, load_template
    from checker.template.render import render

# Each name is imported when first used: `import checker` stays cheap, and a template scan never imports
# the live stage (nor boto3).
_HOMES = {
    "Baseline": "checker.decision.baseline", "load_baseline": "checker.decision.baseline",
    "Decision": "checker.decision.gate", "decide": "checker.decision.gate", "evaluate": "checker.engine.evaluate",
    "Result": "checker.engine.results", "Rule": "checker.engine.rules", "bundled_rule_dirs": "checker.engine.rules",
    "load_rules": "checker.engine.rules", "InputError": "checker.errors", "AwsOptions": "checker.live.aws",
    "Config": "checker.project.config", "find_config": "checker.project.config",
    "EnvironmentPlan": "checker.project.plan", "plan_environments": "checker.project.plan",
    "write_reports": "checker.report", "build_payload": "checker.report.payload", "ScanReport": "checker.scans",
    "scan": "checker.scans", "scan_live": "checker.scans", "scan_with_live": "checker.scans",
    "Environment": "checker.template.environment", "Template": "checker.template.load",
    "load_template": "checker.template.load", "Document": "checker.template.document_types",
    "render": "checker.template.render",
}
__all__ = [
    "AwsOptions", "Baseline", "Config", "Decision", "Document", "Environment", "EnvironmentPlan", "InputError",
    "Result", "Rule", "ScanReport", "Template", "__version__", "build_payload", "bundled_rule_dirs", "decide",
    "evaluate", "find_config", "load_baseline", "load_rules", "load_template", "plan_environments", "render", "scan",
    "scan_live", "scan_with_live", "write_reports",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'checker' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
