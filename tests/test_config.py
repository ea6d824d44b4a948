"""Environments: checker.yaml, parameter files and command-line overrides."""
from __future__ import annotations

import pytest

from checker.errors import InputError
from checker.project.config import load_config, load_parameter_file, parse_overrides
from checker.project.plan import select_environments
from checker.template.environment import Environment


def write(path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def config_error(path) -> InputError:
    with pytest.raises(InputError) as caught:
        load_config(path)
    return caught.value


@pytest.fixture
def config(tmp_path):
    """A checker.yaml in conf/, reading parameter files from params/ in both supported forms."""
    write(tmp_path / "params" / "prod.json",
          '[{"ParameterKey": "Env", "ParameterValue": "prod"}, {"ParameterKey": "Days", "ParameterValue": "35"}]')
    write(tmp_path / "params" / "dev.json", '{"Parameters": {"Env": "dev", "Days": "1"}, "Tags": {"team": "x"}}')
    return write(tmp_path / "conf" / "checker.yaml", """\
environments:
  prod:
    region: us-east-1
    account_id: "012345678901"
    stack_name: payments
    parameter_file: ../params/prod.json
    parameters: {Days: "30"}
  dev:
    region: us-west-2
    parameter_file: ../params/dev.json
""")


def test_config_declares_environments_with_parameter_files_relative_to_it(config):
    assert load_config(config).environments == {
        "prod": Environment("prod", "us-east-1", "012345678901", "payments", {"Env": "prod", "Days": "30"}),
        "dev": Environment("dev", "us-west-2", None, None, {"Env": "dev", "Days": "1"}),
    }


def test_parameter_file_in_cloudformation_cli_form(tmp_path):
    path = write(tmp_path / "p.json", '[{"ParameterKey": "Env", "ParameterValue": "prod"}]')
    assert load_parameter_file(path) == {"Env": "prod"}


def test_parameter_file_in_codepipeline_form(tmp_path):
    path = write(tmp_path / "p.json", '{"Parameters": {"Env": "prod"}, "Tags": {"team": "payments"}}')
    assert load_parameter_file(path) == {"Env": "prod"}


def test_parameter_file_with_a_utf8_bom_is_read(tmp_path):
    path = tmp_path / "p.json"
    path.write_bytes(b'\xef\xbb\xbf{"Parameters": {"Env": "prod"}}')
    assert load_parameter_file(path) == {"Env": "prod"}


def test_all_declared_environments_are_selected_by_default(config):
    assert [env.name for env in select_environments(str(config), [], None, {})] == ["prod", "dev"]


def test_named_environments_are_selected_in_the_order_named(config):
    assert [env.name for env in select_environments(str(config), ["dev", "prod"], None, {})] == ["dev", "prod"]


def test_command_line_parameters_win_over_config_and_parameter_file(config):
    prod, dev = select_environments(str(config), [], None, {"Days": "7", "Extra": "x"})
    assert prod.parameters == {"Env": "prod", "Days": "7", "Extra": "x"}
    assert dev.parameters == {"Env": "dev", "Days": "7", "Extra": "x"}


def test_command_line_region_and_account_win_over_config(config):
    [prod] = select_environments(str(config), ["prod"], "eu-west-1", {}, "111122223333")
    assert (prod.region, prod.account_id) == ("eu-west-1", "111122223333")


def test_unknown_environment_is_an_input_error_naming_it(config):
    with pytest.raises(InputError) as caught:
        select_environments(str(config), ["qa"], None, {})
    assert (caught.value.source, caught.value.message) == (str(config),
                                                           "unknown environment 'qa' (declared: prod, dev)")


def test_without_a_config_one_environment_comes_from_the_flags(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert select_environments(None, [], "eu-west-1", {"Env": "prod"}, "111122223333") == [
        Environment("default", "eu-west-1", "111122223333", None, {"Env": "prod"})]


def test_without_a_config_the_environment_may_be_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert select_environments(None, ["qa"], "eu-west-1", {}) == [Environment("qa", "eu-west-1")]


def test_without_a_config_only_one_environment_can_be_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as caught:
        select_environments(None, ["prod", "dev"], None, {})
    assert caught.value.source == "--env"


def test_checker_yaml_in_the_working_directory_is_used_without_config_flag(tmp_path, monkeypatch):
    write(tmp_path / "checker.yaml", "environments:\n  staging: {region: us-east-2}\n")
    monkeypatch.chdir(tmp_path)
    assert select_environments(None, [], None, {}) == [Environment("staging", "us-east-2")]


# --- bad configuration ---------------------------------------------------------------------------------

def test_malformed_yaml_config_is_an_error_with_file_and_line(tmp_path):
    path = write(tmp_path / "checker.yaml", "environments:\n  prod: {region: us-east-1\n  dev: {}\n")
    error = config_error(path)
    assert (error.source, error.line) == (str(path), 3)
    assert error.message.startswith("malformed YAML: ")


def test_environment_declared_twice_is_an_error_with_its_line(tmp_path):
    path = write(tmp_path / "checker.yaml", "environments:\n  prod: {region: us-east-1}\n  prod: {region: us-west-2}\n")
    error = config_error(path)
    assert (error.source, error.line, error.message) == (str(path), 3, "duplicate key 'prod'")


@pytest.mark.parametrize(("text", "message"), [
    ("", "expected a mapping: environments, templates, exclude and options such as fail-on"),
    ("environments: {}\n", "environments: expected a mapping with at least one environment"),
    ("- prod\n", "expected a mapping: environments, templates, exclude and options such as fail-on"),
    ("environments:\n  prod: us-east-1\n", "environment 'prod' must be a mapping"),
    ("environments:\n  prod: {regoin: us-east-1}\n", "unknown key 'regoin' (did you mean region?)"),
    ("environments:\n  prod: {parameters: [Env=prod]}\n", "environment 'prod': parameters must be a mapping"),
    ("environments:\n  prod: {account_id: 012345670123}\n",  # unquoted: YAML reads it as an octal number
     "environment 'prod': account_id must be 12 digits in quotes, not 1402433619"),
    ("environments:\n  prod: {account_id: 12345}\n",
     "environment 'prod': account_id must be 12 digits in quotes, not 12345"),
])
def test_invalid_config_is_an_input_error_naming_the_file(tmp_path, text, message):
    error = config_error(write(tmp_path / "checker.yaml", text))
    assert (error.source, error.message) == (str(tmp_path / "checker.yaml"), message)


def test_unquoted_twelve_digit_account_id_is_accepted(tmp_path):
    path = write(tmp_path / "checker.yaml", "environments:\n  prod: {account_id: 123456789012}\n")
    assert load_config(path).environments["prod"].account_id == "123456789012"


def test_non_utf8_config_is_an_input_error(tmp_path):
    path = tmp_path / "checker.yaml"
    path.write_bytes(b"environments:\n  prod: {region: \xff}\n")
    error = config_error(path)
    assert (error.source, error.message) == (str(path), "not UTF-8 text (byte 31)")


def test_missing_config_is_an_input_error(tmp_path):
    assert config_error(tmp_path / "absent.yaml").source == str(tmp_path / "absent.yaml")


def test_missing_parameter_file_is_an_input_error_naming_it(tmp_path):
    path = write(tmp_path / "checker.yaml", "environments:\n  prod: {parameter_file: params/prod.json}\n")
    assert config_error(path).source == str(tmp_path / "params" / "prod.json")


@pytest.mark.parametrize(("text", "line", "message"), [
    ('{\n  "Parameters": {"Env": "prod",}\n}', 2, "malformed JSON: Expecting property name enclosed in double quotes"),
    ('[{"ParameterKey": "Env"}]', None, "each entry needs ParameterKey and ParameterValue"),
    ('["Env=prod"]', None, "each entry needs ParameterKey and ParameterValue"),
    ('{"Env": "prod"}', None,
     'expected [{"ParameterKey": ..., "ParameterValue": ...}] or {"Parameters": {...}}'),
])
def test_invalid_parameter_file_is_an_input_error_naming_it(tmp_path, text, line, message):
    path = write(tmp_path / "p.json", text)
    with pytest.raises(InputError) as caught:
        load_parameter_file(path)
    assert (caught.value.source, caught.value.line, caught.value.message) == (str(path), line, message)


def test_non_utf8_parameter_file_is_an_input_error(tmp_path):
    path = tmp_path / "p.json"
    path.write_bytes(b'{"Parameters": {"Env": "\xff"}}')
    with pytest.raises(InputError) as caught:
        load_parameter_file(path)
    assert caught.value.message == "not UTF-8 text (byte 24)"


# --- --param -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("pairs", "expected"), [
    (["Env=prod"], {"Env": "prod"}),
    (["Filter=a=b"], {"Filter": "a=b"}),
    (["Suffix="], {"Suffix": ""}),
    (["Env=dev", "Env=prod"], {"Env": "prod"}),
])
def test_param_overrides_are_key_value_pairs(pairs, expected):
    assert parse_overrides(pairs) == expected


@pytest.mark.parametrize("pair", ["Env", "=prod", ""])
def test_param_without_a_key_and_equals_sign_is_an_input_error(pair):
    with pytest.raises(InputError) as caught:
        parse_overrides([pair])
    assert (caught.value.source, caught.value.message) == ("--param", f"expected KEY=VALUE, got {pair!r}")
