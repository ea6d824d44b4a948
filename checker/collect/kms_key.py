"""AWS::KMS::Key: metadata, rotation and the key policy. `Live.KeyState` tells e.g. PendingDeletion."""
from __future__ import annotations

from checker.collect.base import LIVE, Call, Collector, Target, keep, policy


def _key(target: Target, _: object) -> dict:
    return {"KeyId": target.physical_id}


def _metadata(response: dict, _: Target) -> dict:
    metadata = response["KeyMetadata"]
    return {**keep(metadata, "Description", "Enabled", "KeyUsage", "KeySpec", "MultiRegion", "Origin"),
            LIVE: keep(metadata, "KeyState", "KeyManager")}


def _rotation(response: dict, _: Target) -> dict:
    return {"EnableKeyRotation": bool(response.get("KeyRotationEnabled")),
            **keep(response, "RotationPeriodInDays")}


COLLECTOR = Collector(
    type="AWS::KMS::Key",
    calls=(
        Call("kms", "DescribeKey", _key, _metadata,
             ("Description", "Enabled", "KeyUsage", "KeySpec", "MultiRegion", "Origin"), ("KeyState", "KeyManager"),
             required=True),
        # Asymmetric and HMAC keys do not rotate: KMS answers UnsupportedOperationException.
        Call("kms", "GetKeyRotationStatus", _key, _rotation, ("EnableKeyRotation", "RotationPeriodInDays"),
             absent=("UnsupportedOperationException",)),
        Call("kms", "GetKeyPolicy", lambda target, _: {"KeyId": target.physical_id, "PolicyName": "default"},
             lambda r, _: {"KeyPolicy": policy(r["Policy"])}, ("KeyPolicy",)),
    ),
    arn=lambda _, responses: (responses.get("DescribeKey") or {}).get("KeyMetadata", {}).get("Arn"),
    attributes={"Arn": "arn", "KeyId": "id"},
)
