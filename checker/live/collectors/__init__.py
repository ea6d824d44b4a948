"""Collectors: read deployed resources back, in CloudFormation's property names, shapes and units.

One module per resource type, each declaring a `COLLECTOR` (see base.py). `COLLECTORS` maps a resource
type to its collector; checker.live.permissions derives the read-only policy a live scan needs from them.
"""
from __future__ import annotations

from checker.live.collectors import (
    ec2_vpc,
    ecs_cluster,
    elbv2_listener,
    events_rule,
    iam_role,
    kms_key,
    lambda_function,
    lambda_permission,
    logs_log_group,
    rds_cluster,
    rds_instance,
    s3_bucket,
    s3_bucket_policy,
    sns_topic,
)
from checker.live.collectors.base import LIVE, Call, Collector, Target

COLLECTORS: dict[str, Collector] = {
    module.COLLECTOR.type: module.COLLECTOR
    for module in (s3_bucket, s3_bucket_policy, rds_cluster, rds_instance, kms_key, events_rule, lambda_function,
                   lambda_permission, iam_role, sns_topic, logs_log_group, elbv2_listener, ecs_cluster, ec2_vpc)
}

__all__ = ["COLLECTORS", "LIVE", "Call", "Collector", "Target"]
