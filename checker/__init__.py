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
from checker.scan import ScanReport, scan, scan_live, scan_with_live
from checker.template.environment import Environment
from checker.template.load import Template, load_template
from checker.template.render import Document, render
from checker.version import __version__

__all__ = [
    "AwsOptions", "Baseline", "Config", "Decision", "Document", "Environment", "EnvironmentPlan", "InputError",
    "Result", "Rule", "ScanReport", "Template", "__version__", "build_payload", "bundled_rule_dirs", "decide",
    "evaluate", "find_config", "load_baseline", "load_rules", "load_template", "plan_environments", "render", "scan",
    "scan_live", "scan_with_live", "write_reports",
]
