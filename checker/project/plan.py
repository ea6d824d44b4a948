"""Which environments a run covers, and with which parameter values each template is rendered in them.

Values are layered, the later winning: the environment's parameter file and parameters in checker.yaml,
then those its `templates:` entry gives the template, then `--param`. Without a config (or one that
declares no environments) the run covers one environment from the command line, named with --env, else
by its Environment parameter, else "default".
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from checker.errors import InputError, did_you_mean
from checker.project.config import DEFAULT_ENVIRONMENT, Config, TemplateEntry, find_config
from checker.template.environment import ENVIRONMENT_PARAMETER, Environment
from checker.template.load import Template
from checker.template.regions import region_problem

COMMAND_LINE = "--param"
_SSM_PARAMETER = "AWS::SSM::Parameter::Value<"


@dataclass(frozen=True)
class EnvironmentPlan:
    config: Config | None
    chosen: tuple[Environment, ...]  # as declared (or made from the command line), before overrides
    region: str | None = None
    account_id: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def declared(self) -> bool:
        """Whether the environments come from a config (rather than from the command line)."""
        return self.config is not None and bool(self.config.environments)

    @property
    def environments(self) -> list[Environment]:
        return [self._final(env, {}, {}) for env in self.chosen]

    @property
    def environment_parameter(self) -> str:
        """The template parameter whose value names the environment."""
        return self.config.environment_parameter if self.config else ENVIRONMENT_PARAMETER

    def template_entry(self, path: str | Path) -> TemplateEntry | None:
        return self.config.template_entry(path) if self.declared and self.config else None

    def for_template(self, path: str | Path) -> list[Environment]:
        """The covered environments `path` deploys to, with its parameter values in each."""
        entry = self.template_entry(path)
        if entry is None:
            return self.environments
        return [self._final(env, entry.environments[env.name], entry.origins[env.name])
                for env in self.chosen if env.name in entry.environments]

    def peers_for(self, path: str | Path) -> list[Environment] | None:
        """The environments a rule comparing environments may consult for `path`: every one the config
        maps it to, with their own values (not this run's --param); None without declared environments."""
        if not self.declared or self.config is None:
            return None
        entry = self.template_entry(path)
        return [replace(env, shared=frozenset(env.parameters)) if entry is None else Environment(
            env.name, env.region, env.account_id, env.stack_name, {**env.parameters, **entry.environments[env.name]},
            env.rule_params, {**env.origins, **entry.origins[env.name]},
            frozenset(env.parameters) - set(entry.environments[env.name]))
            for env in self.config.environments.values() if entry is None or env.name in entry.environments]

    def _final(self, env: Environment, values: dict[str, Any], origins: dict[str, str]) -> Environment:
        return Environment(env.name, self.region or env.region, self.account_id or env.account_id, env.stack_name,
                           {**env.parameters, **values, **self.overrides}, env.rule_params,
                           {**env.origins, **origins, **dict.fromkeys(self.overrides, COMMAND_LINE)},
                           frozenset(env.parameters) - set(values) - set(self.overrides))


def plan_environments(config: Config | None, names: list[str], region: str | None = None,
                      overrides: dict[str, Any] | None = None, account_id: str | None = None) -> EnvironmentPlan:
    """The environments a run covers: from the config (all, or those named), else one from the command line."""
    overrides = dict(overrides or {})
    problem = region_problem(region) if region else None
    if problem:
        raise InputError("--region", problem)
    if account_id is not None and not re.fullmatch(r"\d{12}", account_id):
        raise InputError("--account-id", f"an AWS account id is 12 digits, not {account_id!r}")
    if config is not None and config.environments:
        declared = config.environments
        named = overrides.get(config.environment_parameter)
        if not names and named is not None:
            if named not in declared:
                raise InputError(f"{COMMAND_LINE} {config.environment_parameter}={named}",
                                 f"{config.path} declares no environment {named!r}{did_you_mean(named, declared)} "
                                 f"(declared: {', '.join(declared)}); choose one with --env")
            names = [named]
        unknown = [n for n in names if n not in declared]
        if unknown:
            raise InputError(str(config.path), f"unknown environment {unknown[0]!r}"
                             f"{did_you_mean(unknown[0], declared)} (declared: {', '.join(declared)})")
        chosen = [declared[n] for n in dict.fromkeys(names)] if names else list(declared.values())
    else:
        if len(names) > 1:
            raise InputError("--env", "without environments in a config file only one environment can be named")
        parameter = config.environment_parameter if config else ENVIRONMENT_PARAMETER
        name = names[0] if names else str(overrides.get(parameter) or DEFAULT_ENVIRONMENT)
        chosen = [Environment(name)]
    return EnvironmentPlan(config, tuple(chosen), region, account_id, overrides)



def check_declared(template: Template, environments: Sequence[Environment]) -> None:
    """CloudFormation refuses a value for a parameter the template does not declare: so does the scan (the
    values an environment shares with all its templates reach only those that declare them)."""
    declared = template.body.get("Parameters") or {}
    for env in environments:
        undeclared = [name for name in env.parameters if name not in declared and name not in env.shared]
        if undeclared:
            given = ", ".join(f"{name} ({env.origins.get(name, 'given')})" for name in undeclared)
            raise InputError(template.path, f"environment {env.name!r} gives a value to parameter(s) the template "
                             f"does not declare: {given}; CloudFormation would refuse them")


def missing_values(template: Template, environments: Sequence[Environment]) -> dict[tuple[str, ...], list[str]]:
    """Declared parameters that have no value in an environment (no default, or read from SSM at deploy
    time): parameter names -> the environments that lack exactly those."""
    declared = template.body.get("Parameters") or {}
    unset = [name for name, spec in declared.items() if not isinstance(spec, dict) or "Default" not in spec
             or str(spec.get("Type", "")).startswith(_SSM_PARAMETER)]
    lacking: dict[tuple[str, ...], list[str]] = {}
    for env in environments:
        names = tuple(name for name in unset if name not in env.parameters)
        if names:
            lacking.setdefault(names, []).append(env.name)
    return lacking


def missing_value_notes(template: Template, environments: Sequence[Environment], declared: bool) -> list[str]:
    """One note per set of parameters without a value: which, in which environments, and how to give them."""
    where = "checker.yaml (environments: or templates:)" if declared else "a checker.yaml"
    declared_parameters = template.body.get("Parameters") or {}
    notes = []
    for names, envs in missing_values(template, environments).items():
        from_ssm = [n for n in names if str((declared_parameters.get(n) or {}).get("Type", "")).startswith(
            _SSM_PARAMETER)]
        given = [n for n in names if n not in from_ssm]
        if given:
            notes.append(f"{template.path}: no value for parameter(s) {', '.join(given)} in {', '.join(envs)}; rules "
                         f"that depend on them report ERROR. Give values with {COMMAND_LINE} {given[0]}=VALUE or in "
                         f"{where}")
        if from_ssm:
            notes.append(f"{template.path}: parameter(s) {', '.join(from_ssm)} are read from SSM Parameter Store "
                         f"when {', '.join(envs)} is deployed; rules that depend on their values report ERROR (a "
                         "value given here would only name the SSM parameter)")
    return notes


def select_environments(config_path: str | None, names: list[str], region: str | None,
                        overrides: dict[str, Any], account_id: str | None = None) -> list[Environment]:
    """The environments a run covers, with the config found from `config_path` or the working directory."""
    return plan_environments(find_config(config_path), names, region, overrides, account_id).environments
