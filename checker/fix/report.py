"""Fixes in reports: what the JSON payload holds about them, and how each format shows them.

`fixes`: one entry per failing rule and subject, its patch made alone on the template (SARIF `fixes`,
the HTML report). `patches`: per template, every fix together as `checker fix` makes them (the
Markdown summary, pull-request suggestions).
"""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from checker.engine.results import FAIL, Result
from checker.engine.rules import Rule
from checker.errors import InputError
from checker.fix.diff import hunks, unified_diff
from checker.fix.facts import FixError
from checker.fix.plan import FIXED, FixOutcome, fix_alone_and_together
from checker.patch import PatchError, SourceText
from checker.template.environment import Environment
from checker.template.load import decode, read_bytes

MAX_COMMENT = 60_000  # characters; GitHub refuses review comments longer than 65,536
# Failing rules and subjects in one template beyond which a report offers no fixes: each edit re-reads the
# whole template to prove it, so the cost grows with the failures times the template's size. `checker fix`
# still makes them all.
REPORT_LIMIT = 40


def read_source(path: str | Path) -> SourceText:
    """A template's text as it is on disk (a byte-order mark kept), ready to patch."""
    data = read_bytes(Path(path))
    text = decode(data, str(path))
    return SourceText(("\ufeff" if data.startswith(b"\xef\xbb\xbf") else "") + text, str(path))


def _entry(path: str, outcome: FixOutcome) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "file": path, "rule_id": outcome.rule_id, "resource": outcome.resource,
        "environments": outcome.environments, "status": outcome.status, "reason": outcome.reason,
        "note": outcome.note, "notes": outcome.notes,
    }
    if outcome.status == FIXED:
        entry["diff"] = unified_diff(outcome.before, outcome.after, path)
        entry["hunks"] = [h.to_dict() for h in hunks(outcome.before, outcome.after)]
    return entry


def fix_payload(results: list[Result], rules: list[Rule],
                environments: list[Environment] | Callable[[str], list[Environment]]) -> dict[str, list]:
    """The `fixes` and `patches` for the template failures among `results` (waived ones are left alone; a
    template that cannot be patched has none). `environments` may depend on the template's path."""
    fixes: list[dict] = []
    patches: list[dict] = []
    failing = {(r.file, r.rule_id, r.resource, r.environment) for r in results
               if r.status == FAIL and r.source == "template" and r.file}
    if not any(rule.fix is not None and rule.fix.offered for rule in rules):
        return {"fixes": fixes, "patches": patches}
    for path in sorted({file for file, *_ in failing}):
        def wanted(rule_id: str, resource: str | None, env: str, path: str = path) -> bool:
            return (path, rule_id, resource, env) in failing

        subjects = {(rule_id, resource) for file, rule_id, resource, _ in failing if file == path}
        if len(subjects) > REPORT_LIMIT:
            patches.append({"file": path, "rules": [], "diff": "", "hunks": [], "suggestions": [], "notes": [
                f"{len(subjects)} failing rules and resources: too many to make and verify in a report; "
                f"checker fix {path} makes them"]})
            continue

        deployed = environments(path) if callable(environments) else environments
        try:
            alone, together = fix_alone_and_together(read_source(path), rules, deployed, wanted)
        except (InputError, PatchError, FixError, ValueError):
            continue
        entries = [_entry(path, outcome) for outcome in alone.outcomes]
        fixes += entries
        if together.changed:
            fixed = [o for o in together.outcomes if o.status == FIXED]
            rules_fixed = sorted({o.rule_id for o in fixed})
            changes = [h.to_dict() for h in hunks(together.original, together.fixed)]
            patches.append({
                "file": path, "rules": rules_fixed, "diff": unified_diff(together.original, together.fixed, path),
                "hunks": changes, "notes": [n for o in fixed for n in ([o.note] if o.note else []) + o.notes],
                "suggestions": _suggested(path, together.original.splitlines(keepends=True), changes, entries,
                                          rules_fixed),
            })
    return {"fixes": fixes, "patches": patches}


def fix_for(payload: dict, result: dict) -> dict | None:
    """The fix entry that covers a result (same file, rule, resource and one of its environments)."""
    for entry in payload.get("fixes") or []:
        if (entry.get("file"), entry.get("rule_id"), entry.get("resource")) == \
                (result.get("file"), result.get("rule_id"), result.get("resource")) \
                and result.get("environment") in entry.get("environments", []) and result.get("source") == "template":
            return entry
    return None


def fixes_of_rule(payload: dict, rule_id: str) -> list[dict]:
    return [e for e in payload.get("fixes") or [] if e.get("rule_id") == rule_id]


def sarif_fixes(entry: dict | None, location: dict) -> list[dict]:
    """SARIF `fixes` of a result: one fix whose replacements are the patch's hunks."""
    if not entry or entry.get("status") != FIXED:
        return []
    replacements = [{"deletedRegion": {"charOffset": h["char_offset"], "charLength": h["char_length"]},
                     **({"insertedContent": {"text": h["added"]}} if h["added"] else {})} for h in entry["hunks"]]
    text = f"Fix {entry['rule_id']} for {entry.get('resource') or 'the template'} " \
           f"({', '.join(entry['environments'])})" + (f". {entry['note']}" if entry.get("note") else "")
    return [{"description": {"text": text},
             "artifactChanges": [{"artifactLocation": location, "replacements": replacements}]}]


def fence(text: str) -> str:
    """A Markdown code fence longer than any run of backticks in `text`."""
    longest, run = 0, 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return "`" * max(3, longest + 1)


def _span(hunk: dict) -> tuple[int, int]:
    """The original lines a hunk touches; an insertion touches the lines around it."""
    start, end = hunk["start_line"], hunk["end_line"]
    return (start - 1, start) if end < start else (start, end)


def _coalesced(hunks: list[dict], lines: list[str], gap: int = 2) -> list[dict]:
    """Hunks separated by at most `gap` unchanged lines, merged (the unchanged lines go into both sides)."""
    merged: list[dict] = []
    for hunk in hunks:
        last = merged[-1] if merged else None
        if last is not None and hunk["start_line"] - max(last["end_line"], last["start_line"] - 1) - 1 <= gap:
            between = "".join(lines[max(last["end_line"], last["start_line"] - 1):hunk["start_line"] - 1])
            last.update(end_line=max(last["end_line"], hunk["end_line"], hunk["start_line"] - 1),
                        removed=last["removed"] + between + hunk["removed"],
                        added=last["added"] + between + hunk["added"])
        else:
            merged.append(dict(hunk))
    return merged


def _credited(entries: list[dict], hunk: dict, fallback: list[str]) -> list[str]:
    """The rules whose own patch touches the lines of `hunk` (all of the template's fixed rules if none)."""
    low, high = _span(hunk)
    rules = sorted({e["rule_id"] for e in entries if e.get("status") == FIXED
                    and any(_span(h)[0] <= high and low <= _span(h)[1] for h in e.get("hunks", []))})
    return rules or fallback


def _suggested(path: str, lines: list[str], changes: list[dict], entries: list[dict], rules: list[str]) -> list[dict]:
    """GitHub "suggested changes" for a template's whole patch, one per group of nearby changed lines
    (`line`, and `start_line` for several, in the unchanged file). A pure insertion is suggested on the
    line above it: that line, then the new ones."""
    suggested = []
    for hunk in _coalesced(changes, lines):
        added = hunk["added"]
        start, end = hunk["start_line"], hunk["end_line"]
        if end < start:  # insertion: anchor on a neighbouring line and repeat it
            if start > 1:
                start = end = start - 1
                added = lines[start - 1] + added
            else:
                end = start
                added = added + (lines[0] if lines else "")
        marks = fence(added)
        credited = ", ".join(_credited(entries, hunk, rules))
        body = (f"**checker**: fixes {credited}. Verified with the other suggestions on this file in every "
                f"environment; `checker fix {path} --write` applies them all.\n\n"
                f"{marks}suggestion\n{added}{'' if added.endswith(chr(10)) or not added else chr(10)}{marks}\n")
        if len(body) > MAX_COMMENT:
            body = f"**checker**: fixes {credited} here with a change too long for a suggestion; " \
                   f"run `checker fix {path} --write`.\n"
        suggested.append({"line": end, "body": body, **({"start_line": start} if start != end else {})})
    return suggested


def suggestions(payload: dict, relative: Any) -> list[dict]:
    """Review comments for the GitHub pull-request API; `relative(file)` gives the path in the repository."""
    return [{"path": relative(patch["file"]), "side": "RIGHT", **suggestion,
             **({"start_side": "RIGHT"} if "start_line" in suggestion else {})}
            for patch in payload.get("patches") or [] for suggestion in patch.get("suggestions", [])]


def repository_path(file: str) -> str:
    """`file` relative to the working directory (the repository root in CI), with forward slashes."""
    path = Path(file)
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix() if path.is_absolute() else path.as_posix()
    except ValueError:
        return path.as_posix()


def render_suggestions(payload: dict) -> str:
    """The `suggestions` report: review comments for the GitHub pull-request API, as JSON."""
    return json.dumps(suggestions(payload, repository_path), indent=2) + "\n"


def markdown_lines(payload: dict, code: Any, escape: Any, max_lines: int = 150) -> list[str]:
    """The Markdown summary's "Suggested fixes": each template's whole patch, and what has no fix."""
    lines: list[str] = []
    for patch in payload.get("patches") or []:
        diff = patch["diff"].splitlines()
        if diff:
            shown = "\n".join(diff[:max_lines]) + ("\n…" if len(diff) > max_lines else "")
            marks = fence(shown)
            lines += ["", f"**{code(patch['file'])}**: `checker fix {escape(patch['file'])} --write` fixes "
                          f"{', '.join(code(r) for r in patch['rules'])}", "", f"{marks}diff", shown, marks]
        else:  # a template with too many failures for a report to patch
            lines += ["", f"**{code(patch['file'])}**:"]
        lines += [f"- {escape(note)}" for note in dict.fromkeys(patch.get("notes") or [])]
    unfixed = [e for e in payload.get("fixes") or [] if e.get("status") != FIXED]
    if unfixed:
        lines += ["", f"No fix offered for {len(unfixed)} failure(s):"]
        lines += [f"- {code(e['rule_id'])} {escape(e.get('resource') or '(template)')}: {escape(e['reason'])}"
                  for e in unfixed[:10]]
    return ["", "#### Suggested fixes", *lines] if lines else []
