"""checker.yaml in a repository: found from a subfolder, every key checked, options that the command line
overrides, templates mapped to environments, paths excluded; and the run without one says so."""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from checker.cli import main
from checker.errors import InputError
from checker.project.config import find_config, load_config
from checker.project.plan import plan_environments
from checker.scans import find_templates
from checker.template.environment import Environment
from tests.conftest import ROOT

RULES = """\
rules:
  - id: T-LOGS-RETENTION-001
    title: Log groups expire their logs
    control: log-encryption-retention
    severity: medium
    target: AWS::Logs::LogGroup
    sources: [template]
    assert:
      - expr: Properties.RetentionInDays != `null`
        message: RetentionInDays is not set
    remediation: Set RetentionInDays.
    references: [https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-logs-loggroup.html]
    tests:
      - {name: kept, resource: {Type: AWS::Logs::LogGroup, Properties: {RetentionInDays: 7}}, expect: PASS}
      - {name: forever, resource: {Type: AWS::Logs::LogGroup}, expect: FAIL}
  - id: T-PROD-VERSIONING-001
    title: Production buckets keep versions
    control: replication
    severity: high
    target: AWS::S3::Bucket
    sources: [template]
    environments: [prod]
    assert:
      - expr: Properties.VersioningConfiguration.Status == 'Enabled'
        message: versioning is not enabled
    remediation: Enable versioning.
    references: [https://docs.aws.amazon.com/AmazonS3/latest/userguide/Versioning.html]
    tests:
      - name: on
        resource: {Type: AWS::S3::Bucket, Properties: {VersioningConfiguration: {Status: Enabled}}}
        expect: PASS
      - {name: off, resource: {Type: AWS::S3::Bucket}, expect: FAIL}
"""
# Retention comes from a mapping keyed by the Environment parameter; the bucket keeps no versions.
STACK = """\
Parameters:
  Environment: {Type: String, AllowedValues: [prod, dev]}
Mappings:
  Retention: {prod: {Days: 365}, dev: {Days: 7}}
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: !FindInMap [Retention, !Ref Environment, Days]
  Uploads:
    Type: AWS::S3::Bucket
"""
NETWORK = "Parameters:\n  Cidr: {Type: String}\nResources:\n  Vpc:\n    Type: AWS::EC2::VPC\n" \
          "    Properties: {CidrBlock: !Ref Cidr}\n"
CONFIG = "environments:\n  prod: {region: us-east-1, parameters: {Environment: prod}}\n" \
         "  dev: {region: us-west-2, parameters: {Environment: dev}}\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A repository (a .git folder) holding the rules, with the working directory at its root."""
    (tmp_path / ".git").mkdir()
    write(tmp_path / "rules" / "rules.yaml", RULES)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / ".cache"))
    return tmp_path


def run(*args: str, rules: str = "rules") -> int:
    return main([*args, "--rules", rules])


def results(path: Path) -> set[tuple[str, str, str]]:
    payload = json.loads(path.read_text(encoding="utf-8"))
    return {(r["environment"], r["rule_id"], r["status"]) for r in payload["results"] if r["status"] != "PASS"
            and r["status"] != "NOT_APPLICABLE"}


# --- finding the config ---------------------------------------------------------------------------------

def test_the_config_is_found_from_a_subfolder_up_to_the_repository_root(repo, monkeypatch, capsys):
    write(repo / "checker.yaml", CONFIG)
    write(repo / "infra" / "stack.yaml", STACK)
    monkeypatch.chdir(repo / "infra")
    assert run("scan", "stack.yaml", "--json", "out.json", rules="../rules") == 1
    header = capsys.readouterr().out.splitlines()[0]
    assert header == "checker 0.1.0 · 2 rules · ../checker.yaml: prod (us-east-1), dev (us-west-2) · 1 template"
    assert results(repo / "infra" / "out.json") == {("prod", "T-PROD-VERSIONING-001", "FAIL")}


def test_the_search_stops_at_the_repository_root(tmp_path, monkeypatch):
    write(tmp_path / "checker.yaml", CONFIG)
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "sub").mkdir()
    assert find_config(start=tmp_path / "repo" / "sub") is None
    assert find_config(start=tmp_path) is not None


def test_outside_a_repository_only_the_working_directory_is_searched(tmp_path):
    write(tmp_path / "checker.yaml", CONFIG)
    (tmp_path / "sub").mkdir()
    assert find_config(start=tmp_path / "sub") is None


def test_a_missing_config_named_with_the_option_is_an_error_naming_it(repo, capsys):
    assert run("scan", str(write(repo / "stack.yaml", STACK)), "--config", "nosuch.yaml") == 2
    assert capsys.readouterr().err == "checker: error: nosuch.yaml: no such config file (given with --config)\n"


# --- without a config -----------------------------------------------------------------------------------

def test_without_a_config_the_header_says_so_and_a_note_names_the_parameters_without_values(repo, capsys):
    write(repo / "infra" / "stack.yaml", STACK)
    assert run("scan", "infra") == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ("checker 0.1.0 · 2 rules · no checker.yaml from here up to the repository root: one "
                      "environment, default (no region (--region); no parameter values (--param NAME=VALUE)) · "
                      "1 template")
    notes = [line for line in out if line.startswith("note:")]
    assert notes == ["note: infra/stack.yaml: no value for parameter(s) Environment in default; rules that depend "
                     "on them report ERROR. Give values with --param Environment=VALUE or in a checker.yaml"]


def test_a_parameter_read_from_ssm_is_noted_as_such_not_as_one_to_give_with_param(repo, capsys):
    write(repo / "stack.yaml", "Parameters:\n  Days: {Type: 'AWS::SSM::Parameter::Value<String>', Default: /days}\n"
                               "Resources:\n  Logs:\n    Type: AWS::Logs::LogGroup\n"
                               "    Properties: {RetentionInDays: !Ref Days}\n")
    run("scan", "stack.yaml")
    notes = [line for line in capsys.readouterr().out.splitlines() if line.startswith("note:")]
    assert notes == ["note: stack.yaml: parameter(s) Days are read from SSM Parameter Store when default is deployed; "
                     "rules that depend on their values report ERROR (a value given here would only name the SSM "
                     "parameter)"]


def test_the_configuration_may_name_another_environment_parameter(repo, capsys):
    write(repo / "checker.yaml", "environment_parameter: Stage\n")
    write(repo / "stack.yaml", STACK.replace("Environment", "Stage"))
    assert run("scan", "stack.yaml", "--param", "Stage=prod", "--json", "out.json") == 1
    assert "one environment, prod (Stage=prod, no region (--region))" in capsys.readouterr().out
    assert results(repo / "out.json") == {("prod", "T-PROD-VERSIONING-001", "FAIL")}


def test_an_environment_parameter_that_cannot_name_a_parameter_is_refused_at_its_line(repo, capsys):
    write(repo / "checker.yaml", "exclude: []\nenvironment_parameter: my-stage\n")
    write(repo / "stack.yaml", STACK)
    assert run("scan", "stack.yaml") == 2
    assert capsys.readouterr().err == ("checker: error: checker.yaml:2: environment_parameter names a template "
                                       "parameter (letters and digits)\n")


def test_the_environment_parameter_names_the_environment_so_its_rules_run(repo, capsys):
    write(repo / "stack.yaml", STACK)
    assert run("scan", "stack.yaml", "--param", "Environment=prod", "--json", "out.json") == 1
    assert "one environment, prod (Environment=prod, no region (--region))" in capsys.readouterr().out
    assert results(repo / "out.json") == {("prod", "T-PROD-VERSIONING-001", "FAIL")}


def test_with_a_config_the_environment_parameter_chooses_a_declared_environment(repo, capsys):
    write(repo / "checker.yaml", CONFIG)
    write(repo / "stack.yaml", STACK)
    assert run("scan", "stack.yaml", "--param", "Environment=dev") == 0
    assert "checker.yaml: dev (us-west-2)" in capsys.readouterr().out
    assert run("scan", "stack.yaml", "--param", "Environment=qa") == 2
    assert capsys.readouterr().err == ("checker: error: --param Environment=qa: checker.yaml declares no "
                                       "environment 'qa' (declared: prod, dev); choose one with --env\n")


# --- every key checked ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "line", "message"), [
    ("fail_on: high\nfial-on: low\n", 2, "unknown key 'fial-on' (did you mean fail-on?)"),
    ("fail-on: high\nfail_on: low\n", 2, "'fail_on' repeats 'fail-on'"),
    ("fail-on: severe\n", 1, "fail-on: 'severe' is not one of low, medium, high, critical"),
    ("soft-fail: yes please\n", 1, "soft-fail: expected true or false, not 'yes please'"),
    ("workers: 0\n", 1, "workers: expected a whole number of at least 1, not 0"),
    ("region: us-east-1\n", 1, "region is not set at the top of the config: declare it per environment: "
                               "environments.NAME.region"),
    ("outputs: cfn-outputs.json\n", 1, "outputs is not set at the top of the config: it describes one run: give "
                                       "it on the command line"),
    ("environments:\n  prod:\n    region: us-east-9\n", 3,
     "environment 'prod': unknown AWS Region 'us-east-9' (did you mean us-east-2 or us-east-1 or us-west-2?)"),
    ("environments:\n  prod: {region: us-east-1}\ntemplates:\n  'net/*.yaml': [prod, qa]\n", 4,
     "templates: 'net/*.yaml': unknown environment 'qa' (declared: prod)"),
    ("environments:\n  prod: {}\ntemplates:\n  net/:\n    prod: {parameter: {Cidr: x}}\n", 5,
     "unknown key 'parameter' (did you mean parameters or parameter-file?)"),
    ("exclude: {build: yes}\n", 1, "exclude: expected a path glob or a list of them"),
])
def test_a_config_mistake_is_an_error_at_its_line(tmp_path, text, line, message):
    path = write(tmp_path / "checker.yaml", text)
    with pytest.raises(InputError) as raised:
        load_config(path)
    assert (raised.value.source, raised.value.line, raised.value.message) == (str(path), line, message)


@pytest.mark.parametrize(("args", "message"), [
    (["--region", "us-east-9"], "--region: unknown AWS Region 'us-east-9' (did you mean us-east-2 or us-east-1 "
                                "or us-west-2?)"),
    (["--account-id", "123"], "--account-id: an AWS account id is 12 digits, not '123'"),
])
def test_a_command_line_region_or_account_is_checked_as_the_config_is(repo, capsys, args, message):
    assert run("scan", str(write(repo / "stack.yaml", STACK)), *args) == 2
    assert capsys.readouterr().err == f"checker: error: {message}\n"


def test_a_parameter_the_template_does_not_declare_is_an_error_naming_the_template(repo, capsys):
    write(repo / "stack.yaml", STACK)
    assert run("scan", "stack.yaml", "--param", "Enviroment=prod") == 2
    assert capsys.readouterr().err == (
        "checker: error: stack.yaml: environment 'default' gives a value to parameter(s) the template does not "
        "declare: Enviroment (--param); CloudFormation would refuse them\n")


def test_an_environment_s_own_parameters_reach_only_the_templates_that_declare_them(repo, capsys):
    write(repo / "checker.yaml", CONFIG)
    write(repo / "network.yaml", NETWORK)
    assert run("scan", "network.yaml", "--env", "prod", "--param", "Cidr=10.0.0.0/16") == 0
    assert "does not declare" not in capsys.readouterr().err


def test_a_value_given_for_the_template_that_it_does_not_declare_names_where_it_was_given(repo, capsys):
    write(repo / "checker.yaml", CONFIG + "templates:\n  network.yaml:\n    prod: {parameters: {Cidr: 10.0.0.0/16, "
                                           "Size: large}}\n")
    write(repo / "network.yaml", NETWORK)
    assert run("scan", "network.yaml", "--env", "prod") == 2
    err = capsys.readouterr().err
    assert "parameter(s) the template does not declare: Size (checker.yaml:6)" in err


def test_a_baseline_that_does_not_exist_names_the_option(repo, capsys):
    assert run("scan", str(write(repo / "stack.yaml", STACK)), "--baseline", "nosuch.json") == 2
    assert capsys.readouterr().err == ("checker: error: nosuch.json: No such file or directory "
                                       "(given with --baseline)\n")


# --- options in the config ------------------------------------------------------------------------------

def test_options_in_the_config_apply_and_the_command_line_wins(repo, capsys):
    write(repo / "checker.yaml", CONFIG + "fail-on: high\nskip-rule: [T-LOGS-*]\n")
    write(repo / "stack.yaml", STACK.replace("!Ref Environment", "prod"))
    assert run("scan", "stack.yaml", "--env", "dev") == 0
    assert "2 rules (1 skipped)" in capsys.readouterr().out
    assert run("scan", "stack.yaml", "--env", "prod") == 1  # the prod-only high failure
    assert run("scan", "stack.yaml", "--env", "prod", "--fail-on", "critical") == 0


def test_a_flag_set_in_the_config_is_turned_off_on_the_command_line(repo, capsys):
    write(repo / "checker.yaml", CONFIG + "soft-fail: true\n")
    write(repo / "stack.yaml", STACK)
    assert run("scan", "stack.yaml", "--env", "prod") == 0
    assert run("scan", "stack.yaml", "--env", "prod", "--no-soft-fail") == 1


def test_paths_in_the_config_are_relative_to_it(repo, monkeypatch):
    write(repo / "checker.yaml", CONFIG + "json: reports/checker.json\n")
    write(repo / "infra" / "stack.yaml", STACK)
    monkeypatch.chdir(repo / "infra")
    run("scan", "stack.yaml", rules="../rules")
    assert (repo / "reports" / "checker.json").is_file()


# --- templates mapped to environments, and excluded paths -------------------------------------------------

TEMPLATES = CONFIG + """\
templates:
  'network/*.yaml':
    prod: {parameters: {Cidr: 10.0.0.0/16}}
  legacy/: []
"""


def test_templates_map_globs_to_environments_and_their_parameter_values(repo):
    config = load_config(write(repo / "checker.yaml", TEMPLATES))
    plan = plan_environments(config, [])
    assert plan.for_template(repo / "network" / "vpc.yaml") == [
        Environment("prod", "us-east-1", None, None, {"Environment": "prod", "Cidr": "10.0.0.0/16"})]
    assert plan.for_template(repo / "legacy" / "old.yaml") == []
    assert [e.name for e in plan.for_template(repo / "app" / "stack.yaml")] == ["prod", "dev"]


def test_a_directory_scan_renders_each_template_for_the_environments_it_deploys_to(repo, capsys):
    write(repo / "checker.yaml", TEMPLATES.replace("parameters: {Environment: prod}", "parameters: {}")
          .replace("parameters: {Environment: dev}", "parameters: {}"))
    write(repo / "network" / "vpc.yaml", NETWORK)
    write(repo / "legacy" / "old.yaml", NETWORK)
    write(repo / "app" / "stack.yaml", STACK.replace("!Ref Environment", "prod"))
    assert run("scan", "network", "legacy", "app", "--json", "out.json") == 1
    payload = json.loads((repo / "out.json").read_text(encoding="utf-8"))
    assert {(r["file"], r["environment"]) for r in payload["results"]} == {
        ("network/vpc.yaml", "prod"), ("app/stack.yaml", "prod"), ("app/stack.yaml", "dev")}
    assert payload["skipped"] == ["legacy/old.yaml: not deployed to prod, dev: checker.yaml templates: legacy/ "
                                  "maps it to no environment"]


def test_a_directory_walk_leaves_out_hidden_build_dependency_and_virtualenv_folders(tmp_path):
    for folder in (".aws-sam", "build", "node_modules/pkg", "venv", "templates"):
        write(tmp_path / folder / "stack.yaml", STACK)
    write(tmp_path / "venv" / "pyvenv.cfg", "home = /usr/bin\n")
    write(tmp_path / "checker.yaml", CONFIG)
    assert find_templates([tmp_path]).candidates == [tmp_path / "templates" / "stack.yaml"]
    assert find_templates([tmp_path / "build"]).candidates == [tmp_path / "build" / "stack.yaml"]  # named: walked


def test_exclude_globs_keep_files_out_of_walks_and_out_of_named_lists(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(write(tmp_path / "checker.yaml", CONFIG + "exclude: [fixtures/, '*.generated.yaml']\n"))
    for name in ("fixtures/bad.yaml", "app/stack.generated.yaml", "app/stack.yaml"):
        write(tmp_path / name, STACK)
    found = find_templates([tmp_path, "fixtures/bad.yaml"], config)
    assert found.candidates == [tmp_path / "app" / "stack.yaml"]
    assert [str(e) for e in found.excluded] == [
        f"fixtures/bad.yaml: excluded by {tmp_path / 'checker.yaml'}: fixtures/"]


def test_the_config_documented_for_ci_is_valid_and_sets_each_option(tmp_path):
    documented = re.search(r"## Options in checker.yaml.*?```yaml\n(.*?)```", (ROOT / "docs" / "ci.md").read_text(),
                           re.DOTALL)
    assert documented
    shutil.copytree(ROOT / "params", tmp_path / "params")
    config = load_config(write(tmp_path / "checker.yaml", documented.group(1)))
    assert set(config.environments) == {"prod", "staging"}
    assert [g.text for g in config.exclude] == ["tests/fixtures/"]
    assert config.options["fail-on"] == "high" and config.options["skip-rule"] == ["PAY-SNAP-*"]
    assert config.options["baseline"] == os.path.relpath(tmp_path / "checker-baseline.json")
