"""Waivers: approved, expiring exceptions that turn a FAIL into WAIVED.

A waiver is data: the rule it excuses, the resource (none for whole-template rules), the environments
(none: all), a reason, who approved it and the day it expires. Waivers are declared

- inline, in a resource's ``Metadata: {checker: {waivers: [...]}}`` (the resource is implied), or in the
  template's top-level ``Metadata`` (naming the resource, or none for whole-template rules);
- in a waiver file ``checker-waivers.yaml`` beside the templates, applying to the templates of that
  directory (``template:`` narrows it to one file name);
- in a waiver file given with ``--waivers PATH``, applying to every template and to live results.

An unexpired waiver that matches a FAIL makes it WAIVED; an expired one stops waiving and says so in the
finding's message; one that matches no failing result where its rule ran is stale; one that names a rule
the pack does not have is an input error.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from checker.engine.results import FAIL, WAIVED, Result
from checker.errors import InputError, did_you_mean
from checker.template.load import Template, parse, read_text

WAIVER_FILE = "checker-waivers.yaml"
METADATA_KEY = "checker"
TEMPLATE_RESOURCE = "template"  # `resource: template` is the same as leaving the resource out

_KEYS = ("rule", "resource", "environments", "template", "reason", "approved_by", "expires")
_REQUIRED = ("rule", "reason", "approved_by", "expires")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Waiver:
    rule_id: str
    resource: str | None  # logical id; None for whole-template rules
    environments: tuple[str, ...] | None  # None: every environment
    reason: str
    approved_by: str
    expires: date  # the last day the waiver holds
    origin: str  # "file:line" where it is declared
    template: str | None = None  # file name the waiver is limited to
    template_path: str | None = None  # inline waivers: the resolved path of their template
    directory: str | None = None  # waiver files beside templates: the resolved directory they cover

    def expired(self, today: date) -> bool:
        return today > self.expires

    def in_scope(self, result: Result) -> bool:
        """Whether the result's environment and template are ones this waiver speaks about."""
        return self.covers(result.environment, result.file)

    def covers(self, environment: str, file: str | None) -> bool:
        """Whether this waiver speaks about results of `environment` from the template `file`."""
        if self.environments is not None and environment not in self.environments:
            return False
        if self.template is None and self.template_path is None and self.directory is None:
            return True
        if not file:
            return False
        path = Path(file).resolve()
        return ((self.template is None or path.name == self.template)
                and (self.template_path is None or str(path) == self.template_path)
                and (self.directory is None or str(path.parent) == self.directory))

    def matches(self, result: Result) -> bool:
        return result.rule_id == self.rule_id and result.resource == self.resource and self.in_scope(result)

    def to_dict(self) -> dict[str, Any]:
        return {"rule_id": self.rule_id, "resource": self.resource,
                "environments": list(self.environments) if self.environments is not None else None,
                "template": self.template, "reason": self.reason, "approved_by": self.approved_by,
                "expires": self.expires.isoformat(), "origin": self.origin}


@dataclass
class WaiverOutcome:
    """What the waivers did in one run. `matched` counts the failing results each waiver matched;
    `unknown` are waivers of rules the pack does not have (typos, or rules since renamed)."""

    today: date
    applied: list[Waiver] = field(default_factory=list)
    expired: list[Waiver] = field(default_factory=list)
    stale: list[Waiver] = field(default_factory=list)
    matched: dict[Waiver, int] = field(default_factory=dict)
    unknown: list[Waiver] = field(default_factory=list)
    known_rules: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, list[dict]]:
        def entries(waivers: list[Waiver]) -> list[dict]:
            return [{**w.to_dict(), "findings": self.matched.get(w, 0), "expired": w.expired(self.today)}
                    for w in waivers]
        return {"applied": entries(self.applied), "expired": entries(self.expired), "stale": entries(self.stale),
                "unknown_rule": entries(self.unknown)}

    def errors(self) -> list[InputError]:
        """Each waiver of a rule the pack does not have, as an input error at the waiver."""
        return [InputError(w.origin, f"waiver names rule {w.rule_id}, which the rule pack does not have"
                           f"{did_you_mean(w.rule_id, self.known_rules)}") for w in self.unknown]


def waiver_from(entry: Any, source: str, line: int | None, resource: str | None = None,
                **scope: str | None) -> Waiver:
    """Validate one waiver entry. `resource` is the implied resource of an inline waiver."""
    if not isinstance(entry, dict):
        raise InputError(source, "a waiver must be a mapping", line)
    line = _entry_line(entry, line)
    unknown = sorted(set(map(str, entry)) - set(_KEYS))
    if unknown:
        raise InputError(source, f"waiver has unknown keys: {', '.join(unknown)} (allowed: {', '.join(_KEYS)})", line)
    missing = [key for key in _REQUIRED if not _text(entry.get(key))]
    if missing:
        raise InputError(source, f"waiver of {entry.get('rule') or 'an unnamed rule'} needs "
                         f"{', '.join(missing)}", line)
    named = _text(entry.get("resource"))
    if resource is not None and named not in (None, resource):
        raise InputError(source, f"waiver in the Metadata of {resource} names another resource {named!r}", line)
    named = resource or named
    return Waiver(
        rule_id=str(entry["rule"]).strip(),
        resource=None if named in (None, TEMPLATE_RESOURCE) else named,
        environments=_environments(entry.get("environments"), source, line),
        reason=str(entry["reason"]).strip(),
        approved_by=str(entry["approved_by"]).strip(),
        expires=_expiry(entry["expires"], source, line),
        origin=f"{source}:{line}" if line else source,
        template=_text(entry.get("template")),
        **scope,
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value).strip() or None


def _entry_line(entry: dict, fallback: int | None) -> int | None:
    lines = [n for n in getattr(entry, "lines", {}).values() if n]
    return min(lines) if lines else fallback


def _environments(value: Any, source: str, line: int | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        raise InputError(source, "waiver environments must be a name or a non-empty list of names", line)
    return tuple(names)


def _expiry(value: Any, source: str, line: int | None) -> date:
    text = str(value).strip()
    try:
        if _DATE.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise InputError(source, f"waiver expiry {text!r} is not a date (YYYY-MM-DD)", line)


def load_waiver_file(path: str | Path, beside_templates: bool = False) -> list[Waiver]:
    """Read a waiver file: ``waivers: [...]``. Beside templates it covers only its own directory."""
    path = Path(path)
    source = str(path)
    body = parse(read_text(path), source)
    entries = body.get("waivers") if isinstance(body, dict) else None
    if not isinstance(entries, list):
        raise InputError(source, "expected a 'waivers' list")
    base = getattr(body, "lines", {}).get("waivers")
    directory = str(path.resolve().parent) if beside_templates else None
    return [waiver_from(entry, source, base, directory=directory) for entry in entries]


def inline_waivers(template: Template) -> list[Waiver]:
    """Waivers in the template's own Metadata and in its resources' Metadata."""
    body = template.body
    found: list[Waiver] = []
    holders: list[tuple[tuple[str, ...], Any, str | None]] = [((), body, None)]
    holders += [(("Resources", lid), resource, lid) for lid, resource in body["Resources"].items()]
    for path, holder, resource in holders:
        metadata = holder.get("Metadata")
        block = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
        if block is None:
            continue
        where = (*path, "Metadata", METADATA_KEY)
        entries = block.get("waivers") if isinstance(block, dict) else None
        if not isinstance(entries, list):
            raise InputError(template.path, f"Metadata.{METADATA_KEY} must hold a 'waivers' list",
                             template.line_of(*where))
        for index, entry in enumerate(entries):
            line = template.line_of(*where, "waivers", index)
            found.append(waiver_from(entry, template.path, line, resource,
                                     template_path=str(Path(template.path).resolve())))
    return found


def template_waivers(template: Template, beside: dict[Path, list[Waiver]]) -> list[Waiver]:
    """Inline waivers plus those of the waiver file beside the template's real file (read once per directory)."""
    directory = Path(template.path).resolve().parent
    if directory not in beside:
        beside[directory] = []  # a bad waiver file is reported once, not once per template
        candidate = directory / WAIVER_FILE
        if candidate.is_file():
            beside[directory] = load_waiver_file(candidate, beside_templates=True)
    return inline_waivers(template) + beside[directory]


def apply_waivers(results: Sequence[Result], waivers: Iterable[Waiver], today: date,
                  rule_ids: Collection[str] | None = None) -> tuple[list[Result], WaiverOutcome]:
    """Turn failures matched by an unexpired waiver into WAIVED; note expired and stale waivers.

    A waiver that matched no failure is stale when its rule was evaluated on its resource (which
    passed), or when it is tied to one template that no longer has the resource. A waiver whose resource
    may be in a template this run did not scan (a commit hook scans only changed files) is not called
    stale. A waiver of a rule not in `rule_ids` (the loaded pack, before rules are skipped) is `unknown`.
    """
    run = WaiverRun(waivers, today, rule_ids)
    return run.apply(results), run.outcome()


class WaiverRun:
    """Waivers applied to results as they come, a template's at a time, with the outcome one pass over
    them all would give (apply_waivers). A waiver found with a template is added before its results come;
    whether it is stale is judged at the end, on every result (a nested template may have been scanned on
    its own before the stack that holds it)."""

    def __init__(self, waivers: Iterable[Waiver], today: date, rule_ids: Collection[str] | None = None) -> None:
        self.today = today
        self.rule_ids = rule_ids
        self._known: dict[Waiver, None] = {}  # every waiver, in the order it was found
        self._waivers: list[Waiver] = []  # those of rules the pack has
        self._matched: dict[Waiver, int] = {}
        # rule -> (environment, template file) -> the resources it was judged on: what staleness is judged on
        self._ran: dict[str, dict[tuple[str, str | None], set[str | None]]] = {}
        self.add(waivers)

    def add(self, waivers: Iterable[Waiver]) -> None:
        for waiver in waivers:
            if waiver not in self._known:
                self._known[waiver] = None
                if self.rule_ids is None or waiver.rule_id in self.rule_ids:
                    self._waivers.append(waiver)

    def apply(self, results: Sequence[Result]) -> list[Result]:
        changed = [self._waived(result) if result.status == FAIL and self._waivers else result for result in results]
        for result in results:
            self._ran.setdefault(result.rule_id, {}).setdefault((result.environment, result.file), set()).add(
                result.resource)
        return changed

    def _waived(self, result: Result) -> Result:
        """A failing result as its waivers leave it: waived by the one that lasts longest, or noting the one
        that expired last."""
        matching = [w for w in self._waivers if w.matches(result)]
        for waiver in matching:
            self._matched[waiver] = self._matched.get(waiver, 0) + 1
        live = sorted((w for w in matching if not w.expired(self.today)), key=lambda w: w.expires)
        if live:
            w = live[-1]
            return replace(result, status=WAIVED, message=f"{result.message} [waived until {w.expires} "
                           f"by {w.approved_by}: {w.reason}]")
        if matching:
            w = max(matching, key=lambda w: w.expires)
            return replace(result, message=f"{result.message} [waiver expired on {w.expires}: {w.origin}]")
        return result

    def outcome(self) -> WaiverOutcome:
        outcome = WaiverOutcome(self.today, known_rules=tuple(self.rule_ids or ()), matched=dict(self._matched))
        if self.rule_ids is not None:
            outcome.unknown = [w for w in self._known if w.rule_id not in self.rule_ids]
        for waiver in self._waivers:
            if waiver in self._matched:
                (outcome.expired if waiver.expired(self.today) else outcome.applied).append(waiver)
            elif self._stale(waiver):
                outcome.stale.append(waiver)
        return outcome

    def _stale(self, waiver: Waiver) -> bool:
        ran = [resources for (environment, file), resources in self._ran.get(waiver.rule_id, {}).items()
               if waiver.covers(environment, file)]
        if any(waiver.resource in resources for resources in ran):
            return True
        return bool(ran) and (waiver.template or waiver.template_path) is not None


def live_waivers(results: list[Result], waivers: list[Waiver], rule_ids: set[str],
                 earlier: WaiverOutcome | None = None) -> tuple[list[Result], WaiverOutcome]:
    """Apply waivers to live results; with `earlier` (the template scan's outcome), one outcome for both."""
    results, outcome = apply_waivers(results, waivers, date.today(), rule_ids)
    if earlier is None:
        return results, outcome
    merged = WaiverOutcome(outcome.today)
    for waiver, count in [*earlier.matched.items(), *outcome.matched.items()]:
        merged.matched[waiver] = merged.matched.get(waiver, 0) + count
    merged.applied = list(dict.fromkeys(earlier.applied + outcome.applied))
    merged.expired = list(dict.fromkeys(earlier.expired + outcome.expired))
    merged.stale = [w for w in dict.fromkeys(earlier.stale + outcome.stale) if w not in merged.matched]
    return results, merged
