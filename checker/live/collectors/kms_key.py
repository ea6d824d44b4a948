"""AWS::KMS::Key: metadata, rotation and the key policy.

Live-only facts: `KeyState` (e.g. PendingDeletion), `KeyManager`, `AccountId` (the key's account) and
`PolicyAccounts`, the accounts that the key policy's Allow statements name as AWS principals.
"""
from __future__ import annotations

import re
from typing import Any

from checker.live.collectors.base import LIVE, Call, Collector, Target, keep, policy

_ACCOUNT = re.compile(r"^(?:arn:[^:]+:(?:iam|sts)::)?(\d{12})(?::|$)")


def _key(target: Target, _: object) -> dict:
    return {"KeyId": target.physical_id}


def _metadata(response: dict, _: Target) -> dict:
    metadata = response["KeyMetadata"]
    return {**keep(metadata, "Description", "Enabled", "KeyUsage", "KeySpec", "MultiRegion", "Origin"),
            LIVE: {**keep(metadata, "KeyState", "KeyManager"), **({"AccountId": metadata["AWSAccountId"]}
                                                                 if metadata.get("AWSAccountId") else {})}}


def principal_accounts(document: Any) -> list[str]:
    """The accounts named by the AWS principals of a policy's Allow statements ("*" for anyone)."""
    statements = (document or {}).get("Statement") if isinstance(document, dict) else None
    found = set()
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        named = principal.get("AWS") if isinstance(principal, dict) else principal
        for value in named if isinstance(named, list) else [named]:
            match = _ACCOUNT.match(str(value))
            if value == "*":
                found.add("*")
            elif value is not None and match:
                found.add(match.group(1))
    return sorted(found)


def _key_policy(response: dict, _: Target) -> dict:
    document = policy(response["Policy"])
    return {"KeyPolicy": document, LIVE: {"PolicyAccounts": principal_accounts(document)}}


def _rotation(response: dict, _: Target) -> dict:
    return {"EnableKeyRotation": bool(response.get("KeyRotationEnabled")),
            **keep(response, "RotationPeriodInDays")}


COLLECTOR = Collector(
    type="AWS::KMS::Key",
    calls=(
        Call("kms", "DescribeKey", _key, _metadata,
             ("Description", "Enabled", "KeyUsage", "KeySpec", "MultiRegion", "Origin"),
             ("KeyState", "KeyManager", "AccountId"), required=True),
        # Asymmetric and HMAC keys do not rotate: KMS answers UnsupportedOperationException.
        Call("kms", "GetKeyRotationStatus", _key, _rotation, ("EnableKeyRotation", "RotationPeriodInDays"),
             absent=("UnsupportedOperationException",)),
        Call("kms", "GetKeyPolicy", lambda target, _: {"KeyId": target.physical_id, "PolicyName": "default"},
             _key_policy, ("KeyPolicy",), ("PolicyAccounts",)),
    ),
    arn=lambda _, responses: (responses.get("DescribeKey") or {}).get("KeyMetadata", {}).get("Arn"),
    attributes={"Arn": "arn", "KeyId": "id"},
)
