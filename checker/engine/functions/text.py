"""Rule functions over text: regular expressions, a parameter's AllowedPattern, schedule expressions."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from jmespath import exceptions

from checker.engine.context import Context
from checker.engine.functions.base import Function
from checker.engine.interpreter import Interpreter
from checker.engine.logic import unknown_truth
from checker.template.values import Reference, Text, Unknown, deep_origins, is_special, known_text


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
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


def _regex_match(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    pattern, value = interpreter.read(args[0]), known_text(interpreter.read(args[1]))
    if not isinstance(pattern, str):
        raise exceptions.JMESPathTypeError("regex_match", pattern, type(pattern).__name__, ["string"])
    if isinstance(value, (Text, Reference)) or (isinstance(value, Unknown) and value.type in (None, "string")):
        return unknown_truth(deep_origins(value))
    return regex_match(pattern, value)


def _pattern_accepts(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    pattern, sample = known_text(interpreter.read(args[0])), known_text(interpreter.read(args[1]))
    if is_special(pattern) or is_special(sample):
        return unknown_truth(deep_origins(pattern) | deep_origins(sample))
    if not isinstance(sample, str):
        raise exceptions.JMESPathTypeError("pattern_accepts", sample, type(sample).__name__, ["string"])
    return pattern_accepts(pattern, sample)


def _schedule_days(context: Context, interpreter: Interpreter, args: list[Any]) -> Any:
    expression = known_text(interpreter.read(args[0]))
    if is_special(expression):
        return Unknown(deep_origins(expression))  # a period, or null
    return schedule_days(expression)


TEXT: dict[str, Function] = {
    "regex_match": Function(2, 2, _regex_match, custom=True),
    "pattern_accepts": Function(2, 2, _pattern_accepts, custom=True),
    "schedule_days": Function(1, 1, _schedule_days, custom=True),
}
