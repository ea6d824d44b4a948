"""What crosses between the driver and the workers: the scan's settings, the rule pack, and outcomes.

Everything here is plain data. Rules travel as the text of their files and are compiled once per worker
process; a worker that compiles them into another pack (another checker version) refuses to scan.
"""
from __future__ import annotations

import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.engine.results import ERROR, Result
from checker.engine.rules import Rule, load_rules
from checker.org.assign import Organization
from checker.org.limits import BUDGETS
from checker.org.targets import RegionTarget, StackTarget
from checker.template.environment import Environment

SOURCE = "live"


@dataclass(frozen=True)
class RulePack:
    files: tuple[tuple[str, bytes], ...]  # (name, content), in the order the driver loaded them
    version: str  # the driver's rule_pack_version of them
    selected: tuple[str, ...] | None = None  # the ids of the rules that run (--only-rule, --skip-rule); None: all


def pack_rules(directories: list[Path], version: str, selected: tuple[str, ...] | None = None) -> RulePack:
    """The rule files `load_rules(directories)` reads, named so that their order is kept."""
    files = []
    for index, directory in enumerate(directories):
        for position, path in enumerate(sorted(Path(directory).glob("*.y*ml"))):
            files.append((f"{index:02d}-{position:04d}-{path.name}", path.read_bytes()))
    return RulePack(tuple(files), version, selected)


_compiled: dict[str, list[Rule]] = {}
_compiling = threading.Lock()


def unpack_rules(pack: RulePack) -> list[Rule]:
    """The selected rules of `pack`, compiled once per process."""
    from checker.report.payload import rule_pack_version

    with _compiling:
        if pack.version not in _compiled:
            with tempfile.TemporaryDirectory(prefix="checker-rules-") as directory:
                for name, content in pack.files:
                    (Path(directory) / name).write_bytes(content)
                rules = load_rules([Path(directory)])
            if rule_pack_version(rules) != pack.version:
                raise RuntimeError(f"this worker compiles the rule pack as {rule_pack_version(rules)}, the driver "
                                   f"as {pack.version}: install the driver's checker version on the workers")
            _compiled[pack.version] = rules
        rules = _compiled[pack.version]
    return rules if pack.selected is None else [r for r in rules if r.id in pack.selected]


@dataclass(frozen=True)
class OrgSpec:
    """How every task of one organisation scan reaches AWS and what it checks."""

    run: str  # this run's id: what workers keep for it (sessions, clients, paces) is its own
    role_name: str
    rules: RulePack
    organization: Organization = Organization()
    declared: tuple[Environment, ...] = ()  # the configuration's environments (rule params, comparisons)
    stack_patterns: tuple[str, ...] = ()
    external_id: str | None = None
    session_name: str = "checker-org"
    duration_s: int = 3600
    profile: str | None = None
    endpoint_url: str | None = None
    max_attempts: int = 5
    read_timeout: float = 10.0
    deadline_at: float | None = None  # wall-clock time (time.time()) after which no call starts
    calls_per_task: int = 8
    concurrency: int = 4  # tasks of one account at once, organisation-wide
    budgets: Mapping[str, tuple[float, float]] = field(default_factory=lambda: dict(BUDGETS))


@dataclass(frozen=True)
class RegionOutcome:
    target: RegionTarget
    stacks: tuple[StackTarget, ...] = ()
    failure: str | None = None
    api_calls: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class StackOutcome:
    target: StackTarget
    results: tuple[Result, ...] = ()
    live: Mapping[str, Any] | None = None  # the stack's live summary (LiveScan.summary())
    failure: str | None = None  # why the stack was not scanned
    seconds: float = 0.0


def not_scanned(rules: list[Rule], account: str, region: str, stack: str | None, environment: str,
                cause: str) -> tuple[Result, ...]:
    """ERROR for every live rule of the environment: nothing of this target could be checked."""
    where = f"account {account} {region}" + (f" stack {stack}" if stack else "")
    return tuple(Result(rule.id, rule.control, rule.severity, ERROR, environment, SOURCE, None, None, None, None,
                        f"{where} was not scanned: {cause}", None, account=account, region=region, stack=stack)
                 for rule in rules if SOURCE in rule.sources and rule.applies_in(environment))
