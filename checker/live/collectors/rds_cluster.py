"""AWS::RDS::DBCluster from DescribeDBClusters.

BacktrackWindow is in seconds and BackupRetentionPeriod in days, as in templates. ManageMasterUserPassword
is true when RDS holds the master password in Secrets Manager (the cluster then has a MasterUserSecret).
"""
from __future__ import annotations

from typing import Any

from checker.live.collectors.base import Call, Collector, Target, first_label, keep, only, rename, tags

_SAME = ("BacktrackWindow", "BackupRetentionPeriod", "StorageEncrypted", "KmsKeyId", "Engine", "EngineVersion",
         "EngineMode", "DBClusterIdentifier", "DeletionProtection", "CopyTagsToSnapshot", "MasterUsername", "Port",
         "PreferredBackupWindow", "PreferredMaintenanceWindow", "StorageType", "NetworkType", "DatabaseName",
         "GlobalClusterIdentifier", "ReplicationSourceIdentifier", "AutoMinorVersionUpgrade", "MonitoringInterval",
         "AvailabilityZones", "ServerlessV2ScalingConfiguration")
_RENAMED = {"EnabledCloudwatchLogsExports": "EnableCloudwatchLogsExports",
            "IAMDatabaseAuthenticationEnabled": "EnableIAMDatabaseAuthentication",
            "HttpEndpointEnabled": "EnableHttpEndpoint", "DBClusterParameterGroup": "DBClusterParameterGroupName",
            "DBSubnetGroup": "DBSubnetGroupName", "PerformanceInsightsEnabled": "PerformanceInsightsEnabled",
            "PerformanceInsightsKMSKeyId": "PerformanceInsightsKmsKeyId"}
_DERIVED = ("ManageMasterUserPassword", "MasterUserSecret", "VpcSecurityGroupIds", "Tags")


def database_properties(record: dict, same: tuple[str, ...], renamed: dict[str, str],
                        security_groups: str) -> dict[str, Any]:
    """What clusters and instances report alike: the properties of the same or another name, the managed
    master password (ManageMasterUserPassword is true when RDS holds it, as MasterUserSecret), the VPC
    security groups (under the property name `security_groups` of the type) and the tags."""
    properties: dict[str, Any] = {**keep(record, *same), **rename(record, renamed)}
    secret = record.get("MasterUserSecret")
    properties["ManageMasterUserPassword"] = secret is not None
    if secret:
        properties["MasterUserSecret"] = keep(secret, "KmsKeyId", "SecretArn")
    properties[security_groups] = [g["VpcSecurityGroupId"] for g in record.get("VpcSecurityGroups", [])]
    properties["Tags"] = tags(record.get("TagList"))
    return properties


def _cluster(response: dict, target: Target) -> dict:
    cluster = only(response, "DBClusters")
    if cluster is None:
        raise LookupError(f"no DB cluster {target.physical_id}")
    return database_properties(cluster, _SAME, _RENAMED, "VpcSecurityGroupIds")


COLLECTOR = Collector(
    type="AWS::RDS::DBCluster",
    calls=(
        Call("rds", "DescribeDBClusters", lambda target, _: {"DBClusterIdentifier": target.physical_id}, _cluster,
             _SAME + tuple(_RENAMED.values()) + _DERIVED, required=True),
    ),
    arn=lambda _, responses: (only(responses.get("DescribeDBClusters"), "DBClusters") or {}).get("DBClusterArn"),
    attributes={"DBClusterArn": "arn", "Endpoint.Address": first_label, "ReadEndpoint.Address": first_label},
    named="DBClusterIdentifier",
    from_name=lambda name, region, account: name.lower(),  # RDS stores identifiers in lower case
)
