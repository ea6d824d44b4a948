"""AWS::Lambda::Function: configuration; `Live.Policy` is its resource policy (who may invoke it)."""
from __future__ import annotations

from checker.live.collectors.base import LIVE, Call, Collector, Target, keep, policy, rename

_SAME = ("FunctionName", "Runtime", "Handler", "Role", "MemorySize", "Timeout", "Description", "TracingConfig",
         "Architectures", "DeadLetterConfig", "PackageType", "EphemeralStorage", "LoggingConfig", "Environment")
_DERIVED = ("KmsKeyArn", "VpcConfig", "Layers")


def _function(target: Target, _: object) -> dict:
    return {"FunctionName": target.physical_id}


def _configuration(response: dict, _: Target) -> dict:
    properties = {**keep(response, *_SAME), **rename(response, {"KMSKeyArn": "KmsKeyArn"})}
    vpc = response.get("VpcConfig") or {}
    if vpc.get("SubnetIds") or vpc.get("SecurityGroupIds"):
        properties["VpcConfig"] = keep(vpc, "SubnetIds", "SecurityGroupIds", "Ipv6AllowedForDualStack")
    if response.get("Layers"):
        properties["Layers"] = [layer["Arn"] for layer in response["Layers"]]
    return properties


COLLECTOR = Collector(
    type="AWS::Lambda::Function",
    calls=(
        Call("lambda", "GetFunctionConfiguration", _function, _configuration, _SAME + _DERIVED, required=True),
        Call("lambda", "GetPolicy", _function, lambda r, _: {LIVE: {"Policy": policy(r["Policy"])}}, (),
             ("Policy",), absent=("ResourceNotFoundException",)),  # the function exists: it has no policy
    ),
    arn=lambda _, responses: (responses.get("GetFunctionConfiguration") or {}).get("FunctionArn"),
    named="FunctionName",
)
