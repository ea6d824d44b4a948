"""Names a template fixes: what `Ref` of a resource returns when a property names it, and its ARN when known.

For these types `Ref` returns the resource's name, and the template may set it (when it does not,
CloudFormation generates one): `!Sub /aws/lambda/${Function}` is then a known string, and a literal name
or ARN written elsewhere denotes the resource.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checker.template.values import Text, text

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


def given_name(resource: Mapping[str, Any]) -> Any:
    """The (rendered) value of the property that names the resource, known or not; None if there is none."""
    prop = NAME_PROPERTIES.get(str(resource.get("Type")))
    properties = resource.get("Properties")
    return properties.get(prop) if prop and isinstance(properties, Mapping) else None


def fixed_name(resource: Mapping[str, Any]) -> str | None:
    """The name the (rendered) resource's properties give it, which `Ref` returns; None if not fixed."""
    value = given_name(resource)
    return value if isinstance(value, str) and value else None


def fixed_arn(resource: Mapping[str, Any], partition: str | None) -> Any:
    """The ARN of a resource whose name the template gives, where the ARN needs nothing else (an S3 bucket):
    a string when the name is known, a Text when it is built with Fn::Sub or Fn::Join."""
    properties = resource.get("Properties")
    name = properties.get("BucketName") if isinstance(properties, Mapping) else None
    if isinstance(name, (str, Text)) and name and partition and resource.get("Type") == "AWS::S3::Bucket":
        return text(["arn:", partition, ":s3:::", name])
    return None
