"""AWS::IAM::Role: trust policy, inline policies (Policies) and attached managed policies."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checker.live.collectors.base import Call, Collector, Target, keep, policy, rename, tags


def _role(target: Target, _: object) -> dict:
    return {"RoleName": target.physical_id}


def _get_role(response: dict, _: Target) -> dict:
    role = response["Role"]
    properties = {**keep(role, "RoleName", "Path", "Description", "MaxSessionDuration"),
                  **rename(role.get("PermissionsBoundary"), {"PermissionsBoundaryArn": "PermissionsBoundary"}),
                  "AssumeRolePolicyDocument": policy(role.get("AssumeRolePolicyDocument"))}
    if role.get("Tags"):
        properties["Tags"] = tags(role["Tags"])
    return properties


def _inline_names(target: Target, responses: Mapping[str, Any]) -> list[dict] | None:
    names = (responses.get("ListRolePolicies") or {}).get("PolicyNames") or []
    return [{"RoleName": target.physical_id, "PolicyName": name} for name in names]


def _inline(pairs: list, _: Target) -> dict:
    return {"Policies": [{"PolicyName": r["PolicyName"], "PolicyDocument": policy(r["PolicyDocument"])}
                         for _, r in pairs]}


COLLECTOR = Collector(
    type="AWS::IAM::Role",
    calls=(
        Call("iam", "GetRole", _role, _get_role,
             ("RoleName", "Path", "Description", "MaxSessionDuration", "PermissionsBoundary",
              "AssumeRolePolicyDocument", "Tags"), required=True),
        Call("iam", "ListRolePolicies", _role, lambda r, _: {}, ("Policies",), paginate=True),
        Call("iam", "GetRolePolicy", _inline_names, _inline, ("Policies",)),
        Call("iam", "ListAttachedRolePolicies", _role,
             lambda r, _: {"ManagedPolicyArns": [p["PolicyArn"] for p in r.get("AttachedPolicies", [])]},
             ("ManagedPolicyArns",), paginate=True),
    ),
    arn=lambda _, responses: (responses.get("GetRole") or {}).get("Role", {}).get("Arn"),
    named="RoleName",
)
