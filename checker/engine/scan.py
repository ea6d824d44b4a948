"""One template through render and evaluate, in each environment it deploys to, nested stacks included."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from checker.engine.context import Peers
from checker.engine.evaluate import evaluate, shared_verdicts
from checker.engine.results import NOT_APPLICABLE, Result
from checker.engine.rules import Rule, known_resource_types
from checker.errors import InputError
from checker.template.document_types import AnyDocument, Deployment, Document, TemplateBody
from checker.template.environment import Environment
from checker.template.load import Template, load_template
from checker.template.nested import Child, child_environment, children, regions_admitted
from checker.template.render import render
from checker.template.sam import expand_for
from checker.template.values import Maybe, display

_MAX_NESTING = 8
# Where a whole-template finding is decided, for evidence read from the rendered document's Deployment.
_DEPLOYMENT_SOURCES = {"Parameters": "Parameters", "RegionsAllowedByTemplateRules": "Rules"}


@dataclass(frozen=True)
class UnknownType:
    file: str
    line: int | None
    resource: str
    resource_type: str


def transforms_of(body: TemplateBody) -> list[Any]:
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
               parent_regions: list[str | Maybe] | None = None) -> None:
    template = expand_for(template, environments)
    scanned.templates.append((template, prefix))
    others = peers(template) if peers else None
    loaded: dict[Path, Template] = {}
    verdicts = shared_verdicts(environments)
    for env in environments:
        document = render(template, env)
        deployment: Deployment = document["Deployment"]
        if parent_regions is not None:  # a nested stack deploys only where its parent may
            deployment = {**deployment, "RegionsAllowedByTemplateRules": regions_admitted(
                deployment["RegionsAllowedByTemplateRules"], parent_regions)}
            nested = Document({**document, "Deployment": deployment})
            nested.space, document = document.space, nested
        results = evaluate(rules, document, env.name, "template", template.path, template.line_of, others, verdicts)
        scanned.results += [replace(r, resource=f"{prefix}{r.resource}" if r.resource else prefix.rstrip("/") or None)
                            for r in results] if prefix else results
        for child in children(document, template.path):
            if child.path is None:
                note = (f"{template.path}: nested stack {prefix}{child.logical_id} has TemplateURL "
                        f"{display(child.url)!r}, not a local file: its template is not checked")
                if note not in scanned.notes:
                    scanned.notes.append(note)
                continue
            if child.path.resolve() in chain or len(chain) >= _MAX_NESTING:
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
        rendered: dict[str, Document] = {}

        def document(name: str) -> AnyDocument | None:
            if name not in by_name:
                return None
            if name not in rendered:
                rendered[name] = render(template, by_name[name])
            return rendered[name]
        return document
    return for_template


def decided_at(template: Template, result: Result) -> int | None:
    """The line of the section or parameter a whole-template finding read, from its evidence."""
    for label in result.evidence or {}:
        keys = str(label).split(".")
        if keys[0] == "Deployment":
            section = _DEPLOYMENT_SOURCES.get(keys[1]) if len(keys) > 1 else None
            keys = [section, *keys[2:]] if section else []
        line = template.line_of(*keys) if keys else None
        if line:
            return line
    return None


def located(scanned: Scanned) -> list[Result]:
    """The results, with whole-template findings at the line of what decided them where that is known."""
    by_path = {template.path: template for template, _ in scanned.templates}
    return [replace(r, line=decided_at(by_path[r.file], r)) if r.resource is None and r.line is None
            and r.status != NOT_APPLICABLE and r.file in by_path else r for r in scanned.results]
