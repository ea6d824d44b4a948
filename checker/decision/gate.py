"""The pre-deploy gate: may this deployment proceed?

Whatever was scanned (a change set CloudFormation is about to execute, or a template file in one
environment), a Decision says why it blocks: failures at or above the threshold that the baseline does
not already hold, unchecked results unless errors are allowed, unknown resource types, and refusals (an
environment deployed where the config says it does not live).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from checker.decision.baseline import Baseline
from checker.engine.results import FAIL, SEVERITY_ORDER, UNCHECKED, Result
from checker.template.environment import ENVIRONMENT_PARAMETER, Environment
from checker.template.mask import MASK


def environment_refusals(env: Environment, declared: dict[str, Environment] | None, config: str,
                         parameters: dict[str, Any] | None = None, parameter: str = ENVIRONMENT_PARAMETER) -> list[str]:
    """Why this deployment is refused whatever the rules say: an environment that the environments
    file does not declare, or that it declares in another region or account."""
    found = []
    named = (parameters or {}).get(parameter)
    if named not in (None, MASK, env.name):
        found.append(f"the gate checks environment {env.name!r} but the {parameter} parameter "
                     f"is {named!r}")
    if declared is None:
        return found
    expected = declared.get(env.name)
    if expected is None:
        return found + [f"environment {env.name!r} is not declared in {config} (declared: {', '.join(declared)})"]
    if expected.region and env.region and expected.region != env.region:
        found.append(f"environment {env.name!r} is deployed to {expected.region} ({config}), not {env.region}")
    if expected.account_id and env.account_id and expected.account_id != env.account_id:
        found.append(f"environment {env.name!r} belongs to account {expected.account_id} ({config}), "
                     f"not {env.account_id}")
    return found


@dataclass(frozen=True)
class Decision:
    """The gate's verdict. `known` would block but are accepted by the baseline."""

    blocking: list[Result]
    known: list[Result] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    baseline: Baseline | None = None
    fail_on: str = "low"
    allow_errors: bool = False

    @property
    def blocked(self) -> bool:
        return bool(self.blocking or self.refusals)

    def to_dict(self) -> dict[str, Any]:
        return {"decision": "block" if self.blocked else "pass", "refusals": self.refusals,
                "blocking": len(self.blocking), "known_in_baseline": len(self.known), "fail_on": self.fail_on,
                "allow_errors": self.allow_errors}

    def baseline_dict(self) -> dict[str, Any] | None:
        if self.baseline is None:
            return None
        return {"path": self.baseline.path, "findings": len(self.baseline.keys),
                "known_failures": len(self.known), "new_failures": len(self.blocking)}


def blocking(results: list[Result], fail_on: str, allow_errors: bool) -> list[Result]:
    """The results that make the gate fail: failures at or above `fail_on`, and errors unless allowed."""
    threshold = SEVERITY_ORDER[fail_on]
    return [
        r for r in results
        if (r.status == FAIL and SEVERITY_ORDER[r.severity] >= threshold)
        or (r.status in UNCHECKED and not allow_errors)
    ]


def decide(results: list[Result], fail_on: str, allow_errors: bool, baseline: Baseline | None = None,
           refused: Iterable[str] = (), unknown_types: Iterable[str] = ()) -> Decision:
    """Which results block, after the threshold and the baseline; `unknown_types` block unless errors
    are allowed."""
    failing = blocking(results, fail_on, allow_errors)
    known = [r for r in failing if baseline is not None and baseline.known(r)]
    new = [r for r in failing if baseline is None or not baseline.known(r)]
    reasons = list(refused)
    if not allow_errors:
        reasons += [unknown_type_refusal(kind) for kind in unknown_types]
    return Decision(new, known, reasons, baseline, fail_on, allow_errors)


def unknown_type_refusal(kind: str) -> str:
    """The reason an unknown resource type (`kind`: "TYPE (LogicalId)") gives for blocking."""
    return f"unknown resource type {kind}"


def explain(decision: Decision, subject: str) -> list[str]:
    """The lines the gate prints: the verdict, then each reason."""
    if not decision.blocked:
        tail = f" ({len(decision.known)} known failures accepted by the baseline)" if decision.known else ""
        return [f"gate: PASS {subject}: deployment may proceed{tail}"]
    lines = [f"gate: BLOCK {subject}: {len(decision.blocking) + len(decision.refusals)} reason(s)"]
    lines += [f"  refused: {reason}" for reason in decision.refusals]
    for r in decision.blocking:
        where = r.resource or "(template)"
        lines.append(f"  {r.status} {r.severity} {r.rule_id} {where} [{r.environment}]: {r.message}")
    if decision.known:
        lines.append(f"  ({len(decision.known)} further failures are in the baseline and do not block)")
    return lines
