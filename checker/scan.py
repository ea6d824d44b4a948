"""Template scans: find templates, render each for every environment, evaluate the rules."""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from checker.config import Environment
from checker.errors import InputError
from checker.evaluate import evaluate
from checker.load import TEMPLATE_SUFFIXES, NotATemplate, Template, load_template
from checker.render import render
from checker.results import Result
from checker.rules import Rule, known_resource_types
from checker.waivers import WAIVER_FILE, Waiver, WaiverOutcome, apply_waivers, template_waivers

_SAM_TRANSFORM = "AWS::Serverless-2016-10-31"


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


def discover(paths: list[str | Path]) -> tuple[list[Path], list[InputError]]:
    """Template candidates under `paths` (files as given, directories walked), and missing paths."""
    found: list[Path] = []
    missing: list[InputError] = []
    for given in map(Path, paths):
        if given.is_dir():
            for root, dirs, files in os.walk(given):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found += [Path(root, f) for f in sorted(files)
                          if f.lower().endswith(TEMPLATE_SUFFIXES) and f != WAIVER_FILE]
        elif given.is_file():
            found.append(given)
        else:
            missing.append(InputError(str(given), "no such file or directory"))
    return found, missing


def unknown_types(template: Template) -> list[UnknownType]:
    """AWS resource types CloudFormation does not know (typos, or Serverless types without the transform)."""
    transforms = template.body.get("Transform")
    transforms = transforms if isinstance(transforms, list) else [transforms]
    known = known_resource_types()
    unknown = []
    for logical_id, resource in template.body["Resources"].items():
        kind = resource["Type"]
        if kind.startswith("AWS::Serverless::") and _SAM_TRANSFORM in transforms:
            continue
        if kind.startswith(("AWS::", "Alexa::")) and kind not in known:
            unknown.append(UnknownType(template.path, template.line_of("Resources", logical_id), logical_id, kind))
    return unknown


def scan_template(template: Template, rules: list[Rule], environments: list[Environment]) -> list[Result]:
    results: list[Result] = []
    for env in environments:
        document = render(template, env)
        results += evaluate(rules, document, env.name, "template", template.path, template.line_of)
    return results


def scan(paths: list[str | Path], rules: list[Rule], environments: list[Environment], *,
         waivers: Sequence[Waiver] = (), today: date | None = None, skip_non_templates: bool = False,
         progress: Callable[[int, int, str], None] | None = None) -> ScanReport:
    """Scan files and directories. Bad templates are collected as errors; the others still run.

    A file given by name that is not a template is an error (skipped with `skip_non_templates`); in a
    directory walk it is skipped. Waivers (`waivers`, inline ones, and waiver files beside the templates)
    are applied as of `today`; `progress(done, total, path)` is called before each file.
    """
    report = ScanReport()
    candidates, report.errors = discover(paths)
    explicit = {Path(p) for p in paths if Path(p).is_file()} if not skip_non_templates else set()
    found_waivers = list(waivers)
    beside: dict[Path, list[Waiver]] = {}
    for index, path in enumerate(candidates):
        if progress:
            progress(index, len(candidates), str(path))
        try:
            template = load_template(path)
            results = scan_template(template, rules, environments)
            found_waivers += template_waivers(template, beside)
        except NotATemplate as exc:
            (report.errors if path in explicit else report.skipped).append(exc)
            continue
        except InputError as exc:
            report.errors.append(exc)
            continue
        report.templates.append(template.path)
        report.results += results
        report.unknown_types += unknown_types(template)
        if "Transform" in template.body:
            report.notes.append(f"{template.path}: uses Transform {template.body['Transform']}; "
                                "macros are not expanded, rules see the template as written")
    report.results, report.waivers = apply_waivers(report.results, found_waivers, today or date.today(),
                                                   {rule.id for rule in rules})
    if not report.templates and not report.errors and not skip_non_templates:
        report.errors.append(InputError(", ".join(map(str, paths)),
                                        "no CloudFormation template found; nothing was checked"))
    return report
