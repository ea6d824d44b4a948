"""CloudFormation's pseudo parameters: their names, and the values a deployment gives them."""
from __future__ import annotations

from typing import Any

from checker.template.partitions import partition_of, url_suffix_of

PSEUDO_PARAMETERS = frozenset({"AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition",
                               "AWS::Region", "AWS::StackId", "AWS::StackName", "AWS::URLSuffix"})


def pseudo_parameters(region: str | None, account_id: str | None, stack_name: str | None) -> dict[str, Any]:
    """The pseudo parameters a deployment to `region`, `account_id` and `stack_name` knows at scan time (the
    others, such as AWS::StackId, exist only once it is deployed)."""
    values: dict[str, Any] = {}
    if region:
        values["AWS::Region"] = region
        values["AWS::Partition"] = partition_of(region)
        values["AWS::URLSuffix"] = url_suffix_of(region)
    if account_id:
        values["AWS::AccountId"] = account_id
    if stack_name:
        values["AWS::StackName"] = stack_name
    return values
