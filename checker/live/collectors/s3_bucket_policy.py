"""AWS::S3::BucketPolicy: the policy of a bucket. Its physical id is the bucket's name."""
from __future__ import annotations

from checker.live.collectors.base import Call, Collector, policy

COLLECTOR = Collector(
    type="AWS::S3::BucketPolicy",
    calls=(
        Call("s3", "GetBucketPolicy", lambda target, _: {"Bucket": target.physical_id},
             lambda r, target: {"Bucket": target.physical_id, "PolicyDocument": policy(r["Policy"])},
             ("Bucket", "PolicyDocument"), required=True),
    ),
    arn=lambda target, _: None,
    attributes={},
)
