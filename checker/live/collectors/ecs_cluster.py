"""AWS::ECS::Cluster from DescribeClusters (settings, configuration and tags included)."""
from __future__ import annotations

from checker.live.collectors.base import Call, Collector, Target, only, tags, upper_first

_PROPERTIES = ("ClusterName", "ClusterSettings", "Configuration", "CapacityProviders",
               "DefaultCapacityProviderStrategy", "ServiceConnectDefaults", "Tags")


def _cluster(response: dict, target: Target) -> dict:
    cluster = only(response, "clusters")
    if cluster is None or cluster.get("status") == "INACTIVE":
        reasons = ", ".join(f.get("reason", "?") for f in response.get("failures", [])) or "INACTIVE"
        raise LookupError(f"no active ECS cluster {target.physical_id} ({reasons})")
    properties = {"ClusterName": cluster["clusterName"]}
    for api, cfn in (("settings", "ClusterSettings"), ("configuration", "Configuration"),
                     ("capacityProviders", "CapacityProviders"),
                     ("defaultCapacityProviderStrategy", "DefaultCapacityProviderStrategy"),
                     ("serviceConnectDefaults", "ServiceConnectDefaults")):
        if cluster.get(api):
            properties[cfn] = upper_first(cluster[api])
    if cluster.get("tags"):
        properties["Tags"] = tags(cluster["tags"], "key", "value")
    return properties


COLLECTOR = Collector(
    type="AWS::ECS::Cluster",
    calls=(
        Call("ecs", "DescribeClusters",
             lambda target, _: {"clusters": [target.physical_id], "include": ["SETTINGS", "CONFIGURATIONS", "TAGS"]},
             _cluster, _PROPERTIES, required=True),
    ),
    arn=lambda _, responses: (only(responses.get("DescribeClusters"), "clusters") or {}).get("clusterArn"),
)
