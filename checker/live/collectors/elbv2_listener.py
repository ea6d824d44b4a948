"""AWS::ElasticLoadBalancingV2::Listener from DescribeListeners. The physical id is the listener ARN."""
from __future__ import annotations

from checker.live.collectors.base import Call, Collector, Target, keep, only

_SAME = ("LoadBalancerArn", "Port", "Protocol", "SslPolicy", "Certificates", "DefaultActions", "AlpnPolicy",
         "MutualAuthentication")


def _listener(response: dict, target: Target) -> dict:
    listener = only(response, "Listeners")
    if listener is None:
        raise LookupError(f"no listener {target.physical_id}")
    properties = keep(listener, *_SAME)
    if not properties.get("AlpnPolicy"):
        properties.pop("AlpnPolicy", None)
    return properties


COLLECTOR = Collector(
    type="AWS::ElasticLoadBalancingV2::Listener",
    calls=(
        Call("elbv2", "DescribeListeners", lambda target, _: {"ListenerArns": [target.physical_id]}, _listener,
             _SAME, required=True, action="elasticloadbalancing:DescribeListeners"),
    ),
    arn=lambda target, _: target.physical_id,
    attributes={"ListenerArn": "arn"},
    from_arn=lambda arn: arn,
)
