"""AWS::EC2::VPC: CIDR, tenancy, tags and the two DNS attributes."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checker.live.collectors.base import Call, Collector, Target, keep, only, tags
from checker.template.partitions import partition_of


def _vpc(response: dict, target: Target) -> dict:
    vpc = only(response, "Vpcs")
    if vpc is None:
        raise LookupError(f"no VPC {target.physical_id}")
    properties = keep(vpc, "CidrBlock", "InstanceTenancy")
    if vpc.get("Tags"):
        properties["Tags"] = tags(vpc["Tags"])
    return properties


def _attribute(name: str, api: str) -> Call:
    cfn = name[0].upper() + name[1:]
    return Call("ec2", "DescribeVpcAttribute", lambda target, _: {"VpcId": target.physical_id, "Attribute": name},
                lambda r, _: {cfn: r[api]["Value"]}, (cfn,), name=f"DescribeVpcAttribute.{name}")


def _arn(target: Target, responses: Mapping[str, Any]) -> str | None:
    vpc = only(responses.get("DescribeVpcs"), "Vpcs") or {}
    owner = vpc.get("OwnerId")
    return f"arn:{partition_of(target.region)}:ec2:{target.region}:{owner}:vpc/{target.physical_id}" if owner else None


COLLECTOR = Collector(
    type="AWS::EC2::VPC",
    calls=(
        Call("ec2", "DescribeVpcs", lambda target, _: {"VpcIds": [target.physical_id]}, _vpc,
             ("CidrBlock", "InstanceTenancy", "Tags"), required=True),
        _attribute("enableDnsSupport", "EnableDnsSupport"),
        _attribute("enableDnsHostnames", "EnableDnsHostnames"),
    ),
    arn=_arn,
    attributes={"VpcId": "id"},
)
