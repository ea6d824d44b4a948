"""Nested stacks: the child templates an AWS::CloudFormation::Stack names by a local path, as the inputs of
`aws cloudformation package` do, with the parameter values the parent passes them."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.template.document_types import AnyDocument
from checker.template.environment import Environment
from checker.template.values import Maybe, Origin, Unknown, contains_special, display

STACK = "AWS::CloudFormation::Stack"
_REMOTE = ("https://", "http://", "s3://")


@dataclass(frozen=True)
class Child:
    logical_id: str
    path: Path | None  # the child's template file, None when it is not a local file
    url: Any  # TemplateURL as rendered


def children(document: AnyDocument, parent_path: str) -> list[Child]:
    """The nested stacks of a rendered document, each with its local template file when it has one."""
    found = []
    for logical_id, resource in (document.get("Resources") or {}).items():
        if resource.get("Type") != STACK:
            continue
        properties = resource.get("Properties")
        url = properties.get("TemplateURL") if isinstance(properties, Mapping) else None
        local = isinstance(url, str) and bool(url) and not url.startswith(_REMOTE)
        path = _local_file(parent_path, str(url)) if local else None
        found.append(Child(logical_id, path, url))
    return found


def _local_file(parent_path: str, url: str) -> Path:
    """A child's template file, named as its parent is: relative to the working directory when the parent's
    path is relative (as a scan names the files it finds), so that a file scanned both on its own and through
    its stack is one file to the report."""
    path = (Path(parent_path).parent / url).resolve()
    if Path(parent_path).is_absolute():
        return path
    try:
        return Path(os.path.relpath(path))
    except ValueError:  # on another drive
        return path


def child_environment(env: Environment, document: AnyDocument, child: Child) -> Environment:
    """The environment a child is rendered in: the parent's, with the parameter values the parent passes.

    A value the parent only knows at deployment (a reference to one of its resources, an output of another
    stack) is unknown in the child, saying where it comes from.
    """
    properties = document["Resources"][child.logical_id].get("Properties") or {}
    given = properties.get("Parameters") if isinstance(properties, Mapping) else None
    parameters: dict[str, Any] = {}
    for name, value in (given.items() if isinstance(given, Mapping) else ()):
        if isinstance(value, Unknown):
            parameters[name] = value
        elif contains_special(value):
            origin = Origin("parameter", str(name), f"is passed by the parent stack as {display(value)}")
            parameters[name] = Unknown([origin], form={"Ref": name})
        elif isinstance(value, (int, float, bool)):
            parameters[name] = str(value).lower() if isinstance(value, bool) else value
        else:
            parameters[name] = value
    return Environment(env.name, env.region, env.account_id, None, parameters, env.rule_params)


def regions_admitted(own: list[str | Maybe], parent: list[str | Maybe]) -> list[str | Maybe]:
    """The Regions a nested stack can be created in: those its own template Rules admit and its parent's do
    (CloudFormation evaluates the parent's Rules before it creates the parent's resources, the child included).
    A Region either side only may admit stays a `Maybe`."""
    admitted: list[str | Maybe] = []
    parents = {(p.value if isinstance(p, Maybe) else p): p for p in parent}
    for region in own:
        name = region.value if isinstance(region, Maybe) else region
        if name not in parents:
            continue
        doubts = [r.origins for r in (region, parents[name]) if isinstance(r, Maybe)]
        admitted.append(Maybe(name, frozenset().union(*doubts)) if doubts else name)
    return admitted
