"""The organisation's HTML report: a summary page, and one page per account in a folder beside it.

The summary opens with the accounts x controls matrix (worst account first, each linking to its page) and
the targets that were not scanned. An account's page is the auditor's report of that account's results
(checker/report/templates/report.html.j2) with its stacks listed: at 10,000 stacks no page holds more than
one account. Written as a whole: the folder is built beside the old one and swapped in, then the summary.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.engine.results import ERROR, FAIL, PASS, SEVERITY_ORDER, UNCHECKED
from checker.report import view, write_atomic


@dataclass(frozen=True)
class AccountRow:
    id: str
    name: str | None
    page: str  # relative link to its page
    status: str | None
    cells: list[view.Cell]
    stacks: int
    failed: int
    unchecked: int
    not_scanned: int


def folder_of(path: Path) -> Path:
    """The folder of the account pages of the summary at `path`."""
    return path.with_name(f"{path.stem}-accounts")


def account_rows(payload: dict, folder: str) -> list[AccountRow]:
    """One row per account, worst first: worst status, then most failures and unchecked results."""
    org = payload["org"]
    controls = view.controls(payload)
    tallies: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for account in org["accounts"]:
        tallies[account["id"]] = defaultdict(Counter)
    for result in payload["results"]:
        tallies[result["account"]][result["control"]][result["status"]] += 1
    names = {a["id"]: a.get("name") for a in org["accounts"]}
    stacks = Counter(s["account"] for s in org["stacks"])
    missing = Counter(entry["account"] for entry in org["not_scanned"])
    rows = []
    for account, by_control in tallies.items():
        total = sum(by_control.values(), Counter())
        cells = [view.Cell(view.worst(by_control.get(c, Counter())), by_control.get(c, Counter())) for c in controls]
        rows.append(AccountRow(account, names.get(account), f"{folder}/{account}.html", view.worst(total), cells,
                               stacks[account], total[FAIL], sum(total[s] for s in UNCHECKED), missing[account]))
    return sorted(rows, key=lambda r: (view.status_rank(r.status) if r.status else len(view.WORST_FIRST),
                                       -r.failed, -r.unchecked, r.id))


def headline(payload: dict) -> tuple[str, str]:
    """The organisation's verdict and one sentence of counts."""
    total = Counter(r["status"] for r in payload["results"])
    severities = Counter(r["severity"] for r in payload["results"] if r["status"] == FAIL)
    unchecked = sum(total[s] for s in UNCHECKED)
    status = FAIL if total[FAIL] else ERROR if unchecked else PASS
    detail = ", ".join(f"{severities[s]} {s}" for s in sorted(severities, key=lambda s: -SEVERITY_ORDER.get(s, 0)))
    org = payload["org"]
    return status, (f"{total[FAIL]} failed" + (f" ({detail})" if detail else "") + f", {unchecked} could not be "
                    f"checked, {total[PASS]} passed in {org['stacks_scanned']} stacks of {len(org['accounts'])} "
                    f"accounts and {len(org['regions'])} Regions; {len(org['not_scanned'])} targets not scanned")


def account_payload(payload: dict, account: str, results: list[dict], summary: str) -> dict[str, Any]:
    """The payload of one account's page: its results, stacks (worst first) and live notes; `summary` is the
    file name of the summary page."""
    environments = list(dict.fromkeys(r["environment"] for r in results))
    org = payload["org"]
    stacks = [s for s in org["stacks"] if s["account"] == account]
    live = {key: ([e for e in value if e.get("account") == account] if isinstance(value, list) else value)
            for key, value in (payload.get("live") or {}).items()}
    live.update(resources=sum(s.get("resources", 0) for s in stacks),
                api_calls_total=sum(s.get("api_calls", 0) for s in stacks),
                wall_time_s=round(sum(s["seconds"] for s in stacks), 3))
    # The gate's decision is the organisation's: it is on the summary page.
    return {**payload, "results": results, "live": live, "gate": None, "baseline": None,
            "environments": [{"name": name} for name in environments],
            "org": {**org, "account": account, "summary": summary, "stacks": sorted(stacks, key=_worst_first),
                    "not_scanned": [e for e in org["not_scanned"] if e["account"] == account]}}


def _worst_first(stack: dict) -> tuple[int, str]:
    return (view.status_rank(stack["status"]) if stack["status"] else len(view.WORST_FIRST), stack["stack"])


def render_pages(payload: dict, folder: str, summary_name: str) -> tuple[str, dict[str, str]]:
    """The summary page and each account's page (file name -> text)."""
    from checker.report.html import render_html, template_environment

    by_account: dict[str, list[dict]] = {a["id"]: [] for a in payload["org"]["accounts"]}
    for result in payload["results"]:
        by_account.setdefault(result["account"], []).append(result)
    rows = account_rows(payload, folder)
    summary = template_environment().get_template("org.html.j2").render(
        payload=payload, verdict=headline(payload), rows=rows, controls=view.controls(payload))
    pages = {f"{account}.html": render_html(account_payload(payload, account, results, summary_name),
                                                 "account.html.j2")
             for account, results in by_account.items()}
    return summary, pages


def write_pages(payload: dict, path: str | Path) -> None:
    path = Path(path)
    folder = folder_of(path)
    summary, pages = render_pages(payload, folder.name, path.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=path.parent))
    try:
        for name, text in pages.items():
            (building / name).write_text(text, encoding="utf-8")
        os.chmod(building, 0o777 & ~_umask())
        old = None
        if folder.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old.", dir=path.parent))
            os.replace(folder, old / folder.name)
        os.replace(building, folder)
        if old:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    write_atomic(path, summary)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
