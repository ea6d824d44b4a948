"""AWS::Events::Rule: schedule or pattern, state and targets.

The physical id is the rule name, or "bus|name" for a rule on a custom event bus.
"""
from __future__ import annotations

from checker.live.collectors.base import Call, Collector, Target, keep, policy


def _names(target: Target, _: object = None) -> dict:
    bus, _sep, name = target.physical_id.rpartition("|")
    return {"Name": name, **({"EventBusName": bus} if bus else {})}


def _rule(response: dict, _: Target) -> dict:
    properties = keep(response, "Name", "Description", "ScheduleExpression", "State", "RoleArn", "EventBusName")
    if response.get("EventPattern"):
        properties["EventPattern"] = policy(response["EventPattern"])
    return properties


def _targets_params(target: Target, _: object) -> dict:
    names = _names(target)
    return {"Rule": names["Name"], **({"EventBusName": names["EventBusName"]} if "EventBusName" in names else {})}


def _from_arn(arn: str) -> str:
    path = arn.split(":rule/", 1)[-1]  # "name", or "bus/name" on a custom bus
    bus, _sep, name = path.rpartition("/")
    return f"{bus}|{name}" if bus else name


COLLECTOR = Collector(
    type="AWS::Events::Rule",
    calls=(
        Call("events", "DescribeRule", _names, _rule,
             ("Name", "Description", "ScheduleExpression", "State", "RoleArn", "EventBusName", "EventPattern"),
             required=True),
        Call("events", "ListTargetsByRule", _targets_params, lambda r, _: {"Targets": r.get("Targets", [])},
             ("Targets",), paginate=True),
    ),
    arn=lambda _, responses: (responses.get("DescribeRule") or {}).get("Arn"),
    from_arn=_from_arn,
)
