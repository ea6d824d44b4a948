"""What a fix needs to know about a template in each environment, learnt through the render stage only.

The parameter that tells environments apart, which Conditions hold where (rendered through probe
outputs, so they are decided exactly as the scan decides them), and the rendered documents.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from checker.patch import SourceText, plain
from checker.template.environment import Environment
from checker.template.load import Template, validate_shape
from checker.template.render import render
from checker.template.sam import expand

_PROBE = "CheckerFixProbe"


class FixError(Exception):
    """Why a fix cannot be offered for this template (shown to the user)."""


def template_of(source: SourceText) -> Template:
    return Template(source.path, validate_shape(source.body, source.path))


def with_values(env: Environment, values: dict[str, Any]) -> Environment:
    """`env` with parameter values added where it has none."""
    return replace(env, parameters={**values, **env.parameters})


@dataclass
class Facts:
    environments: list[Environment]
    documents: dict[str, dict]                   # environment name -> rendered document
    env_parameter: str | None = None             # the parameter whose value differs between environments
    env_values: dict[str, Any] = field(default_factory=dict)       # environment name -> its value
    conditions: dict[str, dict[str, Any]] = field(default_factory=dict)  # condition -> environment -> truth
    generated: dict[str, str] = field(default_factory=dict)  # resource a transform made -> the one it came from

    @property
    def names(self) -> list[str]:
        return [e.name for e in self.environments]

    def exists_in(self, path: tuple) -> list[str]:
        """The environments whose rendered document has `path` (e.g. ("Resources", "Bucket"))."""
        found = []
        for name in self.names:
            node: Any = self.documents[name]
            for step in path:
                node = node.get(step) if isinstance(node, dict) else None
            if node is not None:
                found.append(name)
        return found

    def rendered(self, environment: str, path: tuple) -> Any:
        node: Any = self.documents[environment]
        for step in path:
            if isinstance(node, dict):
                node = node.get(step)
            elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
                node = node[step]
            else:
                return None
        return node

    def condition_true_in(self, envs: set[str], among: set[str]) -> tuple[str, bool] | None:
        """(condition, True) for a Condition true exactly in `envs` of `among`, (condition, False) for one
        true exactly in the others; None when there is none."""
        for name, truth in self.conditions.items():
            holds = {e for e in among if truth.get(e) is True}
            fails = {e for e in among if truth.get(e) is False}
            if holds | fails != among:
                continue
            if holds == envs:
                return name, True
            if fails == envs:
                return name, False
        return None


def learn(source: SourceText, environments: list[Environment], examples: dict[str, Any]) -> Facts:
    """Render `source` in every environment as the scan does (a SAM template expanded first; parameters
    without a value get `examples`). A template that cannot be rendered (a parameter value its
    constraints refuse) raises InputError."""
    body = plain(source.body)
    conditions = list(body.get("Conditions") or {})
    probe = dict(body)
    probe["Outputs"] = {**(body.get("Outputs") or {}),
                        **{f"{_PROBE}{i}": {"Value": {"Fn::If": [c, "yes", "no"]}} for i, c in enumerate(conditions)}}
    template = expand(Template(source.path, validate_shape(probe, source.path)),
                      next((e.region for e in environments if e.region), None))
    facts = Facts(environments, {}, generated=dict(template.sources))
    for env in environments:
        document = render(template, with_values(env, examples))
        outputs = document.get("Outputs") or {}
        for i, condition in enumerate(conditions):
            value = (outputs.pop(f"{_PROBE}{i}", None) or {}).get("Value")
            facts.conditions.setdefault(condition, {})[env.name] = {"yes": True, "no": False}.get(str(value))
        facts.documents[env.name] = document
    facts.env_parameter, facts.env_values = _environment_parameter(body, environments)
    return facts


def _environment_parameter(body: dict, environments: list[Environment]) -> tuple[str | None, dict[str, Any]]:
    """The declared parameter whose value tells the environments apart: a different known value in each
    (one valued like the environments' names, or used to look up Mappings, preferred). With a single
    environment, only a parameter valued like its name counts."""
    found = []
    text = repr(body.get("Resources"))
    for name, spec in (body.get("Parameters") or {}).items():
        spec = spec if isinstance(spec, dict) else {}
        values = {e.name: e.parameters.get(name, spec.get("Default")) for e in environments}
        if any(v is None or isinstance(v, (list, dict)) for v in values.values()):
            continue
        named = all(str(v) == e for e, v in values.items())
        if len({str(v) for v in values.values()}) == len(environments) and (named or len(environments) > 1):
            looked_up = f"{{'Ref': '{name}'}}" in text and "Fn::FindInMap" in text
            found.append((not named, not looked_up, name, values))
    if not found:
        return None, {}
    _, _, name, values = min(found, key=lambda f: f[:3])
    return name, values


def level_of(facts: Facts, environment: str) -> str:
    """The environment parameter's value in `environment` (for one not configured: its name, when the
    parameter is valued like the environments' names)."""
    if facts.env_parameter is None:
        raise FixError("no parameter of the template tells the environments apart")
    if environment in facts.env_values:
        return str(facts.env_values[environment])
    if all(str(v) == e for e, v in facts.env_values.items()):
        return environment
    raise FixError(f"cannot tell the value of {facts.env_parameter} in {environment}, which is not configured")
