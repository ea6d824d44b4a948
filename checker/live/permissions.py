"""The least-privilege IAM policy of a live scan, derived from what the collectors declare."""
from __future__ import annotations

from checker.live.collectors import COLLECTORS
from checker.live.collectors.base import Call

# IAM action prefixes that differ from the boto3 service name.
_PREFIX = {"elbv2": "elasticloadbalancing"}


def action(call: Call) -> str:
    return call.action or f"{_PREFIX.get(call.service, call.service)}:{call.operation}"


# An organisation scan also reads each stack's template (checker/org/worker.py).
ORG_ACTIONS = ("cloudformation:GetTemplate",)


def actions(org: bool = False) -> list[str]:
    from checker.live.scan import DISCOVERY_ACTIONS

    collected = {action(call) for collector in COLLECTORS.values() for call in collector.calls}
    return sorted(collected | set(DISCOVERY_ACTIONS) | set(ORG_ACTIONS if org else ()))


def iam_policy(org: bool = False) -> dict:
    """The policy of a live scan's identity; with `org`, of the role an organisation scan assumes."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "CheckerOrgReadOnly" if org else "CheckerLiveReadOnly", "Effect": "Allow",
                       "Action": actions(org), "Resource": "*"}],
    }
