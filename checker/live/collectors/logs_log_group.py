"""AWS::Logs::LogGroup from DescribeLogGroups (by name prefix, then the exact name)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checker.live.collectors.base import Call, Collector, Target, rename

_NAMES = {"logGroupName": "LogGroupName", "retentionInDays": "RetentionInDays", "kmsKeyId": "KmsKeyId",
          "logGroupClass": "LogGroupClass", "deletionProtectionEnabled": "DeletionProtectionEnabled"}


def _group(response: dict, target: Target) -> dict:
    group = next((g for g in response.get("logGroups", []) if g.get("logGroupName") == target.physical_id), None)
    if group is None:
        raise LookupError(f"no log group named {target.physical_id}")
    return rename(group, _NAMES)


def _arn(target: Target, responses: Mapping[str, Any]) -> str | None:
    groups = (responses.get("DescribeLogGroups") or {}).get("logGroups", [])
    return next((g.get("arn") for g in groups if g.get("logGroupName") == target.physical_id), None)


COLLECTOR = Collector(
    type="AWS::Logs::LogGroup",
    calls=(
        Call("logs", "DescribeLogGroups", lambda target, _: {"logGroupNamePrefix": target.physical_id}, _group,
             tuple(_NAMES.values()), required=True, paginate=True),
    ),
    arn=_arn,
    from_arn=lambda arn: arn.split(":log-group:", 1)[-1].removesuffix(":*"),
    named="LogGroupName",
)
