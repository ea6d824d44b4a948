"""AWS::SNS::Topic from GetTopicAttributes. The physical id is the topic ARN."""
from __future__ import annotations

from checker.live.collectors.base import Call, Collector, Target, keep, policy
from checker.template.partitions import partition_of

_FLAGS = ("FifoTopic", "ContentBasedDeduplication")  # "true"/"false" in the API, booleans in templates


def _attributes(response: dict, target: Target) -> dict:
    attributes = response.get("Attributes", {})
    properties = {"TopicName": target.physical_id.rsplit(":", 1)[-1],
                  **keep(attributes, "KmsMasterKeyId", "DisplayName", "SignatureVersion", "TracingConfig")}
    properties.update({flag: attributes[flag] == "true" for flag in _FLAGS if flag in attributes})
    for name in ("ArchivePolicy", "DataProtectionPolicy"):
        if attributes.get(name):
            properties[name] = policy(attributes[name])
    return properties


COLLECTOR = Collector(
    type="AWS::SNS::Topic",
    calls=(
        Call("sns", "GetTopicAttributes", lambda target, _: {"TopicArn": target.physical_id}, _attributes,
             ("TopicName", "KmsMasterKeyId", "DisplayName", "SignatureVersion", "TracingConfig", "FifoTopic",
              "ContentBasedDeduplication", "ArchivePolicy", "DataProtectionPolicy"), required=True),
    ),
    arn=lambda target, _: target.physical_id,
    attributes={"TopicArn": "arn"},
    from_arn=lambda arn: arn,
    named="TopicName",
    from_name=lambda name, region, account: account and f"arn:{partition_of(region)}:sns:{region}:{account}:{name}",
)
