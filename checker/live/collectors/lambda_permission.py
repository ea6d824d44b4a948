"""AWS::Lambda::Permission: one statement of its function's resource policy (GetPolicy).

The physical id of a permission is the statement id (`Sid`); some tools record "function|statement id". The
function is the template's `FunctionName` (resolved to the function's physical id); without a template, the
stack's functions are searched for the statement. Reading the function's policy with the same parameters as
the AWS::Lambda::Function collector makes the call once for both.

`FunctionName` is the statement's `Resource` (the function's ARN), so `resolve()` finds the function. A
statement that is gone from the policy of the function the template names (or a function without a policy)
is a permission that grants nothing: no properties, so the rules on it fail rather than pass.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from checker.live.collectors.base import Call, Collector, Target, policy

FUNCTION = "AWS::Lambda::Function"
_ACCOUNT_ROOT = re.compile(r"^arn:[^:]+:iam::(\d{12}):root$")
# AddPermission parameters that the policy holds as conditions: (operator, key) -> CloudFormation property.
_CONDITIONS = {("ArnLike", "AWS:SourceArn"): "SourceArn", ("StringEquals", "AWS:SourceAccount"): "SourceAccount",
               ("StringEquals", "aws:PrincipalOrgID"): "PrincipalOrgID",
               ("StringEquals", "lambda:EventSourceToken"): "EventSourceToken",
               ("StringEquals", "lambda:FunctionUrlAuthType"): "FunctionUrlAuthType"}
_PRODUCES = ("FunctionName", "Action", "Principal", *_CONDITIONS.values())


def _located(target: Target) -> tuple[str, tuple[str, ...] | None, bool]:
    """(statement id, the functions whose policy may hold it, whether that function is known for sure).
    None when the template names a function that is not known (an unresolved value, or not located)."""
    function, _sep, sid = target.physical_id.rpartition("|")
    if function:
        return sid, (function,), True
    if "FunctionName" not in target.declared:  # no template: search the functions of the deployment
        return sid, tuple(target.neighbours.get(FUNCTION, ())), False
    named = target.declared["FunctionName"]
    return sid, ((named,) if isinstance(named, str) else None), True


def _functions(target: Target, _: object) -> list[dict]:
    functions = _located(target)[1]
    return [{"FunctionName": name} for name in functions or ()]


def _statement(answers: list[tuple[dict, Any]], target: Target) -> dict:
    sid, functions, known = _located(target)
    if functions is None:
        raise LookupError(f"the function of this permission is not known: FunctionName is "
                          f"{target.declared.get('FunctionName')!r}")
    for _params, response in answers:
        for statement in (policy(response.get("Policy")) or {}).get("Statement", []):
            if isinstance(statement, Mapping) and statement.get("Sid") == sid:
                return _translate(statement)
    if known:
        return {}  # the function is known and its policy does not grant this: the permission is gone
    raise LookupError(f"no policy of the functions {', '.join(functions) or '(none located)'} holds statement "
                      f"{sid!r}")


def _translate(statement: Mapping[str, Any]) -> dict:
    properties: dict[str, Any] = {}
    if statement.get("Resource"):
        properties["FunctionName"] = statement["Resource"]
    action = statement.get("Action")
    if action:
        properties["Action"] = action[0] if isinstance(action, list) and len(action) == 1 else action
    principal = statement.get("Principal")
    if isinstance(principal, Mapping):  # {"Service": "events.amazonaws.com"} or {"AWS": "arn:...:root"}
        principal = principal.get("Service") or principal.get("AWS")
    if isinstance(principal, str):
        account = _ACCOUNT_ROOT.match(principal)
        properties["Principal"] = account.group(1) if account else principal
    conditions = statement.get("Condition") or {}
    for (operator, key), name in _CONDITIONS.items():
        value = (conditions.get(operator) or {}).get(key)
        if value is not None:
            properties[name] = value
    return properties


COLLECTOR = Collector(
    type="AWS::Lambda::Permission",
    calls=(
        # A function without a policy, or no longer there, grants nothing: the entry is left out.
        Call("lambda", "GetPolicy", _functions, _statement, _PRODUCES, absent=("ResourceNotFoundException",),
             required=True),
    ),
    arn=lambda *_: None,  # a permission has no ARN
    attributes={},
    references={"FunctionName": FUNCTION},
)
