"""A Markdown summary short enough for a pull-request comment or a CI step summary."""
from __future__ import annotations

import re
from collections import Counter

from checker.fix.report import markdown_lines
from checker.report import view

MAX_FINDINGS = 20
MAX_MESSAGE = 160
_HEADLINES = {"FAIL": "Compliance check failed", "ERROR": "Compliance check incomplete",
              "PASS": "Compliance check passed"}
# Inline markup only: every escaped value sits inside a line this module starts (text or a table cell).
_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def escape(value: object) -> str:
    """Untrusted text as literal Markdown on one line: no HTML, links, emphasis or table breaks."""
    text = " ".join(str(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _SPECIAL.sub(r"\\\1", text)


def code(value: object) -> str:
    """Untrusted text as an inline code span (outside tables: a pipe there would still split a cell)."""
    return "`" + " ".join(str(value).replace("`", "'").split()) + "`"


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE - 1].rstrip() + "…"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _counts_table(payload: dict) -> list[str]:
    columns = view.status_columns(payload)
    lines = [_row(["Environment", *(view.STATUS_LABELS[s] for s in columns)]),
             _row(["---", *("---:" for _ in columns)])]
    for summary in view.environment_summaries(payload):
        lines.append(_row([escape(summary.name), *(str(summary.total[s]) for s in columns)]))
    return lines


def _findings(payload: dict) -> list[str]:
    attention = view.attention(payload)
    if not attention:
        return []
    shown = attention[:MAX_FINDINGS]
    title = f"Failures and errors ({len(attention)})" if len(shown) == len(attention) else \
        f"Failures and errors (first {len(shown)} of {len(attention)})"
    marked = any(r.get("baseline_state") for r in shown)
    lines = ["", f"#### {title}", "",
             _row(["Status", "Severity", "Environment", "Rule", "Resource", "Location", "Message"]
                  + (["Baseline"] if marked else [])),
             _row(["---"] * (8 if marked else 7))]
    for r in shown:
        location = view.location(r)
        lines.append(_row([r["status"], r["severity"], escape(f"{r['environment']}/{r['source']}"),
                           escape(r["rule_id"]), escape(view.resource_label(r)),
                           escape(location) if location else "", escape(_shorten(r["message"]))]
                          + ([r.get("baseline_state") or ""] if marked else [])))
    if len(attention) > len(shown):
        lines += ["", f"…and {len(attention) - len(shown)} more; the HTML and SARIF reports list them all."]
    return lines


def _extras(payload: dict) -> list[str]:
    notes = []
    if payload.get("input_errors"):
        notes.append(f"**{len(payload['input_errors'])} input error(s):** "
                     + "; ".join(escape(e) for e in payload["input_errors"][:5]))
    if payload.get("drift"):
        notes.append(f"**Drift:** {len(payload['drift'])} difference(s) between template and deployment.")
    for kind, entries in (payload.get("waivers") or {}).items():
        if entries:
            notes.append(f"**{escape(kind.replace('_', ' ').capitalize())} waivers:** {len(entries)}")
    return ["", *(f"- {note}" for note in notes)] if notes else []


def _templates(payload: dict) -> list[str]:
    """Several templates: their list, folded away below the findings."""
    templates = payload.get("templates", [])
    if len(templates) < 2:
        return []
    rows = [_row([escape(t["path"]), code(t.get("sha256") or "unreadable")]) for t in templates]
    return ["", f"<details><summary>{len(templates)} templates</summary>", "",
            _row(["Template", "SHA-256"]), _row(["---", "---"]), *rows, "", "</details>"]


def _baseline_marks(payload: dict) -> str:
    states = Counter(r.get("baseline_state") for r in payload["results"] if r.get("baseline_state"))
    return f" Baseline: {states['new']} new, {states['known']} known." if states else ""


def render_markdown(payload: dict) -> str:
    status, sentence = view.verdict(payload)
    lines = [f"### {_HEADLINES[status]}", "",
             f"{sentence}. {code(view.report_title(payload))}; rule pack {code(payload['rule_pack']['version'])}, "
             f"generated {escape(payload['generated_at'])}.{_baseline_marks(payload)}", "",
             *_counts_table(payload), *_findings(payload), *markdown_lines(payload, code, escape), *_extras(payload),
             *_templates(payload)]
    return "\n".join(lines) + "\n"
