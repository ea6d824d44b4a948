"""Scans: templates (found, rendered for the environments each deploys to, evaluated), deployed stacks read
back from AWS, and the two compared. What the library exports (checker/__init__.py) and the commands call."""
from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checker.decision.waivers import (
    Waiver,
    WaiverOutcome,
    WaiverRun,
    apply_waivers,
    inline_waivers,
    live_waivers,
    template_waivers,
)
from checker.engine.results import Result, Tally
from checker.engine.rules import Rule
from checker.engine.scan import (
    UnknownType,
    check_rule_params,
    located,
    peer_documents,
    scan_template,
    transforms_of,
    unknown_types,
)
from checker.engine.spool import ResultSpool
from checker.errors import InputError
from checker.live import DEFAULT_WORKERS
from checker.project.files import TemplateFiles, find_templates
from checker.project.plan import EnvironmentPlan, check_declared, missing_value_notes
from checker.template.environment import ENVIRONMENT_PARAMETER, Environment
from checker.template.load import NotATemplate, Template, load_template
from checker.template.mask import MASK
from checker.template.sam import SAM_TRANSFORM, expand_for
from checker.template.values import Origin, Unknown

if TYPE_CHECKING:  # template scans do not import the live stage
    from checker.live.aws import AwsOptions
    from checker.live.changeset import ChangeSet
    from checker.live.scan import LiveScan, Notify, ProgressStep

__all__ = ["ScanReport", "TemplateFiles", "find_templates", "scan", "scan_live", "scan_template", "scan_with_live"]


@dataclass
class ScanReport:
    results: list[Result] = field(default_factory=list)
    templates: list[str] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    skipped: list[InputError] = field(default_factory=list)
    unknown_types: list[UnknownType] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    waivers: WaiverOutcome | None = None
    live: LiveScan | None = None  # what a live scan read (scan_live, scan_with_live)
    drift: list[dict[str, Any]] | None = None  # template against deployment (scan_with_live)
    spool: ResultSpool | None = None  # holds every result when `results` keeps only those needing attention

    def tally(self) -> Tally:
        """The counts of every result, kept or spooled."""
        return self.spool.tally if self.spool is not None else Tally.of(self.results)


def scan(paths: Sequence[str | Path] | TemplateFiles, rules: list[Rule],
         environments: Sequence[Environment] | EnvironmentPlan, *, waivers: Sequence[Waiver] = (),
         today: date | None = None, skip_non_templates: bool = False, known_rules: Collection[str] | None = None,
         progress: Callable[[int, int, str], None] | None = None,
         declared: Sequence[Environment] | None = None,
         load: Callable[[Path], Template] = load_template, spool: ResultSpool | None = None) -> ScanReport:
    """Scan files and folders (or what `find_templates` found). Bad templates are collected as errors; the
    others still run.

    A file given by name that is not a template is an error (skipped with `skip_non_templates`); in a
    folder walk it is skipped. With an EnvironmentPlan each template is rendered for the environments the
    config deploys it to. Waivers (`waivers`, inline ones, and waiver files beside the templates) are
    applied as of `today`; a waiver of a rule outside `known_rules` (default: the ids of `rules`) is an
    error. `progress(done, total, path)` is called before each file. `declared` are the environments a rule
    may compare with when `environments` is a list (by default the scanned ones; a plan knows its own).
    `load` reads a template (a caller that has read it already hands it over). With a `spool`, each template's
    results go to it as soon as they are final, and `results` keeps only those that need attention (the
    spool counts and records them all).
    """
    plan = environments if isinstance(environments, EnvironmentPlan) else None
    listed = environments.environments if isinstance(environments, EnvironmentPlan) else list(environments)
    check_rule_params(rules, list(plan.config.environments.values()) if plan and plan.declared and plan.config
                      else declared if declared is not None else listed)
    found = paths if isinstance(paths, TemplateFiles) else find_templates(paths, plan.config if plan else None)
    report = ScanReport(errors=list(found.missing), skipped=list(found.excluded), spool=spool)
    explicit = found.named if not skip_non_templates else set()
    waiving = WaiverRun(waivers, today or date.today(),
                        known_rules if known_rules is not None else {r.id for r in rules})
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
            template = load(path)
            check_declared(template, covered)
            scanned = scan_template(template, rules, covered, peer_documents(peers))
            for reached, prefix in scanned.templates:
                waiving.add(replace(w, resource=f"{prefix}{w.resource}") if prefix and w.resource else w
                            for w in template_waivers(reached, beside))
        except NotATemplate as exc:
            (report.errors if path in explicit else report.skipped).append(exc)
            continue
        except InputError as exc:
            report.errors.append(exc)
            continue
        report.templates.append(template.path)
        results = waiving.apply(located(scanned))
        report.results += spool.add(results) if spool is not None else results
        report.notes += missing_value_notes(template, covered, bool(plan and plan.declared)) + scanned.notes
        for reached, _ in scanned.templates:
            report.unknown_types += unknown_types(reached)
            transforms = [t for t in transforms_of(reached.source_body or reached.body) if t != SAM_TRANSFORM]
            if transforms:
                report.notes.append(f"{reached.path}: uses Transform {', '.join(map(str, transforms))}; macros "
                                    "are not expanded, rules see the template as written")
    report.waivers = waiving.outcome()
    report.errors += report.waivers.errors()
    if not report.templates and not report.errors and not skip_non_templates:
        report.errors.append(InputError(", ".join(found.given),
                                        "no CloudFormation template found; nothing was checked"))
    return report


def scan_live(rules: list[Rule], environments: Sequence[Environment] | EnvironmentPlan, *,
              template: Template | None = None, stack_name: str | None = None, outputs: str | None = None,
              options: AwsOptions | None = None, waivers: Sequence[Waiver] = (),
              known_rules: Collection[str] | None = None, earlier: WaiverOutcome | None = None,
              declared: Sequence[Environment] | None = None, workers: int = DEFAULT_WORKERS, session: Any = None,
              progress: ProgressStep | None = None, notify: Notify | None = None) -> ScanReport:
    """Check the deployed stacks of `environments` (a plan: the ones `template` deploys to). The stack is
    found by `stack_name` (else each environment's own), the template's resources by name and by the
    stack `outputs` file; `options` say how to reach AWS (default: the standard credential chain).
    `earlier` is a template scan's waiver outcome, merged with this one."""
    from checker.live.aws import AwsOptions
    from checker.live.scan import LiveSource, run_live

    listed = _environments(environments, template.path if template else None)
    if declared is None:
        declared = _declared(environments, template)
    live = run_live(rules, listed, LiveSource(stack_name, outputs, template, tuple(declared)),
                    options or AwsOptions(), workers, session, progress, notify)
    results, outcome = live_waivers(live.results, list(waivers),
                                    set(known_rules if known_rules is not None else (r.id for r in rules)), earlier)
    return ScanReport(results=results, templates=[template.path] if template else [], waivers=outcome,
                      errors=outcome.errors(), live=live)


def scan_with_live(path: str | Path, rules: list[Rule], environments: Sequence[Environment] | EnvironmentPlan, *,
                   waivers: Sequence[Waiver] = (), known_rules: Collection[str] | None = None,
                   progress: ProgressStep | None = None, **live: Any) -> ScanReport:
    """Scan one template, check its deployments (`live`: the keyword arguments of scan_live) and compare
    the two: the report holds both sets of results, the live scan and the drift."""
    from checker.live.drift import find_drift

    listed = _environments(environments, path)
    # Read once: the template scan, the live scan's discovery and the drift share it and its rendered documents.
    template = expand_for(load_template(path), listed)
    report = scan([path], rules, environments, waivers=waivers, known_rules=known_rules, load=lambda _: template)
    deployed = scan_live(rules, environments, template=template, waivers=waivers, known_rules=known_rules,
                         earlier=report.waivers, progress=progress, **live)
    assert deployed.live is not None
    report.drift = find_drift(template, listed, report.results, deployed.live)
    report.results += deployed.results
    report.waivers, report.live = deployed.waivers, deployed.live
    return report


def _environments(environments: Sequence[Environment] | EnvironmentPlan,
                  path: str | Path | None) -> list[Environment]:
    """The environments a run covers (with a plan and a template's `path`: those it deploys to)."""
    if not isinstance(environments, EnvironmentPlan):
        return list(environments)
    return environments.for_template(path) if path is not None else environments.environments


def _declared(environments: Sequence[Environment] | EnvironmentPlan, template: Template | None) -> list[Environment]:
    """The environments rules that compare environments see (with the template's own values)."""
    if not isinstance(environments, EnvironmentPlan):
        return list(environments)
    if template is not None:
        return list(environments.peers_for(template.path) or ())
    config = environments.config
    return list(config.environments.values()) if environments.declared and config else []


def not_deployed(plan: EnvironmentPlan, path: Path) -> InputError:
    """Why a template is left out: the config maps it to none of the environments this run covers."""
    entry = plan.template_entry(path)
    mapped = ", ".join(entry.environments) if entry else ""
    return InputError(str(path), f"not deployed to {', '.join(e.name for e in plan.chosen)}: "
                      f"{plan.config.path if plan.config else ''} templates: {entry.glob.text if entry else ''} "
                      f"maps it to {mapped or 'no environment'}")


def scan_change_set(change_set: ChangeSet, env: Environment, rules: list[Rule],
                    waivers: Sequence[Waiver] = (), today: date | None = None,
                    known_rules: Collection[str] | None = None, declared: Sequence[Environment] = ()) -> ScanReport:
    """Evaluate the template rules on the change set's template, rendered for `env`; rules that compare
    environments see it rendered for the `declared` ones. A waiver of a rule outside `known_rules`
    (default: the ids of `rules`) is an input error."""
    template = change_set.template
    scanned = scan_template(template, rules, [env], peer_documents(declared))
    results = scanned.results
    results, outcome = apply_waivers(results, [*waivers, *inline_waivers(template)], today or date.today(),
                                     known_rules if known_rules is not None else {rule.id for rule in rules})
    notes = [] if change_set.status in (None, "CREATE_COMPLETE") else [
        f"change set {change_set.name} has status {change_set.status}"]
    return ScanReport(results=results, templates=[], errors=outcome.errors(), notes=notes + scanned.notes,
                      waivers=outcome,
                      unknown_types=[u for reached, _ in scanned.templates for u in unknown_types(reached)])


def change_set_environment(change_set: ChangeSet, name: str | None,
                           parameter: str = ENVIRONMENT_PARAMETER) -> Environment:
    """The environment the change set deploys to: `name`, else the value of its `parameter`."""
    name = name or change_set.parameters.get(parameter)
    if not name or name == MASK:
        raise InputError(change_set.template.path, f"no --env given and the change set has no "
                         f"{parameter} parameter value")
    return Environment(name, change_set.region, change_set.account_id, change_set.stack_name,
                       {key: _unmasked(key, value) for key, value in change_set.parameters.items()})


def _unmasked(name: str, value: Any) -> Any:
    """A NoEcho value the change set shows masked is a value the gate cannot know."""
    if value != MASK:
        return value
    return Unknown([Origin("parameter", name, "is NoEcho: the change set shows its value masked")], "string",
                   form={"Ref": name})
