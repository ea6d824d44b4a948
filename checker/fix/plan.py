"""Fix a template: each failing rule's fix applied, verified in every environment, then kept or withheld.

`fix_template` applies the fixes one after another and returns the patched text (`checker fix`), or
makes each fix alone on the unchanged template, for reports that show one patch per failure.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from checker.config import Environment
from checker.errors import InputError
from checker.fix.apply import Applier
from checker.fix.facts import Facts, FixError
from checker.fix.spec import FixSpec, Step
from checker.fix.values import Context, Scope
from checker.fix.verify import Key, assess, dangling, problems
from checker.patch import MISSING, PatchError, SourceText
from checker.render import referenced_parameters
from checker.results import FAIL, Result
from checker.rules import PARAMETER_TARGET, TEMPLATE_TARGET, Rule

FIXED, WITHHELD, NO_FIX, RESOLVED = "FIXED", "WITHHELD", "NO_FIX", "RESOLVED"


@dataclass
class FixOutcome:
    rule_id: str
    resource: str | None
    environments: list[str]
    status: str                 # FIXED, WITHHELD (and why), NO_FIX (and why), RESOLVED (by an earlier fix)
    reason: str = ""
    note: str = ""
    notes: list[str] = field(default_factory=list)
    before: str = ""            # the template text the fix was made on
    after: str = ""             # the same text with the fix


@dataclass
class FixPlan:
    path: str
    original: str
    fixed: str
    outcomes: list[FixOutcome]
    examples: dict[str, Any] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return self.fixed != self.original


def _failures(results: dict[Key, Result], rules: list[Rule], source: SourceText,
              wanted: Callable[[str, str | None, str], bool]) -> list[tuple[Rule, str | None, frozenset[str]]]:
    order = {name: i for section in ("Parameters", "Resources") for i, name in enumerate(source.mapping((section,)))}
    groups: dict[tuple[str, str | None], set[str]] = {}
    for (rule_id, env, resource), result in results.items():
        if result.status == FAIL and wanted(rule_id, resource, env):
            groups.setdefault((rule_id, resource), set()).add(env)
    # Resources first: their fixes can leave a parameter unused (and removed), which settles its failures.
    stage = {TEMPLATE_TARGET: 1, PARAMETER_TARGET: 2}
    by_id = {rule.id: (stage.get(rule.target, 0), i, rule) for i, rule in enumerate(rules)}
    ordered = sorted(groups, key=lambda g: (*by_id[g[0]][:2], order.get(g[1], -1) if g[1] else -1))
    return [(by_id[rule_id][2], resource, frozenset(groups[(rule_id, resource)])) for rule_id, resource in ordered]


def _subject_path(rule: Rule, resource: str | None) -> tuple:
    if rule.target == TEMPLATE_TARGET or resource is None:
        return ()
    return ("Parameters", resource) if rule.target == PARAMETER_TARGET else ("Resources", resource)


def _added_names(steps: Iterable[Step]) -> list[str]:
    names = []
    for step in steps:
        if step.verb == "add_resource" and isinstance(step.target, str):
            names.append(step.target)
        names += _added_names(step.steps)
    return names


def _renames(source: SourceText, spec: FixSpec) -> dict[str, str]:
    taken = set(source.mapping(("Resources",))) | set(source.mapping(("Parameters",)))
    renames = {}
    for name in _added_names(spec.steps):
        if name in taken:
            number = 2
            while f"{name}{number}" in taken:
                number += 1
            renames[name] = f"{name}{number}"
            taken.add(renames[name])
    return renames


def _prune_parameters(source: SourceText, subject: Any, notes: list[str]) -> None:
    """Parameters the subject used and nothing uses any more are removed (CloudFormation would still ask
    for their values)."""
    body = source.body
    declared = set(source.mapping(("Parameters",)))
    used = referenced_parameters({k: v for k, v in body.items() if k not in ("Parameters", "Metadata")}, declared)
    mentioned = repr(body.get("Metadata"))
    for name in sorted(referenced_parameters(subject, declared) - used):
        if repr(name) not in mentioned:
            source.remove(("Parameters", name))
            notes.append(f"parameter {name} is no longer used and was removed: drop it from the parameter files")


def _apply(source: SourceText, facts: Facts, rule: Rule, resource: str | None, failing: frozenset[str],
           examples: dict[str, Any]) -> tuple[list[str], str | None]:
    """Apply `rule`'s fix; returns the notes and, when the fix does not apply here, why not."""
    spec = rule.fix
    assert spec is not None

    configured = {e.name: e.rule_params for e in facts.environments}

    def params_for(env: str) -> dict:
        """The rule's params in `env` (as the configuration sets them), then the fix's own."""
        params = rule.params_for(env)
        params.update({k: v for k, v in configured.get(env, {}).items() if k in params})
        return {**params, **spec.params.get("default", {}), **spec.params.get(env, {})}

    path = _subject_path(rule, resource)
    if path[:1] == ("Resources",) and resource in facts.generated:
        raise FixError(f"{resource} is made by the template's transform from {facts.generated[resource]}: "
                       f"change {facts.generated[resource]} as the template writes it")
    subject_type = (source.value(path + ("Type",)) if path[:1] == ("Resources",) else None)
    context = Context(source, facts, params_for, path, subject_type if isinstance(subject_type, str) else None,
                      _renames(source, spec))
    applier = Applier(context, failing)
    if spec.when is not None and not applier.holds(spec.when, path, failing):
        return [], spec.otherwise
    before = source.value(path) if path else MISSING
    applier.run(spec.steps, path, Scope(failing))
    if before is not MISSING:
        _prune_parameters(source, before, applier.changes.notes)
    examples.update(applier.changes.examples)
    return applier.changes.notes, None


@dataclass(frozen=True)
class _State:
    """A template's text, what is known about it in each environment, and every rule's result on it."""
    source: SourceText
    facts: Facts
    results: dict[Key, Result]


def _attempt(state: _State, rules: list[Rule], environments: list[Environment], rule: Rule, resource: str | None,
             failing: frozenset[str], examples: dict[str, Any]) -> tuple[FixOutcome, _State | None]:
    """One fix made on a copy of the template: the outcome, and the patched state when the fix is kept."""
    spec = rule.fix
    outcome = FixOutcome(rule.id, resource, [e.name for e in environments if e.name in failing], WITHHELD,
                         before=state.source.full_text)
    if spec is None or spec.none is not None:
        outcome.status, outcome.reason = NO_FIX, spec.none if spec and spec.none else "the rule declares no fix"
        return outcome, None
    outcome.note = spec.note
    trial = state.source.copy()
    added = dict(examples)
    try:
        notes, otherwise = _apply(trial, state.facts, rule, resource, failing, added)
        if otherwise is not None:
            outcome.status, outcome.reason = NO_FIX, otherwise
            return outcome, None
        introduced = dangling(trial.body) - dangling(state.source.body)
        if introduced:
            raise FixError(f"the patch refers to undeclared {', '.join(sorted(introduced))}")
        facts_after, results_after = assess(trial, rules, environments, added)
        found = problems(state.results, results_after, rule.id, resource, failing)
        if found:
            more = f"; and {len(found) - 3} more" if len(found) > 3 else ""
            raise FixError("; ".join(found[:3]) + more)
    except (FixError, PatchError, InputError) as exc:
        outcome.reason = str(exc)
        return outcome, None
    except Exception as exc:  # noqa: BLE001 - an unforeseen template shape withholds this fix, not the run
        outcome.reason = f"the fix could not be made on this template ({type(exc).__name__}: {exc})"
        return outcome, None
    outcome.status, outcome.notes, outcome.after = FIXED, notes, trial.full_text
    examples.update(added)
    return outcome, _State(trial, facts_after, results_after)


def fix_template(source: SourceText, rules: list[Rule], environments: list[Environment],
                 wanted: Callable[[str, str | None, str], bool] = lambda rule_id, resource, env: True, *,
                 together: bool = True) -> FixPlan:
    """Fix the failures of `source` in `environments`: those that `wanted(rule id, resource, environment)`.

    `together`: each fix builds on the ones before and the plan's text has them all; otherwise each fix
    is made alone on the original text (its outcome holds its own patched text).
    """
    original = source.full_text
    examples: dict[str, Any] = {}
    start = _State(source, *assess(source, rules, environments, examples))
    state = start
    outcomes = []
    for rule, resource, failing in _failures(start.results, rules, source, wanted):
        if together:
            still = frozenset(e for e in failing
                              if getattr(state.results.get((rule.id, e, resource)), "status", None) == FAIL)
            if not still:
                names = [e.name for e in environments if e.name in failing]
                outcomes.append(FixOutcome(rule.id, resource, names, RESOLVED, "an earlier fix resolved it"))
                continue
            failing = still
        outcome, kept = _attempt(state if together else start, rules, environments, rule, resource, failing,
                                 examples)
        outcomes.append(outcome)
        if together and kept is not None:
            state = kept
    return FixPlan(source.path, original, state.source.full_text, outcomes, examples)
