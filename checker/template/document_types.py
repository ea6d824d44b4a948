"""The shapes of what a scan passes along: a template as loaded, and the document that rules read.

A document is CloudFormation-shaped, whether rendered from a template for one environment
(checker.template.render) or read back from AWS (checker.live): `Resources` by logical id, `Outputs`, and
`Deployment`, the facts of where it is deployed; a rendered one also holds the template's `Parameters` (each
with the properties that use it) and its own `Rules` section, resolved. Values are JSON-like data and, where
something is only known at deployment, the values of checker.template.values. Properties stay open mappings:
each resource type defines its own.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict

from checker.template.values import Maybe, Unknown
from checker.template.worlds import ConditionSpace

TemplateBody = dict[str, Any]  # a template's sections as written (the parser's LineDicts, which keep lines)
ParameterSpec = Mapping[str, Any]  # a parameter's declaration: Type, Default, AllowedValues, NoEcho...
# A resource: its Type and the attributes the template gives it (Properties, Condition, DependsOn...); a
# rendered one also carries its LogicalId, one read from AWS its PhysicalId, Arn and Live facts.
Resource = dict[str, Any]
AnyDocument = Mapping[str, Any]  # a document as rules read it: rendered, read from AWS, or another environment's


class ParameterUse(TypedDict):
    """A resource property that references a parameter (a rendered document's `Parameters.<Name>.UsedBy`)."""

    Resource: str
    Type: str
    Property: str
    InDynamicReference: NotRequired[bool]  # true when the property uses it only inside a dynamic reference


class RenderedRule(TypedDict):
    """A rule of the template's own Rules section, resolved in one environment."""

    Assertions: list[Any]
    RuleCondition: NotRequired[Any]


class Deployment(TypedDict):
    """The facts under a rendered document's `Deployment` key (one read from AWS holds some, and `Source`)."""

    Environment: str
    Region: str | Unknown
    AccountId: str | Unknown
    Parameters: dict[str, Any]  # each declared parameter's value; Unknown when only known at deployment
    SecretParameters: list[str]  # the NoEcho parameters, whose values every output masks
    Conditions: dict[str, bool | Unknown]
    RuleParams: dict[str, Any]  # the environment's overrides of the rules' params
    RegionsAllowedByTemplateRules: list[str | Maybe]  # a Maybe: a Region accepted depending on unknowns


class Document(dict[str, Any]):
    """A rendered template: the document rules see, and the conditions its environment leaves open.

    Its sections are those of checker.template.document_types: Parameters, Resources, Outputs, Rules and
    Deployment (with AWSTemplateFormatVersion, Description and Transform when the template has them).
    """

    space: ConditionSpace | None = None
