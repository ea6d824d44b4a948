"""Templates with the SAM transform, expanded to the CloudFormation resources they deploy.

The expansion is aws-sam-translator's own (the library CloudFormation's transform is built on), run
offline: managed policy names are turned into their ARNs without asking IAM. Every generated resource
remembers the SAM resource it comes from, so findings point at the SAM resource's lines.
"""
from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from checker.cache import cached_json
from checker.errors import InputError
from checker.template.document_types import Resource, TemplateBody
from checker.template.environment import Environment
from checker.template.load import Template, validate_shape

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
_MARK = "checker:sam-resource"  # metadata key carrying the SAM logical id through the translation


def uses_sam(body: TemplateBody) -> bool:
    transforms = body.get("Transform")
    return SAM_TRANSFORM in (transforms if isinstance(transforms, list) else [transforms])


class _ManagedPolicies:
    """Managed policy name -> ARN, for the translator, without calling IAM."""

    def __init__(self, partition: str) -> None:
        self.partition = partition

    def load(self) -> dict[str, str]:
        return _PolicyArns(self.partition)


class _PolicyArns(dict[str, str]):
    def __init__(self, partition: str) -> None:
        super().__init__()
        self.partition = partition

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and not name.startswith("arn:")

    def get(self, name: Any, default: Any = None) -> Any:
        return self[name] if name in self else default

    def __getitem__(self, name: str) -> str:
        return f"arn:{self.partition}:iam::aws:policy/{name}"


# Where `sam package` would upload local artifacts: code and definitions the transform needs as S3 locations.
_ARTIFACTS = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri",
              "AWS::Serverless::Api": "DefinitionUri", "AWS::Serverless::HttpApi": "DefinitionUri",
              "AWS::Serverless::StateMachine": "DefinitionUri"}
_PLACEHOLDER = "s3://local-artifact/unpackaged"


@lru_cache(maxsize=1)
def _reuse_policy_templates() -> None:
    """The translator validates its bundled policy templates against their schema on every translation
    (40 ms each); they are validated once per process instead."""
    from samtranslator.plugins.policies.policy_templates_plugin import PolicyTemplatesForResourcePlugin
    from samtranslator.policy_template_processor.processor import PolicyTemplatesProcessor
    from samtranslator.translator import translator

    processor = PolicyTemplatesProcessor(PolicyTemplatesProcessor.get_default_policy_templates_json())
    translator.make_policy_template_for_function_plugin = lambda: PolicyTemplatesForResourcePlugin(processor)


def _packaged(resource: Resource) -> str | None:
    """Put a resource in the form `sam package` leaves it; returns a nested application's local template."""
    properties = resource.setdefault("Properties", {})
    if not isinstance(properties, dict):
        return None
    kind = resource["Type"]
    if kind == "AWS::Serverless::Application":
        location = properties.get("Location")
        if isinstance(location, str) and not location.startswith(("s3://", "https://", "http://")):
            properties["Location"] = f"https://{_PLACEHOLDER[5:]}.yaml"
            return location
        return None
    key = _ARTIFACTS.get(kind)
    if not key:
        return None
    local = properties.get(key)
    if kind == "AWS::Serverless::Function":
        if "InlineCode" in properties or "ImageUri" in properties:
            return None
        local = properties.get(key, ".")
    if isinstance(local, str) and not local.startswith("s3://"):
        properties[key] = _PLACEHOLDER
    return None


def expand_for(template: Template, environments: Sequence[Environment]) -> Template:
    """The template expanded for the first Region its environments name."""
    return expand(template, next((e.region for e in environments if e.region), None))


def expand(template: Template, region: str | None) -> Template:
    """The template as CloudFormation deploys it after the SAM transform (unchanged without it).

    Expansions are cached (checker.cache) under the template's content, the Region and the translator's
    version: importing the translator alone costs more than half a second.
    """
    if not uses_sam(template.body):
        return template
    from importlib.metadata import version

    region = region or "us-east-1"
    parts = [json.dumps(template.body, sort_keys=True, default=str), region, version("aws-sam-translator"),
             Path(__file__).read_text(encoding="utf-8")]
    expanded, sources = cached_json("sam", parts, lambda: _translate(template, region))
    return Template(template.path, validate_shape(expanded, template.path), sources, copy.copy(template.body))


def _translate(template: Template, region: str) -> tuple[TemplateBody, dict[str, str]]:
    from samtranslator.metrics.metrics import DummyMetricsPublisher, Metrics
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    from checker.template.partitions import partition_of

    partition = partition_of(region)
    body = json.loads(json.dumps(template.body))  # plain data the translator may change
    local_children = {}
    for logical_id, resource in body["Resources"].items():
        if str(resource.get("Type", "")).startswith("AWS::Serverless::"):
            resource["Metadata"] = {**(resource.get("Metadata") or {}), _MARK: logical_id}
            location = _packaged(resource)
            if location:
                local_children[logical_id] = location
    metrics = Metrics("ServerlessTransform", DummyMetricsPublisher())
    _reuse_policy_templates()
    translator = Translator(None, Parser(), boto_session=SimpleNamespace(region_name=region), metrics=metrics)
    policies = _ManagedPolicies(partition)
    try:
        expanded = translator.translate(body, {"AWS::Region": region, "AWS::Partition": partition},
                                        passthrough_metadata=True, get_managed_policy_map=policies.load)
        metrics.publish()  # to nowhere; unpublished metrics would be complained about on stderr
    except InvalidDocumentException as exc:
        reasons = "; ".join(str(cause) for cause in getattr(exc, "causes", []) or [exc])
        raise InputError(template.path, f"the SAM transform rejects the template: {reasons}") from None
    except Exception as exc:  # the translator raises many kinds; each is a template it cannot expand
        raise InputError(template.path, f"the SAM transform failed: {exc}") from None
    sources = {}
    for logical_id, resource in expanded.get("Resources", {}).items():
        metadata = resource.get("Metadata")
        if isinstance(metadata, dict) and _MARK in metadata:  # the dict is shared by one resource's outputs
            sources[logical_id] = metadata[_MARK]
            kept = {k: v for k, v in metadata.items() if k != _MARK}
            if kept:
                resource["Metadata"] = kept
            else:
                del resource["Metadata"]
    for logical_id, location in local_children.items():
        child = expanded.get("Resources", {}).get(logical_id)
        if isinstance(child, dict) and isinstance(child.get("Properties"), dict):
            child["Properties"]["TemplateURL"] = location  # followed like any nested stack
    expanded.pop("Transform", None)
    return expanded, sources
