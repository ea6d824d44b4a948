"""The custom functions rules call, as plain Python."""
from __future__ import annotations

import pytest
from jmespath import exceptions

from checker.engine.context import Context
from checker.engine.expressions import Expression
from checker.engine.functions.text import pattern_accepts, regex_match, schedule_days
from checker.template.values import Origin, Reference, Unknown

# --- schedule_days -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("expression", "days"), [
    ("rate(1 day)", 1),
    ("rate(7 days)", 7),
    ("rate(12 hours)", 0.5),
    ("rate(1 hour)", 1 / 24),
    ("rate(30 minutes)", 30 / 1440),
    ("rate(1 minute)", 1 / 1440),
])
def test_rate_is_its_period_in_days(expression, days):
    assert schedule_days(expression) == pytest.approx(days)


@pytest.mark.parametrize("expression", [
    "rate(1 days)", "rate(7 day)", "rate(1 hours)", "rate(2 minute)",
])
def test_rate_with_the_wrong_singular_or_plural_unit_is_invalid(expression):
    assert schedule_days(expression) is None


@pytest.mark.parametrize("expression", ["rate(0 days)", "rate(0 day)", "rate(-1 days)", "rate(2 weeks)", "rate(days)"])
def test_rate_without_a_positive_count_of_a_known_unit_is_invalid(expression):
    assert schedule_days(expression) is None


def test_weekly_cron_is_seven_days():
    assert schedule_days("cron(0 3 ? * SUN *)") == 7


@pytest.mark.parametrize("expression", ["cron(0 3 ? * 1 *)", "cron(30 23 ? * SAT *)"])
def test_cron_on_one_weekday_is_seven_days(expression):
    assert schedule_days(expression) == 7


@pytest.mark.parametrize("expression", ["cron(0 3 * * ? *)", "cron(15 0 ? * * *)"])
def test_daily_cron_is_one_day(expression):
    assert schedule_days(expression) == 1


@pytest.mark.parametrize("expression", ["cron(0 * * * ? *)", "cron(5 * ? * * *)"])
def test_hourly_cron_is_a_twenty_fourth_of_a_day(expression):
    assert schedule_days(expression) == 1 / 24


def test_hourly_cron_on_one_weekday_has_no_fixed_period():
    assert schedule_days("cron(0 * ? * SUN *)") is None


@pytest.mark.parametrize("expression", ["cron(0 3 * * SUN *)", "cron(0 3 ? * ? *)"])
def test_cron_needs_exactly_one_of_the_day_fields_to_be_a_question_mark(expression):
    assert schedule_days(expression) is None


@pytest.mark.parametrize("expression", ["cron(0 3 ? * SUN)", "cron(0 3 ? * SUN * *)", "cron()"])
def test_cron_with_other_than_six_fields_is_invalid(expression):
    assert schedule_days(expression) is None


@pytest.mark.parametrize("expression", [
    "cron(60 3 * * ? *)", "cron(0 24 * * ? *)", "cron(0 3 32 * ? *)", "cron(0 3 ? 13 * *)",
    "cron(0 3 ? * 8 *)", "cron(0 3 ? * 0 *)", "cron(0 3 * * ? 1969)",
])
def test_cron_with_a_value_out_of_range_is_invalid(expression):
    assert schedule_days(expression) is None


@pytest.mark.parametrize("expression", [
    "cron(0 3 1 * ? *)", "cron(0 3 L * ? *)", "cron(0 3 ? * SUN#1 *)", "cron(0 3 * JAN ? *)",
])
def test_monthly_or_yearly_cron_has_no_fixed_period(expression):
    assert schedule_days(expression) is None


@pytest.mark.parametrize("expression", ["cron(0 3 ? * MON-FRI *)", "cron(0 3 ? * 2,4 *)", "cron(0 3 * * ? 2030)"])
def test_cron_with_uneven_gaps_or_a_fixed_year_has_no_fixed_period(expression):
    assert schedule_days(expression) is None


@pytest.mark.parametrize("expression", [None, 7, "", "every day", {"Ref": "Schedule"}])
def test_schedule_that_is_not_an_expression_is_none(expression):
    assert schedule_days(expression) is None


# --- pattern_accepts and regex_match -------------------------------------------------------------------

@pytest.mark.parametrize(("pattern", "sample", "accepted"), [
    ("[a-z]+", "abc", True),
    ("[a-z]+", "abc1", False),   # CloudFormation matches the whole value, not a part of it
    ("[a-z]+", "1abc", False),
    ("a|ab", "ab", True),        # alternation is tried against the whole value
    ("(?=.*[0-9]).{12,}", "correcthorse1", True),
    ("(?=.*[0-9]).{12,}", "short1", False),
])
def test_pattern_accepts_only_a_full_match(pattern, sample, accepted):
    assert pattern_accepts(pattern, sample) is accepted


def test_no_pattern_accepts_everything():
    assert pattern_accepts(None, "anything at all") is True


@pytest.mark.parametrize("pattern", ["[a-z", "(", "*"])
def test_invalid_pattern_raises_a_value_error(pattern):
    with pytest.raises(ValueError, match="invalid regular expression"):
        pattern_accepts(pattern, "abc")


def test_pattern_that_is_not_a_string_raises_a_value_error():
    with pytest.raises(ValueError):
        pattern_accepts({"Ref": "Pattern"}, "abc")


@pytest.mark.parametrize(("pattern", "value", "matched"), [
    ("aws:kms", "aws:kms", True),
    ("kms", "aws:kms:dsse", True),    # anywhere in the value
    ("^kms", "aws:kms", False),
    ("kms", None, False),
    ("kms", 7, False),
    ("kms", {"Ref": "Algorithm"}, False),
])
def test_regex_match_searches_anywhere_in_a_string(pattern, value, matched):
    assert regex_match(pattern, value) is matched


def test_regex_match_with_an_invalid_pattern_raises_a_value_error():
    with pytest.raises(ValueError):
        regex_match("(", "abc")


# --- resolve ------------------------------------------------------------------------------------------

KEY = {"Type": "AWS::KMS::Key", "LogicalId": "Key"}
LIVE_KEY = {"Type": "AWS::KMS::Key", "LogicalId": "LiveKey", "PhysicalId": "1234abcd-12ab",
            "Arn": "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab"}
DOCUMENT = {"Resources": {"Key": KEY, "LiveKey": LIVE_KEY}}


def resolved(value, document=DOCUMENT):
    return Expression("resolve(@)").search(value, Context(document, {}))


@pytest.mark.parametrize(("value", "resource"), [
    (Reference("Key"), KEY),
    (Reference("Key", "Arn"), KEY),
    ("Key", KEY),
    ("1234abcd-12ab", LIVE_KEY),
    ("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab", LIVE_KEY),
])
def test_resolve_finds_the_resource_a_value_denotes(value, resource):
    assert resolved(value) == resource


@pytest.mark.parametrize("value", [
    Reference("OtherKey"), "alias/aws/s3", None, 7,
    Unknown([Origin("import", "Key")], "string"), Unknown([Origin("parameter", "KeyArn")], "string"),
])
def test_resolve_of_something_not_in_the_document_is_null(value):
    assert resolved(value) is None


def test_resolve_in_a_document_without_resources_is_null():
    assert resolved("Key", {}) is None


# --- errors ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("expression", "shown"), [
    ("map(&Name, Properties.Tags)", "invalid type for value: a-string"),
    ("length(&Name)", "invalid type for value: &expression"),
])
def test_an_error_message_names_the_value_at_fault_the_same_in_every_run(expression, shown):
    with pytest.raises(exceptions.JMESPathTypeError) as raised:
        Expression(expression).search({"Properties": {"Tags": "a-string"}}, Context({}, {}))
    assert shown in str(raised.value) and " at 0x" not in str(raised.value)


def test_map_over_what_holds_a_deploy_time_value_is_unknown_not_an_error():
    deploy_time = Unknown([Origin("parameter", "Name", "has no value")], "string")
    found = Expression("map(&@, Properties)").search({"Properties": {"BucketName": deploy_time}}, Context({}, {}))
    assert isinstance(found, Unknown) and found.origins == deploy_time.origins
