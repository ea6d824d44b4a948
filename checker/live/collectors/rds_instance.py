"""AWS::RDS::DBInstance from DescribeDBInstances."""
from __future__ import annotations

from checker.live.collectors.base import Call, Collector, Target, first_label, only
from checker.live.collectors.rds_cluster import database_properties

_SAME = ("DBInstanceIdentifier", "DBInstanceClass", "Engine", "EngineVersion", "DBClusterIdentifier",
         "StorageEncrypted", "KmsKeyId", "BackupRetentionPeriod", "MultiAZ", "PubliclyAccessible",
         "DeletionProtection", "AutoMinorVersionUpgrade", "MonitoringInterval", "CopyTagsToSnapshot",
         "AllocatedStorage", "StorageType", "CACertificateIdentifier", "AvailabilityZone",
         "PreferredBackupWindow", "PreferredMaintenanceWindow", "MasterUsername", "PerformanceInsightsKMSKeyId",
         "NetworkType")
_RENAMED = {"EnabledCloudwatchLogsExports": "EnableCloudwatchLogsExports",
            "IAMDatabaseAuthenticationEnabled": "EnableIAMDatabaseAuthentication",
            "PerformanceInsightsEnabled": "EnablePerformanceInsights"}
_DERIVED = ("ManageMasterUserPassword", "MasterUserSecret", "DBSubnetGroupName", "DBParameterGroupName",
            "VpcSecurityGroups", "Tags")


def _instance(response: dict, target: Target) -> dict:
    instance = only(response, "DBInstances")
    if instance is None:
        raise LookupError(f"no DB instance {target.physical_id}")
    properties = database_properties(instance, _SAME, _RENAMED, "VpcSecurityGroups")
    if instance.get("DBSubnetGroup"):
        properties["DBSubnetGroupName"] = instance["DBSubnetGroup"].get("DBSubnetGroupName")
    groups = instance.get("DBParameterGroups") or []
    if groups:
        properties["DBParameterGroupName"] = groups[0].get("DBParameterGroupName")
    return properties


COLLECTOR = Collector(
    type="AWS::RDS::DBInstance",
    calls=(
        Call("rds", "DescribeDBInstances", lambda target, _: {"DBInstanceIdentifier": target.physical_id},
             _instance, _SAME + tuple(_RENAMED.values()) + _DERIVED, required=True),
    ),
    arn=lambda _, responses: (only(responses.get("DescribeDBInstances"), "DBInstances") or {}).get("DBInstanceArn"),
    attributes={"DBInstanceArn": "arn", "Endpoint.Address": first_label},
)
