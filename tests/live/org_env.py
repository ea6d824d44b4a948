"""A simulated organisation on the local emulator: accounts from AWS Organizations, an audit role in each,
and small stacks in several Regions, created through the emulator's CloudFormation in each account.

The emulator acts as another account for requests carrying `x-moto-account-id`, and its AssumeRole gives
credentials of the role's account. It lets any role be assumed, even one that does not exist, where AWS
refuses: `refuse_missing_roles` makes it refuse as AWS does (AccessDenied).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import boto3

ROLE = "OrgAudit"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]})
# What each stack holds: a key, a bucket, a log group and a topic; retention and rotation vary by stack.
TEMPLATE = {
    "Parameters": {"Retention": {"Type": "Number"}, "Rotate": {"Type": "String", "AllowedValues": ["true", "false"]},
                   "BucketName": {"Type": "String"}},
    "Conditions": {"Rotated": {"Fn::Equals": [{"Ref": "Rotate"}, "true"]}},
    "Resources": {
        "DataKey": {"Type": "AWS::KMS::Key", "Properties": {
            "Description": "data", "EnableKeyRotation": {"Fn::If": ["Rotated", True, False]},
            "KeyPolicy": {"Version": "2012-10-17", "Statement": [{
                "Sid": "account-administers-the-key", "Effect": "Allow",
                "Principal": {"AWS": {"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:root"}}, "Action": "kms:*",
                "Resource": "*"}]}}},
        "TransactionLogs": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": {"Ref": "BucketName"}}},
        "AppLogs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": {"Ref": "Retention"}}},
        "Alerts": {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": {"Ref": "DataKey"}}},
    },
}


def client(endpoint: str, service: str, region: str = "us-east-1", account: str | None = None) -> Any:
    """A client of the emulator acting as `account` (default: the management account)."""
    made = boto3.Session().client(service, region_name=region, endpoint_url=endpoint)
    if account:
        made.meta.events.register("before-sign", lambda request, **_: request.headers.__setitem__(
            "x-moto-account-id", account))
    return made


@dataclass
class SimulatedOrganization:
    accounts: list[str]
    regions: list[str]
    without_role: list[str]
    stacks: dict[tuple[str, str, str], dict[str, str]] = field(default_factory=dict)  # -> parameters

    def stack_names(self, account: str, region: str) -> list[str]:
        return sorted(s for a, r, s in self.stacks if (a, r) == (account, region))


def create_accounts(endpoint: str, count: int, suffix: str) -> list[str]:
    """`count` member accounts created through AWS Organizations (one organisation per emulator)."""
    organizations = client(endpoint, "organizations")
    try:
        organizations.create_organization(FeatureSet="ALL")
    except organizations.exceptions.AlreadyInOrganizationException:
        pass
    created = []
    for index in range(count):
        status = organizations.create_account(Email=f"member-{suffix}-{index}@example.com",
                                              AccountName=f"member-{suffix}-{index}")["CreateAccountStatus"]
        created.append(status["AccountId"])
    return created


def provision(endpoint: str, accounts: list[str], regions: list[str], stacks_per_region: int, suffix: str,
              without_role: tuple[str, ...] = ()) -> SimulatedOrganization:
    """The audit role in each account (except `without_role`) and stacks in each of its Regions."""
    organization = SimulatedOrganization(accounts, regions, list(without_role))
    client(endpoint, "iam").create_role(RoleName=ROLE, AssumeRolePolicyDocument=TRUST)  # the management account
    for account in accounts:
        if account not in without_role:
            client(endpoint, "iam", account=account).create_role(RoleName=ROLE, AssumeRolePolicyDocument=TRUST)
        for region in regions:
            cloudformation = client(endpoint, "cloudformation", region, account)
            for index in range(stacks_per_region):
                name = f"payments-{index}"
                parameters = {"Retention": "365" if index % 2 else "7", "Rotate": "true" if index % 3 else "false",
                              "BucketName": f"logs-{suffix}-{account}-{region}-{index}"}
                cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(TEMPLATE), Parameters=[
                    {"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()])
                # The emulator's CloudFormation stores a key policy that its KMS API then fails on (HTTP 500):
                # put the template's policy back as JSON.
                rows = cloudformation.list_stack_resources(StackName=name)["StackResourceSummaries"]
                key = next(r["PhysicalResourceId"] for r in rows if r["LogicalResourceId"] == "DataKey")
                policy = json.dumps(TEMPLATE["Resources"]["DataKey"]["Properties"]["KeyPolicy"]).replace(
                    "${AWS::AccountId}", account)
                client(endpoint, "kms", region, account).put_key_policy(KeyId=key, PolicyName="default",
                                                                        Policy=policy.replace('{"Fn::Sub": ', "")
                                                                        .replace(':root"}', ':root"'))
                organization.stacks[account, region, name] = parameters
    return organization


def refuse_missing_roles(patch: Any) -> None:
    """AssumeRole of a role that does not exist in its account is AccessDenied, as in AWS."""
    from moto.iam.models import iam_backends
    from moto.sts.exceptions import STSClientError
    from moto.sts.models import STSBackend

    assume = STSBackend.assume_role

    def checked(self: Any, region_name: str, role_session_name: str, role_arn: str, *args: Any, **kwargs: Any) -> Any:
        account = role_arn.split(":")[4]
        if not any(role.arn == role_arn for role in iam_backends[account]["aws"].get_roles()):
            raise STSClientError("AccessDenied", f"User: arn:aws:iam::123456789012:user/moto is not authorized to "
                                   f"perform: sts:AssumeRole on resource: {role_arn}")
        return assume(self, region_name, role_session_name, role_arn, *args, **kwargs)

    patch.setattr(STSBackend, "assume_role", checked)
