"""What an organisation scan covers: accounts (from a file or AWS Organizations), Regions, stacks.

The unit of work is one stack in one account and Region (StackTarget); a RegionTarget is the discovery of
an account's stacks in one Region. Both are plain data, sent to the workers that scan them.
"""
from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.errors import InputError
from checker.live.runner import CallFailed, Runner
from checker.template.load import read_text

ACCOUNT_ID = re.compile(r"\d{12}")
# Stacks that hold no resources to check: deleted, created for a change set never executed, or whose
# creation failed and was rolled back (such a stack can only be deleted).
SKIPPED_STATUSES = frozenset({"DELETE_COMPLETE", "REVIEW_IN_PROGRESS", "ROLLBACK_COMPLETE"})
ORGANIZATIONS_REGION = "us-east-1"  # the Organizations API of the aws partition answers there


@dataclass(frozen=True)
class Account:
    id: str
    name: str | None = None


@dataclass(frozen=True)
class RegionTarget:
    account: str
    region: str

    @property
    def label(self) -> str:
        return f"{self.account}/{self.region}"


@dataclass(frozen=True)
class StackTarget:
    """A stack found in an account and Region, with what DescribeStacks said of it."""

    account: str
    region: str
    stack: str
    environment: str
    stack_id: str | None = None
    status: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.account, self.region, self.stack)

    @property
    def label(self) -> str:
        return f"{self.account}/{self.region}/{self.stack}"


def read_accounts_file(path: str) -> list[Account]:
    """One 12-digit account id per line; blank lines and text after '#' are ignored."""
    accounts: dict[str, Account] = {}
    for number, line in enumerate(read_text(Path(path)).splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        if not ACCOUNT_ID.fullmatch(text):
            raise InputError(path, f"expected a 12-digit account id, not {text!r}", number)
        accounts.setdefault(text, Account(text))
    if not accounts:
        raise InputError(path, "holds no account id: nothing would be scanned")
    return list(accounts.values())


def organization_accounts(runner: Runner, units: Sequence[str] = (), tags: Mapping[str, str] | None = None,
                          skipped: list[str] | None = None) -> list[Account]:
    """The organisation's active accounts (all, or those under the organizational units `units`), with every
    tag of `tags`. Accounts that are not active are named in `skipped`."""
    def call(operation: str, params: dict) -> dict:
        try:
            return runner.call("organizations", ORGANIZATIONS_REGION, operation, params, paginate=True)
        except CallFailed as exc:
            raise InputError("organizations", f"cannot list the organisation's accounts: {exc}") from None

    if units:
        listed = [a for unit in units for a in _accounts_under(unit, call)]
    else:
        listed = call("ListAccounts", {}).get("Accounts", [])
    accounts: dict[str, Account] = {}
    for entry in listed:
        state = entry.get("State") or entry.get("Status")
        if state not in (None, "ACTIVE"):
            if skipped is not None:
                skipped.append(f"account {entry['Id']} ({entry.get('Name')}) is {state}: not scanned")
            continue
        if tags and not _tagged(entry["Id"], tags, call):
            continue
        accounts.setdefault(entry["Id"], Account(entry["Id"], entry.get("Name")))
    if not accounts:
        raise InputError("organizations", "no active account matches: nothing would be scanned")
    return list(accounts.values())


def _accounts_under(unit: str, call: Any) -> list[dict]:
    found = list(call("ListAccountsForParent", {"ParentId": unit}).get("Accounts", []))
    children = call("ListOrganizationalUnitsForParent", {"ParentId": unit}).get("OrganizationalUnits", [])
    for child in children:
        found += _accounts_under(child["Id"], call)
    return found


def _tagged(account: str, tags: Mapping[str, str], call: Any) -> bool:
    present = {t["Key"]: t["Value"] for t in call("ListTagsForResource", {"ResourceId": account}).get("Tags", [])}
    return all(present.get(key) == value for key, value in tags.items())


def wanted(stack: Mapping[str, Any], patterns: Sequence[str]) -> bool:
    """A stack (DescribeStacks entry) to scan: not deleted, and named by a pattern (all, without patterns)."""
    if stack.get("StackStatus") in SKIPPED_STATUSES:
        return False
    return not patterns or any(fnmatch.fnmatchcase(stack["StackName"], p) for p in patterns)


def parameters_of(stack: Mapping[str, Any]) -> dict[str, Any]:
    return {p["ParameterKey"]: p.get("ResolvedValue", p.get("ParameterValue")) for p in stack.get("Parameters", [])}


def tags_of(stack: Mapping[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in stack.get("Tags", []) or []}
