"""What the configuration says about an organisation's stacks: their environment and their template.

The `organization` section of checker.yaml:

    organization:
      environments:                  # the first entry that matches a stack names its environment
        - {account: "111111111111", environment: prod}
        - {region: us-west-2, environment: dev}
        - {stack: "payments-*", tag: Environment}        # the value of the stack's Environment tag
        - {tag: "Tier=pci", environment: prod}
      templates:                     # the repository template a stack is checked against
        - {stack: "payments-*", template: templates/payment-stack.yaml}

An entry matches when all its keys do: `account` and `region` (a value or a list), `stack` (a name
pattern with * and ?), `tag` ("Key" present, or "Key=Value"). A stack no entry matches is in the
environment named after its account; a stack no template entry matches is checked against the template it
was deployed with (GetTemplate).
"""
from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.errors import InputError
from checker.template.load import load_template, parse, read_text

_MATCH_KEYS = {"account", "region", "stack", "tag"}


@dataclass(frozen=True)
class Match:
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    stack: str | None = None
    tag: tuple[str, str | None] | None = None  # (key, value or None for "present")

    def matches(self, account: str, region: str, stack: str | None, tags: Mapping[str, str]) -> bool:
        if self.accounts and account not in self.accounts or self.regions and region not in self.regions:
            return False
        if self.stack is not None and (stack is None or not fnmatch.fnmatchcase(stack, self.stack)):
            return False
        if self.tag is not None:
            key, value = self.tag
            return key in tags and (value is None or tags[key] == value)
        return True


@dataclass(frozen=True)
class Assignment:
    match: Match
    environment: str | None  # None: the value of the matched tag


@dataclass(frozen=True)
class TemplateFile:
    match: Match
    path: str
    text: str  # read by the driver: workers elsewhere have no checkout


@dataclass(frozen=True)
class Organization:
    environments: tuple[Assignment, ...] = ()
    templates: tuple[TemplateFile, ...] = ()

    def environment(self, account: str, region: str, stack: str | None = None,
                    tags: Mapping[str, str] | None = None) -> str:
        tags = tags or {}
        for entry in self.environments:
            if entry.match.matches(account, region, stack, tags):
                if entry.environment:
                    return entry.environment
                assert entry.match.tag is not None
                return tags[entry.match.tag[0]]
        return account

    def template(self, account: str, region: str, stack: str, tags: Mapping[str, str]) -> TemplateFile | None:
        return next((t for t in self.templates if t.match.matches(account, region, stack, tags)), None)


@dataclass
class _Reader:
    source: str
    base: Path

    def fail(self, where: str, message: str) -> InputError:
        return InputError(self.source, f"organization.{where}: {message}")

    def match(self, entry: Any, where: str, extra: set[str]) -> Match:
        if not isinstance(entry, dict):
            raise self.fail(where, "must be a mapping")
        unknown = set(entry) - _MATCH_KEYS - extra
        if unknown:
            raise self.fail(where, f"unknown keys: {', '.join(sorted(unknown))} (match on "
                            f"{', '.join(sorted(_MATCH_KEYS))})")
        tag = entry.get("tag")
        if tag is not None and (not isinstance(tag, str) or not tag.split("=", 1)[0]):
            raise self.fail(where, "tag must be 'Key' or 'Key=Value'")
        key, sep, value = str(tag).partition("=") if tag is not None else ("", "", "")
        stack = entry.get("stack")
        if stack is not None and not isinstance(stack, str):
            raise self.fail(where, "stack must be a name pattern")
        return Match(self.names(entry.get("account"), where, "account"), self.names(entry.get("region"), where,
                     "region"), stack, (key, value if sep else None) if tag is not None else None)

    def names(self, value: Any, where: str, key: str) -> tuple[str, ...]:
        if value is None:
            return ()
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str) and v for v in values):
            raise self.fail(where, f"{key} must be text or a list of text (quote account ids)")
        return tuple(values)


def load_organization(config: str | Path | None) -> Organization:
    """The `organization` section of the configuration file (an empty one when there is none)."""
    if config is None:
        return Organization()
    path = Path(config)
    source = str(path)
    data = parse(read_text(path), source)
    section = data.get("organization") if isinstance(data, dict) else None
    if section is None:
        return Organization()
    reader = _Reader(source, path.parent)
    if not isinstance(section, dict) or set(section) - {"environments", "templates"}:
        raise reader.fail("", "holds 'environments' and 'templates' lists")
    assignments = []
    for index, entry in enumerate(_entries(section, "environments", reader)):
        where = f"environments #{index + 1}"
        match = reader.match(entry, where, {"environment"})
        name = entry.get("environment")
        if name is None and (match.tag is None or match.tag[1] is not None):
            raise reader.fail(where, "name the environment, or match a tag by its key alone to use its value")
        if name is not None and not (isinstance(name, str) and name):
            raise reader.fail(where, "environment must be a name")
        assignments.append(Assignment(match, name))
    templates = []
    for index, entry in enumerate(_entries(section, "templates", reader)):
        where = f"templates #{index + 1}"
        match = reader.match(entry, where, {"template"})
        if not isinstance(entry.get("template"), str):
            raise reader.fail(where, "template must be the path of a template file")
        file = reader.base / entry["template"]
        load_template(file)  # a template that cannot be read is bad input now, not an error in every stack
        templates.append(TemplateFile(match, str(file), read_text(file)))
    return Organization(tuple(assignments), tuple(templates))


def _entries(section: dict, key: str, reader: _Reader) -> list:
    entries = section.get(key) or []
    if not isinstance(entries, list):
        raise reader.fail(key, "must be a list")
    return entries
