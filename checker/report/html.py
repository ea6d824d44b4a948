"""The auditor's report: one self-contained HTML file with inline CSS and script, nothing fetched.

Rendered with Jinja2 from `checker/report/templates/`, autoescaping on: every value from a template, a
rule or AWS is text. The page is complete without JavaScript; the script only filters and sorts.
"""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from checker.engine.results import NOT_APPLICABLE
from checker.fix.report import fixes_of_rule
from checker.report import view


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def compact_json(value: Any) -> str:
    """A value on one line: strings as they are, nothing as a dash, the rest as JSON."""
    if value is None:
        return "—"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def link_target(url: Any) -> str | None:
    """Only https links become links; anything else (a hostile `javascript:` in a saved report) stays text."""
    return url if isinstance(url, str) and url.startswith("https://") else None


def breakable(path: str, separator: str = "/") -> Markup:
    """A path that may wrap after each separator (each part escaped)."""
    return Markup(escape(separator) + Markup("<wbr>")).join(escape(part) for part in path.split(separator))


def diff_lines(diff: str) -> Markup:
    """A unified diff with each line marked as added, removed, hunk header or context (each escaped)."""
    kinds = {"+": "add", "-": "del", "@": "hunk"}
    return Markup("").join(Markup('<span class="{}">{}</span>\n').format(
        "file" if line.startswith(("+++", "---")) else kinds.get(line[:1], "ctx"), line) for line in diff.splitlines())


def dotted(path: Any) -> str:
    """A property path given as a list or a string; a dash when there is none."""
    if path is None:
        return "—"
    return ".".join(map(str, path)) if isinstance(path, list) else str(path)


@lru_cache(maxsize=1)
def template_environment() -> Environment:
    env = Environment(loader=PackageLoader("checker.report", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(pretty=pretty_json, compact=compact_json, dotted=dotted, breakable=breakable,
                       diff_lines=diff_lines)
    env.globals.update(
        location=view.location, resource_label=view.resource_label, status_rank=view.status_rank,
        link_target=link_target, labels=view.STATUS_LABELS, fixes_of_rule=fixes_of_rule,
    )
    return env


def _filter_options(payload: dict) -> dict[str, list[str]]:
    return {
        "status": sorted({r["status"] for r in payload["results"]}, key=view.status_rank),
        "severity": [s for s in view.SEVERITIES if any(r["severity"] == s for r in payload["results"])],
        "control": view.controls(payload),
        "environment": view.environment_names(payload),
        **({"source": view.sources(payload)} if len(view.sources(payload)) > 1 else {}),
    }


def render_html(payload: dict, template: str = "report.html.j2") -> str:
    """The report; `template` may extend report.html.j2 (an organisation's account pages do)."""
    ordered = view.ordered_results(payload)
    return template_environment().get_template(template).render(
        payload=payload,
        title=view.report_title(payload),
        verdict=view.verdict(payload),
        summaries=view.environment_summaries(payload),
        status_columns=view.status_columns(payload),
        matrix=view.control_matrix(payload),
        findings=view.findings(payload),
        checked=[r for r in ordered if r["status"] != NOT_APPLICABLE],
        not_applicable=[r for r in ordered if r["status"] == NOT_APPLICABLE],
        filters=_filter_options(payload),
    )
