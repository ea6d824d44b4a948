"""AWS::S3::Bucket: versioning, replication, lifecycle, encryption, public access block, tags, policy.

Live-only facts: `Live.Region` (where the bucket is), `Live.ReplicationDestinationRegions` (where the
replication destinations are, read with GetBucketLocation on each destination bucket) and
`Live.BucketPolicy` (the bucket policy, which CloudFormation holds in AWS::S3::BucketPolicy).
"""
from __future__ import annotations

from typing import Any

from checker.live.collectors.base import LIVE, Call, Collector, Target, keep, policy, tags
from checker.template.partitions import partition_of


def _bucket(target: Target, _: Any) -> dict:
    return {"Bucket": target.physical_id}


def _region(constraint: str | None) -> str:
    # us-east-1 answers with no constraint; "EU" is the legacy name of eu-west-1.
    return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(constraint, constraint or "us-east-1")


def _location(response: dict, target: Target) -> dict:
    return {"BucketName": target.physical_id, LIVE: {"Region": _region(response.get("LocationConstraint"))}}


def _versioning(response: dict, _: Target) -> dict:
    return {"VersioningConfiguration": {"Status": response["Status"]}} if response.get("Status") else {}


def _replication_filter(api: dict) -> dict:
    result: dict[str, Any] = keep(api, "Prefix")
    if "Tag" in api:
        result["TagFilter"] = api["Tag"]
    if "And" in api:
        both = keep(api["And"], "Prefix")
        if "Tags" in api["And"]:
            both["TagFilters"] = api["And"]["Tags"]
        result["And"] = both
    return result


def _replication_rule(rule: dict) -> dict:
    result = keep(rule, "Priority", "Prefix", "Status", "Destination", "DeleteMarkerReplication",
                       "SourceSelectionCriteria")
    if "ID" in rule:
        result["Id"] = rule["ID"]
    if "Filter" in rule:  # an empty Filter is meaningful: the V2 schema, every object
        result["Filter"] = _replication_filter(rule["Filter"])
    return result


def _replication(response: dict, _: Target) -> dict:
    config = response["ReplicationConfiguration"]
    return {"ReplicationConfiguration": {**keep(config, "Role"),
                                         "Rules": [_replication_rule(r) for r in config.get("Rules", [])]}}


def _destinations(_: Target, responses: Any) -> list[dict] | None:
    config = (responses.get("GetBucketReplication") or {}).get("ReplicationConfiguration") or {}
    arns = sorted({r.get("Destination", {}).get("Bucket", "") for r in config.get("Rules", [])} - {""})
    return [{"Bucket": arn.split(":::", 1)[-1]} for arn in arns] or None


def _destination_regions(pairs: list, _: Target) -> dict:
    return {LIVE: {"ReplicationDestinationRegions": sorted({_region(r.get("LocationConstraint")) for _, r in pairs})}}


def _lifecycle_rule(rule: dict) -> dict:
    result = keep(rule, "Status", "NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload")
    if "ID" in rule:
        result["Id"] = rule["ID"]
    selection = rule.get("Filter") or {}
    selection = {**selection, **selection.get("And", {})}
    if "Prefix" in selection or "Prefix" in rule:
        result["Prefix"] = selection.get("Prefix", rule.get("Prefix"))
    tag_filters = ([selection["Tag"]] if "Tag" in selection else []) + selection.get("Tags", [])
    if tag_filters:
        result["TagFilters"] = tag_filters
    result.update(keep(selection, "ObjectSizeGreaterThan", "ObjectSizeLessThan"))
    expiration = rule.get("Expiration") or {}
    if "Days" in expiration:
        result["ExpirationInDays"] = expiration["Days"]
    if "Date" in expiration:
        result["ExpirationDate"] = _date(expiration["Date"])
    if "ExpiredObjectDeleteMarker" in expiration:
        result["ExpiredObjectDeleteMarker"] = expiration["ExpiredObjectDeleteMarker"]
    if rule.get("Transitions"):
        result["Transitions"] = [
            {**keep(t, "StorageClass"), **({"TransitionInDays": t["Days"]} if "Days" in t else {}),
             **({"TransitionDate": _date(t["Date"])} if "Date" in t else {})} for t in rule["Transitions"]]
    if rule.get("NoncurrentVersionTransitions"):
        result["NoncurrentVersionTransitions"] = [
            {**keep(t, "StorageClass", "NewerNoncurrentVersions"), "TransitionInDays": t.get("NoncurrentDays")}
            for t in rule["NoncurrentVersionTransitions"]]
    return result


def _date(value: Any) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.000Z") if hasattr(value, "strftime") else str(value)


def _lifecycle(response: dict, _: Target) -> dict:
    config = {"Rules": [_lifecycle_rule(r) for r in response.get("Rules", [])]}
    config.update(keep(response, "TransitionDefaultMinimumObjectSize"))
    return {"LifecycleConfiguration": config}


def _encryption(response: dict, _: Target) -> dict:
    rules = response.get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    return {"BucketEncryption": {"ServerSideEncryptionConfiguration": [
        {**({"ServerSideEncryptionByDefault": r["ApplyServerSideEncryptionByDefault"]}
            if "ApplyServerSideEncryptionByDefault" in r else {}), **keep(r, "BucketKeyEnabled")}
        for r in rules]}}


S3 = "s3"
COLLECTOR = Collector(
    type="AWS::S3::Bucket",
    calls=(
        Call(S3, "GetBucketLocation", _bucket, _location, ("BucketName",), ("Region",), required=True),
        Call(S3, "GetBucketVersioning", _bucket, _versioning, ("VersioningConfiguration",)),
        Call(S3, "GetBucketReplication", _bucket, _replication, ("ReplicationConfiguration",),
             absent=("ReplicationConfigurationNotFoundError",), action="s3:GetReplicationConfiguration"),
        Call(S3, "GetBucketLocation", _destinations, _destination_regions, (), ("ReplicationDestinationRegions",),
             name="DestinationLocations"),
        Call(S3, "GetBucketLifecycleConfiguration", _bucket, _lifecycle, ("LifecycleConfiguration",),
             absent=("NoSuchLifecycleConfiguration",), action="s3:GetLifecycleConfiguration"),
        Call(S3, "GetBucketEncryption", _bucket, _encryption, ("BucketEncryption",),
             absent=("ServerSideEncryptionConfigurationNotFoundError",), action="s3:GetEncryptionConfiguration"),
        Call(S3, "GetPublicAccessBlock", _bucket,
             lambda r, _: {"PublicAccessBlockConfiguration": r["PublicAccessBlockConfiguration"]},
             ("PublicAccessBlockConfiguration",), absent=("NoSuchPublicAccessBlockConfiguration",),
             action="s3:GetBucketPublicAccessBlock"),
        Call(S3, "GetBucketTagging", _bucket, lambda r, _: {"Tags": tags(r.get("TagSet"))}, ("Tags",),
             absent=("NoSuchTagSet",)),
        Call(S3, "GetBucketPolicy", _bucket, lambda r, _: {LIVE: {"BucketPolicy": policy(r.get("Policy"))}},
             (), ("BucketPolicy",), absent=("NoSuchBucketPolicy",)),
    ),
    arn=lambda target, _: f"arn:{partition_of(target.region)}:s3:::{target.physical_id}",
    from_arn=lambda arn: arn.split(":::", 1)[-1],
    named="BucketName",
)
