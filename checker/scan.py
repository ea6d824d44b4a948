"""Template scans: find templates, render each for the environments it deploys to, evaluate the rules."""
from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from checker.config import Environment
from checker.errors import InputError
from checker.evaluate import evaluate
from checker.load import NotATemplate, Template, load_template
from checker.nested import Child, child_environment, children, regions_admitted
from checker.plan import EnvironmentPlan, check_declared, missing_value_notes
from checker.render import render
from checker.results import NOT_APPLICABLE, Result
from checker.rules import Rule, known_resource_types
from checker.sam import SAM_TRANSFORM, expand
from checker.template_files import TemplateFiles, find_templates
from checker.values import display
from checker.waivers import Waiver, WaiverOutcome, apply_waivers, template_waivers

__all__ = ["ScanReport", "TemplateFiles", "find_templates", "scan", "scan_template"]
_MAX_NESTING = 8
# Where a whole-template finding is decided, for evidence read from the rendered document's Deployment.
_DEPLOYMENT_SOURCES = {"Parameters": "Parameters", "RegionsAllowedByTemplateRules": "Rules"}


@dataclass(frozen=True)
class UnknownType:
    file: str
    line: int | None
    resource: str
    resource_type: str


@dataclass
class ScanReport:
    results: list[Result] = field(default_factory=list)
    templates: list[str] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    skipped: list[InputError] = field(default_factory=list)
    unknown_types: list[UnknownType] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    waivers: WaiverOutcome | None = None


def _transforms(body: dict) -> list[Any]:
    transforms = body.get("Transform")
    return transforms if isinstance(transforms, list) else [transforms] if transforms else []


def unknown_types(template: Template) -> list[UnknownType]:
    """AWS resource types CloudFormation does not know (typos, or Serverless types without the transform)."""
    known = known_resource_types()
    unknown = []
    for logical_id, resource in template.body["Resources"].items():
        kind = resource["Type"]
        if kind.startswith(("AWS::", "Alexa::")) and kind not in known:
            unknown.append(UnknownType(template.path, template.line_of("Resources", logical_id), logical_id, kind))
    return unknown


@dataclass
class Scanned:
    """One template's results in every environment, with the templates it reached (its nested children)."""

    results: list[Result] = field(default_factory=list)
    templates: list[tuple[Template, str]] = field(default_factory=list)  # (template, resource prefix)
    notes: list[str] = field(default_factory=list)


Peers = Callable[[str], "Mapping[str, Any] | None"]


def scan_template(template: Template, rules: list[Rule], environments: list[Environment],
                  peers: Callable[[Template], Peers] | None = None) -> Scanned:
    """Render and evaluate a template in each environment, following nested stacks with local templates.

    `peers(template)` gives, for a rule that compares environments, the document of another environment.
    """
    scanned = Scanned()
    _scan_into(scanned, template, rules, environments, peers, "", frozenset())
    return scanned


def _scan_into(scanned: Scanned, template: Template, rules: list[Rule], environments: list[Environment],
               peers: Callable[[Template], Peers] | None, prefix: str, chain: frozenset[Path],
               parent_regions: list[Any] | None = None) -> None:
    template = expand(template, next((e.region for e in environments if e.region), None))
    scanned.templates.append((template, prefix))
    others = peers(template) if peers else None
    loaded: dict[Path, Template] = {}
    for env in environments:
        document = render(template, env)
        deployment = document["Deployment"]
        if parent_regions is not None:
            deployment["RegionsAllowedByTemplateRules"] = regions_admitted(
                deployment["RegionsAllowedByTemplateRules"], parent_regions)
        results = evaluate(rules, document, env.name, "template", template.path, template.line_of, others)
        scanned.results += [replace(r, resource=f"{prefix}{r.resource}" if r.resource else prefix.rstrip("/") or None)
                            for r in results] if prefix else results
        for child in children(document, template.path):
            if child.path is None:
                note = (f"{template.path}: nested stack {prefix}{child.logical_id} has TemplateURL "
                        f"{display(child.url)!r}, not a local file: its template is not checked")
                if note not in scanned.notes:
                    scanned.notes.append(note)
                continue
            if child.path in chain or len(chain) >= _MAX_NESTING:
                raise InputError(template.path, f"nested stack {child.logical_id}: {child.path} nests itself or more "
                                 f"than {_MAX_NESTING} levels deep", template.line_of("Resources", child.logical_id))
            if child.path not in loaded:
                loaded[child.path] = _child_template(template, child)
            _scan_into(scanned, loaded[child.path], rules, [child_environment(env, document, child)], None,
                       f"{prefix}{child.logical_id}/", chain | {Path(template.path).resolve()},
                       deployment["RegionsAllowedByTemplateRules"])


def _child_template(parent: Template, child: Child) -> Template:
    try:
        return load_template(child.path or "")
    except InputError as exc:
        raise InputError(parent.path, f"nested stack {child.logical_id}: {exc}",
                         parent.line_of("Resources", child.logical_id)) from None


def check_rule_params(rules: list[Rule], environments: Sequence[Environment]) -> None:
    """A configured rule param must be one some rule declares: a misspelt name would change nothing."""
    declared = {name for rule in rules for values in rule.params.values() for name in values}
    for env in environments:
        unknown = sorted(set(env.rule_params) - declared)
        if unknown:
            raise InputError("rule_params", f"environment {env.name!r} sets {', '.join(unknown)}, which no rule "
                             f"declares (declared: {', '.join(sorted(declared))})")


def peer_documents(declared: Sequence[Environment]) -> Callable[[Template], Peers]:
    """For each template, the documents of the declared environments, rendered when a rule asks for one."""
    by_name = {env.name: env for env in declared}

    def for_template(template: Template) -> Peers:
        rendered: dict[str, Any] = {}

        def document(name: str) -> Mapping[str, Any] | None:
            if name not in by_name:
                return None
            if name not in rendered:
                rendered[name] = render(template, by_name[name])
            return rendered[name]
        return document
    return for_template


def decided_at(template: Template, result: Result) -> int | None:
    """The line of the section or parameter a whole-template finding read, from its evidence."""
    evidence = result.evidence if isinstance(result.evidence, dict) else {}
    for label in evidence:
        keys = str(label).split(".")
        if keys[0] == "Deployment":
            section = _DEPLOYMENT_SOURCES.get(keys[1]) if len(keys) > 1 else None
            keys = [section, *keys[2:]] if section else []
        line = template.line_of(*keys) if keys else None
        if line:
            return line
    return None


def _located(scanned: Scanned) -> list[Result]:
    """The results, with whole-template findings at the line of what decided them where that is known."""
    by_path = {template.path: template for template, _ in scanned.templates}
    return [replace(r, line=decided_at(by_path[r.file], r)) if r.resource is None and r.line is None
            and r.status != NOT_APPLICABLE and r.file in by_path else r for r in scanned.results]


def scan(paths: Sequence[str | Path] | TemplateFiles, rules: list[Rule],
         environments: Sequence[Environment] | EnvironmentPlan, *, waivers: Sequence[Waiver] = (),
         today: date | None = None, skip_non_templates: bool = False, known_rules: Collection[str] | None = None,
         progress: Callable[[int, int, str], None] | None = None,
         declared: Sequence[Environment] | None = None) -> ScanReport:
    """Scan files and folders (or what `find_templates` found). Bad templates are collected as errors; the
    others still run.

    A file given by name that is not a template is an error (skipped with `skip_non_templates`); in a
    folder walk it is skipped. With an EnvironmentPlan each template is rendered for the environments the
    config deploys it to. Waivers (`waivers`, inline ones, and waiver files beside the templates) are
    applied as of `today`; a waiver of a rule outside `known_rules` (default: the ids of `rules`) is an
    error. `progress(done, total, path)` is called before each file. `declared` are the environments a rule
    may compare with when `environments` is a list (by default the scanned ones; a plan knows its own).
    """
    plan = environments if isinstance(environments, EnvironmentPlan) else None
    listed = environments.environments if isinstance(environments, EnvironmentPlan) else list(environments)
    check_rule_params(rules, list(plan.config.environments.values()) if plan and plan.declared and plan.config
                      else declared if declared is not None else listed)
    found = paths if isinstance(paths, TemplateFiles) else find_templates(paths, plan.config if plan else None)
    report = ScanReport(errors=list(found.missing), skipped=list(found.excluded))
    explicit = found.named if not skip_non_templates else set()
    found_waivers = list(waivers)
    beside: dict[Path, list[Waiver]] = {}
    for index, path in enumerate(found.candidates):
        if progress:
            progress(index, len(found.candidates), str(path))
        covered = plan.for_template(path) if plan else listed
        if not covered and plan:
            report.skipped.append(not_deployed(plan, path))
            continue
        peers = (plan.peers_for(path) if plan else None) or (declared if declared is not None else covered)
        try:
            template = load_template(path)
            check_declared(template, covered)
            scanned = scan_template(template, rules, covered, peer_documents(peers))
            for reached, prefix in scanned.templates:
                found_waivers += [replace(w, resource=f"{prefix}{w.resource}") if prefix and w.resource else w
                                  for w in template_waivers(reached, beside)]
        except NotATemplate as exc:
            (report.errors if path in explicit else report.skipped).append(exc)
            continue
        except InputError as exc:
            report.errors.append(exc)
            continue
        report.templates.append(template.path)
        report.results += _located(scanned)
        report.notes += missing_value_notes(template, covered, bool(plan and plan.declared)) + scanned.notes
        for reached, _ in scanned.templates:
            report.unknown_types += unknown_types(reached)
            transforms = [t for t in _transforms(reached.source_body or reached.body) if t != SAM_TRANSFORM]
            if transforms:
                report.notes.append(f"{reached.path}: uses Transform {', '.join(map(str, transforms))}; macros "
                                    "are not expanded, rules see the template as written")
    report.results, report.waivers = apply_waivers(report.results, found_waivers, today or date.today(),
                                                   known_rules if known_rules is not None else {r.id for r in rules})
    report.errors += report.waivers.errors()
    if not report.templates and not report.errors and not skip_non_templates:
        report.errors.append(InputError(", ".join(found.given),
                                        "no CloudFormation template found; nothing was checked"))
    return report


def not_deployed(plan: EnvironmentPlan, path: Path) -> InputError:
    """Why a template is left out: the config maps it to none of the environments this run covers."""
    entry = plan.template_entry(path)
    mapped = ", ".join(entry.environments) if entry else ""
    return InputError(str(path), f"not deployed to {', '.join(e.name for e in plan.chosen)}: "
                      f"{plan.config.path if plan.config else ''} templates: {entry.glob.text if entry else ''} "
                      f"maps it to {mapped or 'no environment'}")
