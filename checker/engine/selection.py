"""Choosing rules by id, glob or control: --only-rule, --skip-rule and `checker rules ID`."""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from checker.engine.rules import Rule
from checker.errors import InputError, did_you_mean

CONTROL_PREFIX = "control:"


def matching(rules: list[Rule], selector: str, option: str) -> list[Rule]:
    """The rules `selector` names: an id, a glob over ids (PAY-S3-*) or control:NAME; none is an error."""
    if selector.lower().startswith(CONTROL_PREFIX):
        control = selector[len(CONTROL_PREFIX):].strip()
        found = [r for r in rules if r.control == control]
        controls = dict.fromkeys(r.control for r in rules)
        problem = f"no rule has control {control!r}{did_you_mean(control, controls)}"
    elif any(char in selector for char in "*?["):
        found = [r for r in rules if fnmatch.fnmatchcase(r.id, selector.upper())]
        problem = f"{selector!r} matches no rule id"
    else:
        found = [r for r in rules if r.id == selector.upper()]
        problem = f"no rule {selector!r}{did_you_mean(selector.upper(), [r.id for r in rules])}"
    if not found:
        raise InputError(option, problem)
    return found


@dataclass(frozen=True)
class RuleSelection:
    rules: list[Rule]  # the rules that run
    skipped: list[str]  # ids of the pack's rules that do not

    @property
    def pack_ids(self) -> list[str]:
        """Every rule id of the pack, run or skipped (a waiver of a skipped rule is not a mistake)."""
        return [r.id for r in self.rules] + self.skipped


def select_rules(rules: list[Rule], only: list[str], skip: list[str]) -> RuleSelection:
    """The rules to run: those `only` names (all when empty) less those `skip` names."""
    chosen = {r.id for selector in only for r in matching(rules, selector, "--only-rule")} if only else \
        {r.id for r in rules}
    chosen -= {r.id for selector in skip for r in matching(rules, selector, "--skip-rule")}
    if not chosen:
        raise InputError("--skip-rule" if skip else "--only-rule", "no rule is left to run")
    return RuleSelection([r for r in rules if r.id in chosen], [r.id for r in rules if r.id not in chosen])
