"""Environments: checker.yaml, parameter files, command-line overrides."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.errors import InputError
from checker.load import parse, read_json, read_text

CONFIG_NAME = "checker.yaml"
DEFAULT_ENVIRONMENT = "default"


@dataclass(frozen=True)
class Environment:
    name: str
    region: str | None = None
    account_id: str | None = None
    stack_name: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    rule_params: dict[str, Any] = field(default_factory=dict)  # overrides of the rules' params in this environment


def load_config(path: str | Path) -> dict[str, Environment]:
    """Read the environments declared in a checker.yaml."""
    path = Path(path)
    source = str(path)
    data = parse(read_text(path), source)  # the template loader: duplicate keys are errors, with their line
    environments = data.get("environments") if isinstance(data, dict) else None
    if not isinstance(environments, dict) or not environments:
        raise InputError(source, "expected an 'environments' mapping with at least one environment")
    return {str(name): _environment(str(name), spec, path.parent, source) for name, spec in environments.items()}


def _environment(name: str, spec: Any, base: Path, source: str) -> Environment:
    if not isinstance(spec, dict):
        raise InputError(source, f"environment {name!r} must be a mapping")
    unknown = set(spec) - {"region", "account_id", "stack_name", "parameters", "parameter_file", "rule_params"}
    if unknown:
        raise InputError(source, f"environment {name!r} has unknown keys: {', '.join(sorted(unknown))}")
    parameters: dict[str, Any] = {}
    if spec.get("parameter_file"):
        parameters.update(load_parameter_file(base / str(spec["parameter_file"])))
    inline = spec.get("parameters") or {}
    if not isinstance(inline, dict):
        raise InputError(source, f"environment {name!r}: parameters must be a mapping")
    parameters.update({str(k): v for k, v in inline.items()})
    account = spec.get("account_id")
    if account is not None and not re.fullmatch(r"\d{12}", str(account)):  # e.g. 012345670123 read as octal
        raise InputError(source, f"environment {name!r}: account_id must be 12 digits in quotes, not {account!r}")
    rule_params = spec.get("rule_params") or {}
    if not isinstance(rule_params, dict):
        raise InputError(source, f"environment {name!r}: rule_params must map param names to values")
    return Environment(name, _optional_text(spec.get("region")), _optional_text(account),
                       _optional_text(spec.get("stack_name")), parameters, {str(k): v for k, v in rule_params.items()})


def _optional_text(value: Any) -> str | None:
    return None if value is None else str(value)


def load_parameter_file(path: str | Path) -> dict[str, Any]:
    """Accept the CloudFormation CLI form and the CodePipeline template-configuration form."""
    path = Path(path)
    source = str(path)
    data = read_json(path)
    if isinstance(data, list):
        values = {}
        for item in data:
            if not isinstance(item, dict) or "ParameterKey" not in item or "ParameterValue" not in item:
                raise InputError(source, "each entry needs ParameterKey and ParameterValue")
            values[str(item["ParameterKey"])] = item["ParameterValue"]
        return values
    if isinstance(data, dict) and isinstance(data.get("Parameters"), dict):
        return {str(k): v for k, v in data["Parameters"].items()}
    raise InputError(source, 'expected [{"ParameterKey": ..., "ParameterValue": ...}] or {"Parameters": {...}}')


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    overrides = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InputError("--param", f"expected KEY=VALUE, got {pair!r}")
        overrides[key] = value
    return overrides


def select_environments(config_path: str | None, names: list[str], region: str | None,
                        overrides: dict[str, str], account_id: str | None = None) -> list[Environment]:
    """The environments a run covers: from the config (all, or those named), else one from the flags."""
    path = Path(config_path) if config_path else Path(CONFIG_NAME)
    if config_path or path.is_file():
        declared = load_config(path)
        unknown = [n for n in names if n not in declared]
        if unknown:
            raise InputError(str(path), f"unknown environment {unknown[0]!r} (declared: {', '.join(declared)})")
        chosen = [declared[n] for n in names] if names else list(declared.values())
    else:
        if len(names) > 1:
            raise InputError("--env", "without a config file only one environment can be named")
        chosen = [Environment(names[0] if names else DEFAULT_ENVIRONMENT)]
    return [
        Environment(env.name, region or env.region, account_id or env.account_id, env.stack_name,
                    {**env.parameters, **overrides}, env.rule_params)
        for env in chosen
    ]
