"""checker.yaml: environments, which templates deploy to which of them, paths kept out of a walk, and options.

The file is found from the working directory up to the repository root. Every key is checked: an unknown
one is an error at its line, as is a Region botocore does not list. `-` and `_` are the same in keys.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.errors import InputError, did_you_mean
from checker.project.globs import Glob, compile_glob
from checker.project.paths import search_path, shown_path
from checker.template.environment import ENVIRONMENT_PARAMETER, Environment
from checker.template.load import parse, read_json, read_text
from checker.template.regions import region_problem

CONFIG_NAME = "checker.yaml"
DEFAULT_ENVIRONMENT = "default"
_ENVIRONMENT_KEYS = ("region", "account-id", "stack-name", "parameters", "parameter-file", "rule-params")
_TEMPLATE_KEYS = ("parameters", "parameter-file")
# organization: read by checker.org.assign
_SECTIONS = ("environments", "templates", "exclude", "organization", "environment-parameter")


@dataclass(frozen=True)
class TemplateEntry:
    """`templates:` in the config: templates matching `glob` deploy to these environments, with these values."""

    glob: Glob
    environments: dict[str, dict[str, Any]]  # environment -> parameter values for these templates only
    origins: dict[str, dict[str, str]]


@dataclass(frozen=True)
class Config:
    path: Path
    environments: dict[str, Environment]
    options: dict[str, Any] = field(default_factory=dict)
    templates: tuple[TemplateEntry, ...] = ()
    exclude: tuple[Glob, ...] = ()
    # The template parameter whose value names the environment (--param NAME=prod chooses it; the gate
    # refuses a change set whose value names another environment).
    environment_parameter: str = ENVIRONMENT_PARAMETER

    def relative(self, path: str | Path) -> str | None:
        """`path` relative to the config's folder (POSIX form), or None when it lies outside."""
        try:
            return Path(path).resolve().relative_to(self.path.parent.resolve()).as_posix()
        except ValueError:
            return None

    def template_entry(self, path: str | Path) -> TemplateEntry | None:
        """The first `templates:` entry whose glob matches the template at `path`."""
        relative = self.relative(path)
        return next((e for e in self.templates if relative is not None and e.glob.matches(relative)), None)

    def excluded_by(self, path: str | Path, is_folder: bool = False) -> str | None:
        """The `exclude:` glob that keeps `path` out of a scan, if any."""
        relative = self.relative(path)
        return next((g.text for g in self.exclude if relative and g.matches(relative, is_folder)), None)


def find_config(explicit: str | None = None, start: Path | None = None) -> Config | None:
    """The config named with --config, else checker.yaml in `start` (the working directory) or the nearest
    folder above it, up to the repository root (the folder holding .git); None when there is none."""
    if explicit:
        if not Path(explicit).is_file():
            raise InputError(explicit, "no such config file (given with --config)")
        return load_config(explicit)
    for folder in search_path(start or Path.cwd()):
        if (folder / CONFIG_NAME).is_file():
            return load_config(shown_path(str(folder / CONFIG_NAME)))
    return None


def load_config(path: str | Path) -> Config:
    """Read and check a checker.yaml. Relative paths in it are relative to its folder."""
    from checker.project.options import (  # imported here: options reads the collectors, which import this
        ALL,
        config_value,
    )

    path = Path(path)
    source = str(path)
    data = parse(read_text(path), source)  # the template loader: duplicate keys are errors, with their line
    if not isinstance(data, dict) or not data:
        raise InputError(source, "expected a mapping: environments, templates, exclude and options such as fail-on")
    keys = _normalised(data, source, (*_SECTIONS, *ALL))
    options = {name: config_value(ALL[name], data[key], source, _line(data, key), path.parent)
               for name, key in keys.items() if name in ALL}
    environments = _environments(data[keys["environments"]], source, _line(data, keys["environments"]),
                                 path.parent) if "environments" in keys else {}
    templates = _templates(data[keys["templates"]], source, _line(data, keys["templates"]), environments,
                           path.parent) if "templates" in keys else ()
    exclude = _globs(data[keys["exclude"]], source, _line(data, keys["exclude"])) if "exclude" in keys else ()
    parameter = ENVIRONMENT_PARAMETER
    if "environment-parameter" in keys:
        parameter = data[keys["environment-parameter"]]
        if not isinstance(parameter, str) or not re.fullmatch(r"[A-Za-z0-9]{1,255}", parameter):
            raise InputError(source, "environment_parameter names a template parameter (letters and digits)",
                             _line(data, keys["environment-parameter"]))
    return Config(path, environments, options, templates, exclude, parameter)


def _line(mapping: Any, key: Any) -> int | None:
    return getattr(mapping, "lines", {}).get(key)


def _normalised(mapping: dict, source: str, known: tuple[str, ...]) -> dict[str, Any]:
    """Canonical key ('-' for '_') -> the key as written; an unknown or repeated key is an error at its line."""
    from checker.project.options import unknown_key

    found: dict[str, Any] = {}
    for key in mapping:
        name = str(key).replace("_", "-")
        if name not in known:
            raise unknown_key(str(key), source, _line(mapping, key), known)
        if name in found:
            raise InputError(source, f"{key!r} repeats {found[name]!r}", _line(mapping, key))
        found[name] = key
    return found


def _environments(data: Any, source: str, line: int | None, base: Path) -> dict[str, Environment]:
    if not isinstance(data, dict) or not data:
        raise InputError(source, "environments: expected a mapping with at least one environment", line)
    return {str(name): _environment(str(name), spec, source, _line(data, name), base) for name, spec in data.items()}


def _environment(name: str, spec: Any, source: str, line: int | None, base: Path) -> Environment:
    if not isinstance(spec, dict):
        raise InputError(source, f"environment {name!r} must be a mapping", line)
    keys = _normalised(spec, source, _ENVIRONMENT_KEYS)
    value = {name: spec[key] for name, key in keys.items()}
    parameters, origins = _parameters(spec, keys, source, base, f"environment {name!r}")
    account = value.get("account-id")
    if account is not None and not re.fullmatch(r"\d{12}", str(account)):  # e.g. 012345670123 read as octal
        raise InputError(source, f"environment {name!r}: account_id must be 12 digits in quotes, not {account!r}",
                         _line(spec, keys["account-id"]))
    region = value.get("region")
    problem = region_problem(str(region)) if region is not None else None
    if problem:
        raise InputError(source, f"environment {name!r}: {problem}", _line(spec, keys["region"]))
    rule_params = value.get("rule-params") or {}
    if not isinstance(rule_params, dict):
        raise InputError(source, f"environment {name!r}: rule_params must map param names to values",
                         _line(spec, keys["rule-params"]))
    return Environment(name, _text(region), _text(account), _text(value.get("stack-name")), parameters,
                       {str(k): v for k, v in rule_params.items()}, origins)


def _parameters(spec: dict, keys: dict[str, Any], source: str, base: Path,
                owner: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Values from `parameter_file` then `parameters` (which win), with where each came from."""
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    if "parameter-file" in keys:
        given = spec[keys["parameter-file"]]
        if not isinstance(given, str) or not given:
            raise InputError(source, f"{owner}: parameter_file must be a path", _line(spec, keys["parameter-file"]))
        file = base / given
        values.update(load_parameter_file(file))
        origins.update(dict.fromkeys(values, str(file)))
    if "parameters" in keys:
        inline = spec[keys["parameters"]]
        if not isinstance(inline, dict):
            raise InputError(source, f"{owner}: parameters must be a mapping", _line(spec, keys["parameters"]))
        for key, value in inline.items():
            values[str(key)] = value
            origins[str(key)] = f"{source}:{_line(inline, key)}" if _line(inline, key) else source
    return values, origins


def _templates(data: Any, source: str, line: int | None, environments: dict[str, Environment],
               base: Path) -> tuple[TemplateEntry, ...]:
    """`templates:`: glob -> [environment, ...] or {environment: {parameters, parameter_file} or nothing}."""
    if not isinstance(data, dict) or not data:
        raise InputError(source, "templates: expected a mapping of path globs to environments", line)
    if not environments:
        raise InputError(source, "templates: maps templates to environments, but none are declared", line)
    entries = []
    for glob, targets in data.items():
        where = _line(data, glob)
        names = targets if isinstance(targets, list) else list(targets) if isinstance(targets, dict) else None
        if names is None or not all(isinstance(n, str) for n in names):
            raise InputError(source, f"templates: {glob!r}: expected a list of environments or a mapping "
                             "of environments to parameters", where)
        unknown = [n for n in names if n not in environments]
        if unknown:
            raise InputError(source, f"templates: {glob!r}: unknown environment {unknown[0]!r}"
                             f"{did_you_mean(unknown[0], environments)} (declared: {', '.join(environments)})", where)
        values: dict[str, dict[str, Any]] = {}
        origins: dict[str, dict[str, str]] = {}
        for name in names:
            spec = targets.get(name) if isinstance(targets, dict) else None
            if spec is None:
                values[name], origins[name] = {}, {}
                continue
            if not isinstance(spec, dict):
                raise InputError(source, f"templates: {glob!r}: {name} must map to parameters or parameter_file",
                                 _line(targets, name))
            keys = _normalised(spec, source, _TEMPLATE_KEYS)
            values[name], origins[name] = _parameters(spec, keys, source, base, f"templates: {glob!r}: {name}")
        entries.append(TemplateEntry(compile_glob(str(glob)), values, origins))
    return tuple(entries)


def _globs(data: Any, source: str, line: int | None) -> tuple[Glob, ...]:
    items = [data] if isinstance(data, str) else data
    if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
        raise InputError(source, "exclude: expected a path glob or a list of them", line)
    return tuple(compile_glob(i.strip()) for i in items)


def _text(value: Any) -> str | None:
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
