"""Evaluate rules on a document: a pure function of (rules, document, environment, source).

Each assertion is true, false or unknown (three-valued, see checker.engine.logic). A result is FAIL when any
assertion is false, even beside an unknown one; else ERROR when any is unknown; else PASS. A `when` that
is unknown gives PASS if the assertions hold either way, else ERROR. When a verdict is unknown because of
conditions the environment leaves open, the rule is judged in each feasible assignment of them (a world):
the same verdict everywhere is the verdict; a world that fails makes it FAIL, naming that world.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence, Sized
from dataclasses import dataclass, replace
from typing import Any

from checker.engine.context import NO_ASSUMPTIONS, Context, Peers
from checker.engine.expressions import EvaluationError, Expression, Place, call_again
from checker.engine.functions import FUNCTIONS
from checker.engine.index import DocumentIndex
from checker.engine.interpreter import ExpressionReference
from checker.engine.logic import World
from checker.engine.results import ERROR, FAIL, NOT_APPLICABLE, PASS, Evidence, Result
from checker.engine.rules import PARAMETER_TARGET, PARAMETER_TYPE, TEMPLATE_TARGET, Rule
from checker.template.document_types import AnyDocument
from checker.template.mask import Masker, document_secrets
from checker.template.values import NO_VALUE, Origin, Unknown, display
from checker.template.worlds import ConditionSpace

LineOf = Callable[..., "int | None"]
Reads = tuple[tuple[str, list[Any], str], ...]  # document reads a verdict rests on: function, arguments, result's key
# (rule id, its params, what it reads of its resource) -> verdicts judged on it, each with the reads it rests on
Verdicts = dict[tuple[str, str, Any], list[tuple[Reads, "Verdict"]]]
WHEN = 0  # in `decided_by`: the rule's `when` decided the verdict
_MAX_WORLDS = 32  # judgements per target when splitting on undecided conditions
_MAX_REASONS = 5  # origins named in one ERROR message
_MAX_SHARED = 4  # verdicts kept per rule and resource shape (each resting on other reads of the document)


def evaluate(rules: list[Rule], document: AnyDocument, environment: str, source: str,
             file: str | None = None, line_of: LineOf | None = None, peers: Peers | None = None,
             verdicts: Verdicts | None = None) -> list[Result]:
    """One result per rule and target resource (or one per rule for whole-template rules).

    `peers(name)` is the document of another environment, for rules that compare environments.
    `verdicts`, shared by the documents of one template in its environments, keeps verdicts by what their rule
    reads of its resource (its footprint, checker.engine.expressions.footprint): a resource that reads alike
    to a rule, in another environment or beside it, takes the verdict judged before, when every read of the
    rest of the document that verdict rested on (a resolved key, a named log group) gives the same here.
    """
    index = DocumentIndex(document)
    parts: dict[tuple[str, Place], str | None] = {}  # (logical id, place) -> what is there as a memo key
    result_keys = _Remembered()  # a document read's result -> its memo key
    shown = _Remembered()  # a verdict -> its evidence as this document's results show it
    masker = Masker(document_secrets(document))
    overrides = (document.get("Deployment") or {}).get("RuleParams") or {}
    space: ConditionSpace | None = getattr(document, "space", None)  # conditions a render leaves open
    found_targets: dict[str, list[_Target]] = {}  # rule target -> its targets in the document
    unselected: dict[tuple[str, str, int], bool] = {}  # (when, params, subject) -> whether the when is false
    results = []
    for rule in rules:
        if source not in rule.sources:
            continue
        params = rule.params_for(environment)
        context = Context(document, {**params, **{k: v for k, v in overrides.items() if k in params}}, index, peers)
        targets = _targets(rule, document, index, found_targets)
        shared = verdicts if verdicts is not None and rule.target not in (TEMPLATE_TARGET, PARAMETER_TARGET) else None
        given = repr(sorted(context.params.items()))
        prefix = (rule.id, given) if shared is not None else ()
        places = _footprint(rule) if shared is not None and targets else ()
        if not targets:
            results.append(Result(rule.id, rule.control, rule.severity, NOT_APPLICABLE, environment, source, None,
                                  rule.target, file, None, f"no {rule.target} in this {source}", None))
        for target in targets:
            if not rule.applies_in(environment):
                verdict = Verdict(NOT_APPLICABLE, f"applies only in {', '.join(rule.environments or ())}")
            elif shared is None or target.name is None:
                verdict = _unselected(rule, target.subject, context, given, unselected) \
                    or decide(rule, target.subject, context, space)
            else:
                shape = _shape(target.name, target.subject, places, parts)
                verdict = decide(rule, target.subject, context, space) if shape is None else \
                    _shared_decision(rule, target.subject, context, space, shared.setdefault((*prefix, shape), []),
                                     result_keys)
            path = target.path + list(verdict.path)
            line = line_of(*path) if line_of and path else None
            results.append(Result(rule.id, rule.control, rule.severity, verdict.status, environment, source,
                                  target.name, target.kind, file, line, masker.text(verdict.message),
                                  _shown(verdict, masker, shown), decided_by=verdict.decided_by))
    return results


def _unselected(rule: Rule, subject: Any, context: Context, params: str,
                unselected: dict[tuple[str, str, int], bool]) -> Verdict | None:
    """NOT_APPLICABLE when the rule's `when` is false of `subject` with no condition assumed, as judging it
    would find; else None. What a `when` says of a subject is found once for all the rules of a document that
    ask it with the same params (several rules may select alike: the password parameters)."""
    if rule.when is None:
        return None
    key = (rule.when.text, params, id(subject))
    if key not in unselected:
        try:
            unselected[key] = NO_ASSUMPTIONS.truth(rule.when.search(subject, context, NO_ASSUMPTIONS)) is False
        except EvaluationError:
            unselected[key] = False  # judging says why
    return _not_selected(rule.when) if unselected[key] else None


def _not_selected(when: Expression) -> Verdict:
    return Verdict(NOT_APPLICABLE, f"not selected by: {when.text}")


class _Remembered(dict[int, tuple[Any, Any]]):
    """What was made of an object, made once for as long as the object lives (it is held, so that its id
    stays its own): the evidence of a verdict several resources share, the key of a resource read again."""

    def of(self, value: Any, make: Callable[[Any], Any]) -> Any:
        if id(value) not in self:
            self[id(value)] = (value, make(value))
        return self[id(value)][1]


def _shown(verdict: Verdict, masker: Masker, shown: _Remembered) -> Any:
    """The verdict's evidence as the document's results show it."""
    return None if verdict.evidence is None else shown.of(verdict, lambda v: masker.mask(display(v.evidence)))


def _shared_decision(rule: Rule, subject: Any, context: Context, space: ConditionSpace | None,
                     judged: list[tuple[Reads, Verdict]], keys: _Remembered) -> Verdict:
    """A verdict judged before on a resource the rule reads alike, when each read of the rest of the document
    it rested on gives the same here; else the rule judged now (and kept, when its reads can be repeated)."""
    for reads, verdict in judged:
        if all(_result_key(call_again(context, name, [subject if a is _SUBJECT else a for a in args]), keys) == key
               for name, args, key in reads):
            return verdict
    context.reads = []
    try:
        verdict = decide(rule, subject, context, space)
        repeatable = _repeatable(context.reads, keys, subject)
    finally:
        context.reads = None
    if repeatable is not None and len(judged) < _MAX_SHARED:
        judged.append((repeatable, verdict))
    return verdict


def _repeatable(reads: list[tuple[str, list[Any], Any, bool]], keys: _Remembered, subject: Any) -> Reads | None:
    """The document reads of a judgement as (function, arguments, memo key of the result), each once; None
    when one cannot be repeated elsewhere (made with a condition assumed, given an expression, or undecided).
    A read is repeated with the very arguments it was given (a resource of another environment's document
    stays one), but for the judged resource itself, which stands for the resource judged then (`ref(@)`):
    unless the rule also reads another environment's document, where the judged resource may have been
    reached as that environment's (the document of the environment judged is its own peer)."""
    repeatable: list[tuple[str, list[Any], str]] = []
    stands_in = not any(FUNCTIONS[name].elsewhere for name, *_ in reads)
    for name, args, result, plain in reads:
        if not plain or any(isinstance(a, ExpressionReference) for a in args):
            return None
        key = _result_key(result, keys)
        if key is None:
            return None
        given = [_SUBJECT if stands_in and a is subject else a for a in args]
        if not any(_same_call(read, name, given, key) for read in repeatable):
            repeatable.append((name, given, key))
    return tuple(repeatable)


def _same_call(read: tuple[str, list[Any], str], name: str, args: list[Any], key: str) -> bool:
    """Whether a kept read is this one again: the same function, the very same arguments, the same result."""
    kept_name, kept_args, kept_key = read
    return kept_name == name and kept_key == key and len(kept_args) == len(args) \
        and all(a is b for a, b in zip(kept_args, args, strict=True))


_SUBJECT: Any = type("Subject", (), {"__repr__": lambda self: "<the judged resource>"})()


def _result_key(result: Any, keys: _Remembered) -> str | None:
    """The memo key of a function's result; a mapping or list is keyed once (the resource `resolve` finds,
    the document `environment` gives, read again for resource after resource)."""
    return keys.of(result, memo_key) if isinstance(result, (dict, list)) else memo_key(result)


def shared_verdicts(environments: Sized) -> Verdicts | None:
    """Verdicts to share between the environments a template is judged in; none for one environment (keying
    every resource would cost more than it saves, measured with benchmarks/scale.py)."""
    return {} if len(environments) > 1 else None


def _footprint(rule: Rule) -> tuple[Place, ...]:
    """The places of its resource a rule's verdict may depend on (`((),)`: the whole resource). The resource's
    own Condition is among them: whether the resource exists is part of the verdict."""
    places = {("Condition",)}.union(*(e.footprint for e in (rule.when, *(a.expression for a in rule.assertions))
                                      if e is not None))
    return ((),) if () in places else tuple(sorted(places))


def _shape(name: str, subject: Any, reads: tuple[Place, ...], parts: dict[tuple[str, Place], str | None]) -> Any:
    """What the rule reads of `subject` as a memo key: equal for two resources exactly when the rule
    sees them alike; None when something there is undecided."""
    shape = []
    for place in reads:
        key = (name, place)
        if key not in parts:
            parts[key] = memo_key(_at(subject, place))
        part = parts[key]
        if part is None:
            return None
        shape.append(part)
    return tuple(shape)


_ABSENT: Any = type("Absent", (), {"__repr__": lambda self: "<absent>"})()


def _at(subject: Any, place: Place) -> Any:
    """The value at `place`, or at the nearest place above it that is not a mapping (all of it, then)."""
    value = subject
    for step in place:
        if not isinstance(value, dict):
            return value
        value = value.get(step, _ABSENT)
    return value


def memo_key(value: Any) -> str | None:
    """Text that is the same for two values exactly when every rule that reads only them sees them alike (a
    reference with the name it is known by); None for a value holding anything known only at deployment or
    undecided (its verdict may rest on the document's conditions)."""
    text = repr(value)
    if _UNDECIDED.search(text):
        return None
    return text + repr(display(value)) if "Text(" in text else text  # text built as written (Sub or Join)


# What the repr of every value that is not plain data, a reference or known text holds.
_UNDECIDED = re.compile("|".join(map(re.escape, ("Unknown(", "Choice(", "Maybe(", "Range(", repr(NO_VALUE)))))


@dataclass(frozen=True)
class _Target:
    name: str | None   # logical id or parameter name; None for the whole document
    kind: str | None   # resource type, PARAMETER_TYPE, or None
    subject: Mapping[str, Any]  # what the rule's expressions see
    path: list[str]    # where the subject sits in the template


def _targets(rule: Rule, document: AnyDocument, index: DocumentIndex, found: dict[str, list[_Target]]) -> list[_Target]:
    """What `rule` judges in the document, found once for every rule of the same target (`found`)."""
    if rule.target in found:
        return found[rule.target]
    if rule.target == TEMPLATE_TARGET:
        targets = [_Target(None, None, document, [])]
    elif rule.target == PARAMETER_TARGET:
        targets = [_Target(name, PARAMETER_TYPE, {**spec, "Name": name}, ["Parameters", name])
                   for name, spec in (document.get("Parameters") or {}).items() if isinstance(spec, dict)]
    else:
        targets = [_Target(logical_id, rule.target, index.resources[logical_id], ["Resources", logical_id])
                   for logical_id in index.of_type(rule.target)]
    found[rule.target] = targets
    return targets


@dataclass(frozen=True)
class Verdict:
    status: str
    message: str
    evidence: Evidence | None = None
    path: Sequence[str] = ()  # the field the first decisive assertion reads, for the finding's line
    decided_by: tuple[int, ...] = ()  # assertion numbers (1-based; WHEN for `when`) that decide FAIL or ERROR
    origins: frozenset[Origin] = frozenset()  # what an ERROR rests on


def decide(rule: Rule, subject: Any, context: Context, space: ConditionSpace | None) -> Verdict:
    """The verdict of `rule` on `subject`, splitting into worlds when undecided conditions leave it open."""
    verdict = judge(rule, subject, context, NO_ASSUMPTIONS)
    if verdict.status != ERROR or space is None or not _conditions(verdict, {}):
        return verdict
    budget = [_MAX_WORLDS]
    given = _existence(subject, space)
    if given:  # a resource is judged only in the worlds where it exists
        verdict = judge(rule, subject, context, World(given))
    return _combine(_explore(rule, subject, context, space, given, verdict, budget), given)


def _existence(subject: Any, space: ConditionSpace) -> dict[str, bool]:
    """The subject's own undecided Condition, taken as true, when some deployment makes it true."""
    condition = subject.get("Condition") if isinstance(subject, dict) else None
    if not isinstance(condition, str) or not space.undecided(condition) or not space.feasible({condition: True}):
        return {}
    return {condition: True}


def _conditions(verdict: Verdict, assignment: dict[str, bool]) -> list[str]:
    return sorted({o.name for o in verdict.origins if o.kind == "condition"} - set(assignment))


def _explore(rule: Rule, subject: Any, context: Context, space: ConditionSpace, assignment: dict[str, bool],
             verdict: Verdict, budget: list[int]) -> list[tuple[dict[str, bool], Verdict]]:
    pending = _conditions(verdict, assignment)
    if verdict.status != ERROR or not pending or budget[0] <= 0:
        return [(assignment, verdict)]
    outcomes = []
    for value in (True, False):
        world = {**assignment, pending[0]: value}
        if space.feasible(world):
            budget[0] -= 1
            judged = judge(rule, subject, context, World(world))
            outcomes += _explore(rule, subject, context, space, world, judged, budget)
    return outcomes or [(assignment, verdict)]


def _combine(outcomes: list[tuple[dict[str, bool], Verdict]], given: dict[str, bool]) -> Verdict:
    for status in (FAIL, ERROR):
        for assignment, verdict in outcomes:
            chosen = {name: value for name, value in assignment.items() if name not in given}
            if verdict.status == status:
                return replace(verdict, message=f"when {_world_text(chosen)}: {verdict.message}") if chosen \
                    else verdict
    passed = [verdict for _, verdict in outcomes if verdict.status == PASS]
    return passed[0] if passed else outcomes[0][1]


def _world_text(assignment: dict[str, bool]) -> str:
    return " and ".join(f"{name} is {'true' if value else 'false'}" for name, value in sorted(assignment.items()))


def judge(rule: Rule, subject: Any, context: Context, world: World) -> Verdict:
    """The verdict in one world."""
    selected: bool | Unknown = True
    if rule.when is not None:
        try:
            selected = world.truth(rule.when.search(subject, context, world))
        except EvaluationError as exc:
            return Verdict(ERROR, f"'when' could not be evaluated: {exc}", decided_by=(WHEN,))
        if selected is False:
            return _not_selected(rule.when)
    params = context.params
    failures: list[tuple[int, str]] = []
    unknowns: list[tuple[int, str, frozenset[Origin]]] = []
    errors: list[tuple[int, str]] = []
    passed: dict[str, Any] = {}
    decisive: dict[str, Any] = {}
    paths: list[list[str]] = []
    for number, assertion in enumerate(rule.assertions, 1):
        expression = assertion.expression
        try:
            holds = world.truth(expression.search(subject, context, world))
            seen = expression.evidence(subject, context, world)
        except EvaluationError as exc:
            errors.append((number, f"could not evaluate {expression.text!r}: {exc}"))
            continue
        label = ".".join(expression.field_path()) or expression.text
        if holds is True:
            passed[label] = seen
            continue
        if holds is False:
            failures.append((number, assertion.message.format_map(params)))
        else:
            unknowns.append((number, label, holds.origins))
        decisive[label] = seen
        paths.append(expression.field_path())
    path = paths[0] if paths else []
    if failures and selected is True:
        return Verdict(FAIL, "; ".join(m for _, m in failures), decisive, path, tuple(n for n, _ in failures))
    if errors:
        return Verdict(ERROR, "; ".join(m for _, m in errors), decisive, path, tuple(n for n, _ in errors))
    if failures:  # the rule fails if it applies, and whether it applies is unknown
        origins = selected.origins if isinstance(selected, Unknown) else frozenset()
        message = (f"cannot decide whether the rule applies: {_reasons(origins)}; if it does: "
                   + "; ".join(m for _, m in failures))
        return Verdict(ERROR, message, decisive, path, (WHEN,), origins)
    if unknowns:
        origins = frozenset().union(*(o for _, _, o in unknowns))
        undecided: dict[str, list[str]] = {}  # reasons -> what they leave undecided, each reason said once
        for number, label, reasons in unknowns:
            shown = label if label != rule.assertions[number - 1].expression.text else f"assertion {number}"
            undecided.setdefault(_reasons(reasons), []).append(shown)
        if isinstance(selected, Unknown):
            origins |= selected.origins
            undecided.setdefault(_reasons(selected.origins), []).append("whether the rule applies")
        message = "; ".join(f"cannot decide {', '.join(labels)}: {reasons}" for reasons, labels in undecided.items())
        return Verdict(ERROR, message, decisive, path, tuple(n for n, _, _ in unknowns), origins)
    return Verdict(PASS, rule.title, passed)


def _reasons(origins: frozenset[Origin]) -> str:
    described = sorted({origin.describe() for origin in origins})
    if len(described) > _MAX_REASONS:
        described = described[:_MAX_REASONS] + [f"and {len(described) - _MAX_REASONS} more"]
    return "; ".join(described) or "a value is only known at deployment"
