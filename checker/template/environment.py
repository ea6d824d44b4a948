"""Where a template is deployed: one environment's Region, account, stack and values."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ENVIRONMENT_PARAMETER = "Environment"  # a deployment's environment, when a template declares it


@dataclass(frozen=True)
class Environment:
    name: str
    region: str | None = None
    account_id: str | None = None
    stack_name: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    rule_params: dict[str, Any] = field(default_factory=dict)  # overrides of the rules' params in this environment
    # Where each parameter value was given ("checker.yaml:4", "params/prod.json", "--param"), for messages.
    origins: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    # Parameters the environment gives every template (its own entry in checker.yaml): a template that does
    # not declare one does not receive it, where a value given for the template itself would be refused.
    shared: frozenset[str] = field(default=frozenset(), compare=False, repr=False)
