"""A change set read for the gate: what CloudFormation is about to deploy, with its exact parameter values."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from checker.errors import InputError
from checker.template.load import Template, template_from_body

if TYPE_CHECKING:
    from checker.live.aws import AwsOptions


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

    from checker.live.aws import Clients, check_region, default_region, open_session

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
