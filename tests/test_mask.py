"""What the masker hides: values named like secrets, wherever the name is, and nothing else."""
from __future__ import annotations

import pytest

from checker.template.mask import Masker


@pytest.mark.parametrize("entry, masked", [
    ({"Key": "db_password", "Value": "hunter2"}, {"Key": "db_password", "Value": "****"}),  # tags
    ({"key": "API_TOKEN", "value": "hunter2"}, {"key": "API_TOKEN", "value": "****"}),  # ECS tags
    ({"name": "DB_PASSWORD", "value": "hunter2"}, {"name": "DB_PASSWORD", "value": "****"}),  # container environment
    ({"ParameterKey": "AdminPassword", "ParameterValue": "hunter2"},
     {"ParameterKey": "AdminPassword", "ParameterValue": "****"}),  # stack parameters
])
def test_the_value_of_a_name_value_entry_named_like_a_secret_is_masked(entry, masked):
    assert Masker().mask({"Tags": [entry]}) == {"Tags": [masked]}


def test_the_value_of_a_name_value_entry_with_an_ordinary_name_is_kept():
    entries = [{"Key": "team", "Value": "payments"}, {"Name": "containerInsights", "Value": "enabled"}]
    assert Masker().mask(entries) == entries


@pytest.mark.parametrize("text, masked", [
    ('{"password": "hunter2", "amount": "12"}', '{"password": "****", "amount": "12"}'),
    ('{"X-Api-Key" : "hunter2"}', '{"X-Api-Key" : "****"}'),
    ('{"note": "a \\"quoted\\" text", "db_token": "a \\"quoted\\" secret"}',
     '{"note": "a \\"quoted\\" text", "db_token": "****"}'),
])
def test_the_value_of_a_secret_name_in_json_text_is_masked(text, masked):
    assert Masker().text(text) == masked


@pytest.mark.parametrize("text, masked", [
    ("/pay?amount=12&password=hunter2&page=1", "/pay?amount=12&password=****&page=1"),
    ("Server=db;User=app;Password=hunter2;", "Server=db;User=app;Password=****;"),
    ("DB_PASSWORD=hunter2 STAGE=prod", "DB_PASSWORD=**** STAGE=prod"),
])
def test_the_value_of_a_secret_name_in_a_query_or_connection_string_is_masked(text, masked):
    assert Masker().text(text) == masked


@pytest.mark.parametrize("text", [
    '{"SecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db"}',
    "ManageMasterUserPassword: true keeps the password in Secrets Manager",
    "the password is rotated every 30 days",
    "amount=12&page=1",
])
def test_text_that_gives_no_secret_name_a_value_is_kept(text):
    assert Masker().text(text) == text


@pytest.mark.parametrize("name", [{"Fn::Sub": "x"}, ["a"], 3, None])
def test_a_name_value_entry_whose_name_is_not_text_keeps_its_value(name):
    assert Masker().mask({"Key": name, "Value": "v"}) == {"Key": name, "Value": "v"}


def test_a_dynamic_reference_under_a_secret_key_is_kept_with_the_secrets_inside_it_masked():
    value = "{{resolve:secretsmanager:payments-db-master:SecretString:password}}"
    assert Masker(["payments-db-master"]).mask({"MasterUserPassword": value}) == {
        "MasterUserPassword": "{{resolve:secretsmanager:****:SecretString:password}}"}


def test_a_dynamic_reference_under_a_secret_key_without_secrets_is_kept_whole():
    value = "{{resolve:ssm-secure:/payments/db-password}}"
    assert Masker().mask({"DbPassword": value}) == {"DbPassword": value}
