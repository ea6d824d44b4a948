"""Fix a template: each failing rule's fix applied, verified in every environment, then kept or withheld.

`fix_template` applies the fixes one after another and returns the patched text (`checker fix`), or
makes each fix alone on the unchanged template, for reports that show one patch per failure.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from checker.engine.fix_spec import FixSpec, Step
from checker.engine.results import FAIL, Result
from checker.engine.rules import PARAMETER_TARGET, TEMPLATE_TARGET, Rule
from checker.errors import InputError
from checker.fix.apply import Applier, declared_names, unused_name
from checker.fix.facts import Facts, FixError
from checker.fix.values import Context, Scope
from checker.fix.verify import Key, assess, dangling, problems
from checker.patch import MISSING, PatchError, SourceText
from checker.template.environment import Environment
from checker.template.render import referenced_parameters

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
    taken = declared_names(source)
    renames = {}
    for name in _added_names(spec.steps):
        if name in taken:
            renames[name] = unused_name(name, taken)
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


Attempted = tuple[FixOutcome, "_State | None", dict[str, Any]]  # outcome, patched state if kept, examples after


class _Trials:
    """The fixes tried on one template in its environments. The same fix on the same text with the same
    examples is made and verified once, however many plans ask for it (a report's fixes made alone and
    together share their first steps, and often all of them)."""

    def __init__(self, rules: list[Rule], environments: list[Environment]) -> None:
        self.rules, self.environments = rules, environments
        self._states: dict[tuple[str, str], _State] = {}
        self._attempts: dict[tuple, Attempted] = {}
        self._batches: dict[tuple, tuple[list[FixOutcome], _State, dict[str, Any]] | None] = {}

    def state(self, source: SourceText, examples: dict[str, Any]) -> _State:
        key = (source.full_text, repr(sorted(examples.items())))
        if key not in self._states:
            self._states[key] = _State(source, *assess(source, self.rules, self.environments, examples))
        return self._states[key]

    def failing_in(self, failing: frozenset[str]) -> list[str]:
        return [e.name for e in self.environments if e.name in failing]

    def attempt(self, state: _State, rule: Rule, resource: str | None, failing: frozenset[str],
                examples: dict[str, Any]) -> tuple[FixOutcome, _State | None]:
        """One fix made on a copy of the template: the outcome, and the patched state when the fix is kept
        (`examples` then gains the values its new parameters were verified with)."""
        key = (state.source.full_text, rule.id, resource, failing, repr(sorted(examples.items())))
        if key not in self._attempts:
            self._attempts[key] = self._attempt(state, rule, resource, failing, dict(examples))
        outcome, kept, after = self._attempts[key]
        examples.update(after)
        return replace(outcome, notes=list(outcome.notes)), kept

    def _attempt(self, state: _State, rule: Rule, resource: str | None, failing: frozenset[str],
                 examples: dict[str, Any]) -> Attempted:
        spec = rule.fix
        outcome = FixOutcome(rule.id, resource, self.failing_in(failing), WITHHELD, before=state.source.full_text)
        if spec is None or spec.none is not None:
            outcome.status, outcome.reason = NO_FIX, spec.none if spec and spec.none else "the rule declares no fix"
            return outcome, None, examples
        outcome.note = spec.note
        trial = state.source.copy()
        added = dict(examples)
        try:
            notes, otherwise = _apply(trial, _own(state.facts), rule, resource, failing, added)
            if otherwise is not None:
                outcome.status, outcome.reason = NO_FIX, otherwise
                return outcome, None, examples
            introduced = dangling(trial.body) - dangling(state.source.body)
            if introduced:
                raise FixError(f"the patch refers to undeclared {', '.join(sorted(introduced))}")
            kept = self.state(trial, added)
            found = problems(state.results, kept.results, rule.id, resource, failing)
            if found:
                more = f"; and {len(found) - 3} more" if len(found) > 3 else ""
                raise FixError("; ".join(found[:3]) + more)
        except (FixError, PatchError, InputError) as exc:
            outcome.reason = str(exc)
            return outcome, None, examples
        except Exception as exc:  # noqa: BLE001 - an unforeseen template shape withholds this fix, not the run
            outcome.reason = f"the fix could not be made on this template ({type(exc).__name__}: {exc})"
            return outcome, None, examples
        outcome.status, outcome.notes, outcome.after = FIXED, notes, trial.full_text
        return outcome, kept, added

    def attempt_all(self, state: _State, rule: Rule, group: Group,
                    examples: dict[str, Any]) -> tuple[list[FixOutcome], _State] | None:
        """A rule's fix made on every resource of `group` at once and verified once; None when that fails."""
        key = (state.source.full_text, rule.id, tuple(group), repr(sorted(examples.items())))
        if key not in self._batches:
            self._batches[key] = self._attempt_all(state, rule, group, dict(examples))
        batch = self._batches[key]
        if batch is None:
            return None
        made, kept, after = batch
        examples.update(after)
        return [replace(outcome, notes=list(outcome.notes)) for outcome in made], kept

    def _attempt_all(self, state: _State, rule: Rule, group: Group,
                     examples: dict[str, Any]) -> tuple[list[FixOutcome], _State, dict[str, Any]] | None:
        spec = rule.fix
        if spec is None or spec.none is not None:
            return None
        trial = state.source.copy()
        added = dict(examples)
        made = []
        facts = _own(state.facts)  # the Conditions one resource's fix adds serve the next ones
        try:
            for resource, failing in group:
                notes, otherwise = _apply(trial, facts, rule, resource, failing, added)
                if otherwise is not None:
                    return None
                made.append(FixOutcome(rule.id, resource, self.failing_in(failing), FIXED, note=spec.note,
                                       notes=notes, before=state.source.full_text))
            if dangling(trial.body) - dangling(state.source.body):
                return None
            kept = self.state(trial, added)
            if any(problems(state.results, kept.results, rule.id, resource, failing) for resource, failing in group):
                return None
        except Exception:  # noqa: BLE001 - one by one, each fix's own attempt says what went wrong
            return None
        for outcome in made:
            outcome.after = trial.full_text
        return made, kept, added

    def plan(self, source: SourceText, wanted: Callable[[str, str | None, str], bool], together: bool) -> FixPlan:
        original = source.full_text
        examples: dict[str, Any] = {}
        start = self.state(source, examples)
        state = start
        outcomes = []
        for rule, group in _by_rule(_failures(start.results, self.rules, source, wanted)):
            if together:
                group, resolved = _still_failing(state, rule, group)
                outcomes += [FixOutcome(rule.id, resource, self.failing_in(failing), RESOLVED,
                                        "an earlier fix resolved it") for resource, failing in resolved]
                if not group:
                    continue
            batch = self.attempt_all(state, rule, group, examples) if len(group) > 1 else None
            if batch is not None:
                made, kept = batch
                outcomes += made if together else [_alone(start, rule, outcome, examples) for outcome in made]
                if together:
                    state = kept
                continue
            for resource, failing in group:
                if together:
                    still, _ = _still_failing(state, rule, [(resource, failing)])
                    if not still:
                        outcomes.append(FixOutcome(rule.id, resource, self.failing_in(failing), RESOLVED,
                                                   "an earlier fix resolved it"))
                        continue
                outcome, kept_one = self.attempt(state, rule, resource, failing, examples)
                outcomes.append(outcome)
                if together and kept_one is not None:
                    state = kept_one
        return FixPlan(source.path, original, state.source.full_text, outcomes, examples)


def fix_template(source: SourceText, rules: list[Rule], environments: list[Environment],
                 wanted: Callable[[str, str | None, str], bool] = lambda rule_id, resource, env: True, *,
                 together: bool = True) -> FixPlan:
    """Fix the failures of `source` in `environments`: those that `wanted(rule id, resource, environment)`.

    `together`: each fix builds on the ones before and the plan's text has them all; otherwise each fix
    is made alone on the original text (its outcome holds its own patched text).

    A rule's fixes on all its failing resources are first made and verified as one change (one render and
    evaluation of the template, however many resources fail the rule); only when that change is refused
    are they tried one by one, so that each refusal names its reason. Made alone, each resource's patch is
    the part of its rule's verified change that concerns it.
    """
    return _Trials(rules, environments).plan(source, wanted, together)


def fix_alone_and_together(source: SourceText, rules: list[Rule], environments: list[Environment],
                           wanted: Callable[[str, str | None, str], bool]) -> tuple[FixPlan, FixPlan]:
    """`fix_template` made alone and together, sharing every fix and verification the two have in common."""
    trials = _Trials(rules, environments)
    return trials.plan(source, wanted, False), trials.plan(source, wanted, True)


Group = list[tuple["str | None", frozenset[str]]]


def _by_rule(failures: list[tuple[Rule, str | None, frozenset[str]]]) -> list[tuple[Rule, Group]]:
    """Failures grouped by rule, in the order their first failure comes."""
    groups: dict[str, tuple[Rule, Group]] = {}
    for rule, resource, failing in failures:
        groups.setdefault(rule.id, (rule, []))[1].append((resource, failing))
    return list(groups.values())


def _still_failing(state: _State, rule: Rule, group: Group) -> tuple[Group, Group]:
    """The group's failures that still fail on `state`, and those an earlier fix resolved."""
    still: Group = []
    resolved: Group = []
    for resource, failing in group:
        now = frozenset(e for e in failing
                        if getattr(state.results.get((rule.id, e, resource)), "status", None) == FAIL)
        (still if now else resolved).append((resource, now if now else failing))
    return still, resolved


def _own(facts: Facts) -> Facts:
    """The facts for one attempt: a Condition its fix adds exists only in its own text."""
    return replace(facts, conditions=dict(facts.conditions))


def _alone(start: _State, rule: Rule, outcome: FixOutcome, examples: dict[str, Any]) -> FixOutcome:
    """The part of a verified group change that concerns one resource, made on the original text."""
    alone = start.source.copy()
    notes, _ = _apply(alone, _own(start.facts), rule, outcome.resource, frozenset(outcome.environments),
                      dict(examples))
    outcome.before, outcome.after, outcome.notes = start.source.full_text, alone.full_text, notes
    return outcome
