"""Live scans through the library: the same verdicts and drift as `checker scan --live`, without the CLI."""
from __future__ import annotations

import checker
from tests.live import payment_env

RULES = checker.load_rules(checker.bundled_rule_dirs())


def _plan(deployment: payment_env.Deployment) -> checker.EnvironmentPlan:
    return checker.plan_environments(checker.find_config(str(deployment.config)), ["prod"])


def test_scan_with_live_finds_the_drift_made_by_hand(endpoint, drifted):
    report = checker.scan_with_live(payment_env.TEMPLATE, RULES, _plan(drifted), outputs=str(drifted.outputs),
                                    options=checker.AwsOptions(endpoint_url=endpoint))
    assert {(d["resource"], d["path"]) for d in report.drift if d["kind"] == "property"} == set(payment_env.DRIFT)
    failing = {r.resource for r in report.results if r.source == "live" and r.status == "FAIL"}
    assert failing == {resource for resource, _ in payment_env.DRIFT}
    assert report.live is not None and report.live.documents.keys() == {"prod"}


def test_scan_live_reads_the_deployment_without_comparing(endpoint, payment):
    template = checker.load_template(payment_env.TEMPLATE)
    report = checker.scan_live(RULES, _plan(payment), template=template, outputs=str(payment.outputs),
                               options=checker.AwsOptions(endpoint_url=endpoint))
    assert report.drift is None and {r.source for r in report.results} == {"live"}
    assert not checker.decide(report.results, fail_on="high", allow_errors=False).blocked


def test_scan_with_live_renders_each_environment_once(endpoint, payment, monkeypatch):
    from checker.template import render as render_module

    rendered: list[str] = []
    original = render_module._render
    monkeypatch.setattr(render_module, "_render", lambda template, env: rendered.append(env.name) or original(
        template, env))
    checker.scan_with_live(payment_env.TEMPLATE, RULES, _plan(payment), outputs=str(payment.outputs),
                           options=checker.AwsOptions(endpoint_url=endpoint))
    assert "prod" in rendered and len(rendered) == len(set(rendered))
