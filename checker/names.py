"""Names a template fixes: what `Ref` of a resource returns when a property names it, and its ARN when known.

For these types `Ref` returns the resource's name, and the template may set it (when it does not,
CloudFormation generates one): `!Sub /aws/lambda/${Function}` is then a known string, and a literal name
or ARN written elsewhere denotes the resource.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NAME_PROPERTIES = {
    "AWS::S3::Bucket": "BucketName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::IAM::Role": "RoleName",
    "AWS::KMS::Alias": "AliasName",
    "AWS::Events::Rule": "Name",
    "AWS::ECS::Cluster": "ClusterName",
    "AWS::Scheduler::Schedule": "Name",
}


def fixed_name(resource: Mapping[str, Any]) -> str | None:
    """The name the (rendered) resource's properties give it, which `Ref` returns; None if not fixed."""
    prop = NAME_PROPERTIES.get(str(resource.get("Type")))
    properties = resource.get("Properties")
    value = properties.get(prop) if prop and isinstance(properties, Mapping) else None
    return value if isinstance(value, str) and value else None


def fixed_arn(resource: Mapping[str, Any], partition: str | None) -> str | None:
    """The ARN of a resource whose name is fixed, where the ARN needs nothing else (an S3 bucket)."""
    name = fixed_name(resource)
    if name and partition and resource.get("Type") == "AWS::S3::Bucket":
        return f"arn:{partition}:s3:::{name}"
    return None
