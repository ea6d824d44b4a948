"""The custom functions rules may call, as plain Python (registered with JMESPath in expressions.py)."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from checker.intrinsics import is_intrinsic, sub_variables


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern:
    try:
        return re.compile(pattern)
    except re.error as exc:  # not a ValueError: rule evaluation would not report it as an ERROR result
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None


def regex_match(pattern: str, value: Any) -> bool:
    return isinstance(value, str) and _compiled(pattern).search(value) is not None


def pattern_accepts(pattern: Any, sample: str) -> bool:
    """Whether a CloudFormation AllowedPattern accepts `sample`: it must match the whole value."""
    if pattern is None:
        return True
    if not isinstance(pattern, str):
        raise ValueError(f"AllowedPattern is not a string: {pattern!r}")
    return _compiled(pattern).fullmatch(sample) is not None


_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_UNIT_DAYS = {"minute": 1 / 1440, "hour": 1 / 24, "day": 1}
# Allowed tokens per cron field (EventBridge: minutes hours day-of-month month day-of-week year).
_NUMBER_FIELD = r"(\*|{n}(-{n})?)(/\d+)?(,(\*|{n}(-{n})?)(/\d+)?)*"
_CRON_FIELDS = (
    re.compile(_NUMBER_FIELD.format(n=r"[0-5]?\d")),
    re.compile(_NUMBER_FIELD.format(n=r"(1?\d|2[0-3])")),
    re.compile(r"\?|L|LW|([1-9]|[12]\d|3[01])W|" + _NUMBER_FIELD.format(n=r"([1-9]|[12]\d|3[01])")),
    re.compile(_NUMBER_FIELD.format(n="(0?[1-9]|1[0-2]|" + "|".join(_MONTHS) + ")")),
    re.compile(r"\?|L|[1-7]L|[1-7]#[1-5]|(SUN|MON|TUE|WED|THU|FRI|SAT)#[1-5]|"
               + _NUMBER_FIELD.format(n="([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)")),
    re.compile(_NUMBER_FIELD.format(n=r"(19[7-9]\d|2[01]\d\d)")),
)


def schedule_days(expression: Any) -> float | int | None:
    """Period in days of an EventBridge schedule expression; None if invalid or not periodic."""
    if not isinstance(expression, str):
        return None
    rate = _RATE.fullmatch(expression.strip())
    if rate:
        count, unit = int(rate.group(1)), rate.group(2)
        if count == 0 or (count == 1) != (not unit.endswith("s")):  # "rate(1 day)", "rate(7 days)"
            return None
        days = count * _UNIT_DAYS[unit.rstrip("s")]
        return int(days) if days == int(days) else days
    if not (expression.startswith("cron(") and expression.endswith(")")):
        return None
    fields = expression[5:-1].split()
    if len(fields) != 6 or not all(p.fullmatch(f) for p, f in zip(_CRON_FIELDS, fields, strict=True)):
        return None
    minute, hour, day_of_month, month, day_of_week, year = fields
    if (day_of_month == "?") == (day_of_week == "?"):  # exactly one of the two must be '?'
        return None
    if not (minute.isdigit() and month == "*" and year == "*"):
        return None
    every_day = "*" in (day_of_month, day_of_week)
    if hour == "*":
        return 1 / 24 if every_day else None
    if not hour.isdigit():
        return None
    if every_day:
        return 1
    if day_of_month == "?" and (day_of_week.isdigit() or day_of_week in _DAYS):
        return 7
    return None


def referenced_id(value: Any) -> str | None:
    """The logical id named by a Ref or Fn::GetAtt, else None."""
    if isinstance(value, dict) and len(value) == 1:
        if isinstance(value.get("Ref"), str):
            return value["Ref"]
        target = value.get("Fn::GetAtt")
        if isinstance(target, list) and target and isinstance(target[0], str):
            return target[0]
    return None


def resolve_in(document: dict, value: Any) -> dict | None:
    """The resource of `document` that a reference, logical id, physical id or ARN denotes."""
    resources = document.get("Resources") or {}
    logical_id = referenced_id(value) if isinstance(value, dict) else value
    if isinstance(logical_id, str):
        if logical_id in resources:
            return resources[logical_id]
        for resource in resources.values():
            if logical_id in (resource.get("PhysicalId"), resource.get("Arn")):
                return resource
    return None


def resources_in(document: dict, resource_type: str) -> list[dict]:
    return [r for r in (document.get("Resources") or {}).values() if r.get("Type") == resource_type]


def is_reference_in(document: dict, value: Any) -> bool:
    return referenced_id(value) in (document.get("Resources") or {})




def _is_sub_pair(argument: Any) -> bool:
    """The [text, {variable: value}] form of Fn::Sub."""
    return isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict)


def unresolved_part(value: Any, resource_ids: Any) -> str | None:
    """Describe the first part of `value` that is unknown before deployment, or None.

    References to resources of the same document are known facts, not unresolved values.
    """
    if isinstance(value, list):
        return next((found for item in value if (found := unresolved_part(item, resource_ids))), None)
    if not isinstance(value, dict):
        return None
    if not is_intrinsic(value):
        return next((found for item in value.values() if (found := unresolved_part(item, resource_ids))), None)
    (name, argument), = value.items()
    if name in ("Ref", "Fn::GetAtt"):
        target = referenced_id(value)
        if target in resource_ids:
            return None
        return f"{target} has no value" if name == "Ref" else f"Fn::GetAtt of unknown resource {target!r}"
    if name == "Fn::Sub":
        text, variables = argument if _is_sub_pair(argument) else (argument, {})
        if isinstance(text, str):
            for variable in sub_variables(text):
                if variable.split(".")[0] not in resource_ids and variable not in variables:
                    return f"${{{variable}}} has no value"
            return unresolved_part(variables, resource_ids)
    if name in ("Fn::Join", "Fn::Select", "Fn::Base64"):
        return unresolved_part(argument, resource_ids)
    if name == "Fn::If":
        return f"condition {argument[0] if isinstance(argument, list) and argument else argument!r} cannot be decided"
    return f"{name} is only known at deployment"
