"""The pre-deploy gate: may this deployment proceed?

Two inputs: a change set CloudFormation is about to execute (its template, its exact parameter values,
its stack's region and account), or a template file and one environment for pipelines that gate before
a change set exists. Either way the template rules are evaluated and a Decision says why it blocks:
failures at or above the threshold that the baseline does not already hold, unchecked results unless
errors are allowed, unknown resource types, and refusals (an environment deployed where the
environments file says it does not live).
"""
from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from checker.baseline import Baseline
from checker.config import ENVIRONMENT_PARAMETER, Environment
from checker.errors import InputError
from checker.load import Template, parse, validate_shape
from checker.mask import MASK
from checker.results import Result, blocking
from checker.rules import Rule
from checker.scan import ScanReport, peer_documents, scan_template, unknown_types
from checker.values import Origin, Unknown
from checker.waivers import Waiver, apply_waivers, inline_waivers

if TYPE_CHECKING:
    from checker.collect.aws import AwsOptions


class CloudFormationClient(Protocol):
    """The three read-only calls the gate makes (a boto3 CloudFormation client)."""

    meta: Any

    def describe_change_set(self, **kwargs: Any) -> dict: ...
    def describe_stacks(self, **kwargs: Any) -> dict: ...
    def get_template(self, **kwargs: Any) -> dict: ...


@dataclass(frozen=True)
class ChangeSet:
    stack_name: str
    name: str
    region: str
    account_id: str | None
    status: str | None
    parameters: dict[str, str]
    template: Template


def cloudformation_client(options: AwsOptions, region: str | None, base: Any = None) -> CloudFormationClient:
    """A CloudFormation client for the change set's account and region, from the live scan's AWS plumbing."""
    from botocore.exceptions import BotoCoreError, ClientError

    from checker.collect.aws import Clients, check_region, default_region, open_session

    if region:
        check_region(region)
    try:
        session, _account = open_session(options, region, base)
    except (BotoCoreError, ClientError) as exc:
        raise InputError("--role-arn" if options.role_arn else "--profile", str(exc)) from None
    region = region or default_region(session)
    if not region:
        raise InputError("--region", "no region for the change set: give --region, declare the environment's "
                         "region in the config, or set AWS_REGION")
    return Clients(session, options).get("cloudformation", check_region(region))


def read_change_set(client: CloudFormationClient, stack_name: str, change_set_name: str,
                    label: str | None = None) -> ChangeSet:
    """What the change set would deploy: DescribeChangeSet for the parameters (previous values taken
    from the stack), GetTemplate with ChangeSetName for the template as submitted."""
    from botocore.exceptions import BotoCoreError, ClientError  # only the change-set gate talks to AWS

    source = label or f"{stack_name}/{change_set_name}"
    try:
        described = client.describe_change_set(StackName=stack_name, ChangeSetName=change_set_name)
        given = described.get("Parameters") or []
        previous: dict[str, str] = {}
        if any(p.get("UsePreviousValue") and "ParameterValue" not in p for p in given):
            stacks = client.describe_stacks(StackName=described.get("StackId") or stack_name)["Stacks"]
            previous = _values(stacks[0].get("Parameters") or [])
        body = client.get_template(StackName=stack_name, ChangeSetName=change_set_name,
                                   TemplateStage="Original")["TemplateBody"]
    except (BotoCoreError, ClientError) as exc:
        raise InputError(source, f"could not read the change set: {exc}") from None
    stack_arn = str(described.get("StackId") or "")
    arn_parts = stack_arn.split(":")
    return ChangeSet(
        stack_name=str(described.get("StackName") or stack_name),
        name=change_set_name,
        region=str(client.meta.region_name),
        account_id=arn_parts[4] if len(arn_parts) > 5 and arn_parts[4] else None,
        status=described.get("Status"),
        parameters=resolve_parameters(given, previous, source),
        template=template_from_body(body, source),
    )


def _values(parameters: Iterable[dict]) -> dict[str, str]:
    return {str(p["ParameterKey"]): str(p.get("ResolvedValue", p.get("ParameterValue"))) for p in parameters
            if "ParameterValue" in p or "ResolvedValue" in p}


def resolve_parameters(given: list[dict], previous: dict[str, str], source: str) -> dict[str, str]:
    """Parameter values of a change set: as given (resolved SSM values preferred), or the stack's
    current value where the change set says UsePreviousValue."""
    values = _values(given)
    for parameter in given:
        key = parameter["ParameterKey"]
        if parameter.get("UsePreviousValue") and "ParameterValue" not in parameter:
            if key not in previous:
                raise InputError(source, f"parameter {key} keeps its previous value, but the stack has none")
            values[key] = previous[key]
    return values


def template_from_body(body: str | dict, source: str) -> Template:
    """A Template from GetTemplate's TemplateBody: YAML text, or JSON that boto3 already decoded."""
    text = json.dumps(body, indent=2) if isinstance(body, dict) else str(body)
    return Template(source, validate_shape(parse(text, source), source))


def scan_change_set(change_set: ChangeSet, env: Environment, rules: list[Rule],
                    waivers: Sequence[Waiver] = (), today: date | None = None,
                    known_rules: Collection[str] | None = None, declared: Sequence[Environment] = ()) -> ScanReport:
    """Evaluate the template rules on the change set's template, rendered for `env`; rules that compare
    environments see it rendered for the `declared` ones. A waiver of a rule outside `known_rules`
    (default: the ids of `rules`) is an input error."""
    template = change_set.template
    scanned = scan_template(template, rules, [env], peer_documents(declared))
    results = scanned.results
    results, outcome = apply_waivers(results, [*waivers, *inline_waivers(template)], today or date.today(),
                                     known_rules if known_rules is not None else {rule.id for rule in rules})
    notes = [] if change_set.status in (None, "CREATE_COMPLETE") else [
        f"change set {change_set.name} has status {change_set.status}"]
    return ScanReport(results=results, templates=[], errors=outcome.errors(), notes=notes + scanned.notes,
                      waivers=outcome,
                      unknown_types=[u for reached, _ in scanned.templates for u in unknown_types(reached)])


def change_set_environment(change_set: ChangeSet, name: str | None) -> Environment:
    """The environment the change set deploys to: `name`, else its Environment parameter's value."""
    name = name or change_set.parameters.get(ENVIRONMENT_PARAMETER)
    if not name or name == MASK:
        raise InputError(change_set.template.path, f"no --env given and the change set has no "
                         f"{ENVIRONMENT_PARAMETER} parameter value")
    return Environment(name, change_set.region, change_set.account_id, change_set.stack_name,
                       {key: _unmasked(key, value) for key, value in change_set.parameters.items()})


def _unmasked(name: str, value: Any) -> Any:
    """A NoEcho value the change set shows masked is a value the gate cannot know."""
    if value != MASK:
        return value
    return Unknown([Origin("parameter", name, "is NoEcho: the change set shows its value masked")], "string",
                   form={"Ref": name})


def environment_refusals(env: Environment, declared: dict[str, Environment] | None, config: str,
             parameters: dict[str, Any] | None = None) -> list[str]:
    """Why this deployment is refused whatever the rules say: an environment that the environments
    file does not declare, or that it declares in another region or account."""
    found = []
    named = (parameters or {}).get(ENVIRONMENT_PARAMETER)
    if named not in (None, MASK, env.name):
        found.append(f"the gate checks environment {env.name!r} but the {ENVIRONMENT_PARAMETER} parameter "
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
