"""Load and validate rule files. A bad rule file is rejected before anything runs."""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, TypedDict

from checker.cache import cached_json
from checker.engine.expressions import Expression, ExpressionError, arity_problem, remember_trees
from checker.engine.fix_spec import FixSpec, ParamsByEnvironment, ParamValues, param_scopes, parse_fix
from checker.errors import InputError
from checker.template import load, yaml_events
from checker.template.document_types import Resource, TemplateBody
from checker.template.load import parse, read_text
from checker.template.regions import region_problem

SEVERITIES = ("critical", "high", "medium", "low")
SOURCES = ("template", "live")
TEMPLATE_TARGET = "template"
PARAMETER_TARGET = "parameter"  # each declared parameter, with its Name and the properties that use it
PARAMETER_TYPE = "Parameter"  # the resource_type of a parameter's result

_REQUIRED = ("id", "title", "control", "severity", "target", "sources", "assert", "remediation", "references", "tests")
_OPTIONAL = ("when", "environments", "params", "rationale", "compliance", "fix")
_CASE_KEYS = {"name", "environment", "region", "resource", "template", "subject", "parameters", "expect",
              "decided_by", "peers", "rule_params"}
_ID = re.compile(r"[A-Z][A-Z0-9]*(-[A-Z0-9]+)+")
_TYPE = re.compile(r"[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+")
_PACKAGE = Path(__file__).resolve().parent.parent  # checker/: its bundled pack and data
# A case's environment and Region when no rule file declares case_environments.
CASE_ENVIRONMENT, CASE_REGION = "default", "us-east-1"


@dataclass(frozen=True)
class Control:
    """A requirement of the policy that rules check, declared by the rule pack (`controls:` in a rule file)."""

    id: str
    title: str
    description: str
    order: int = 0  # declaration order across the loaded files


@dataclass(frozen=True)
class Assertion:
    expression: Expression
    message: str


@dataclass(frozen=True)
class RuleCase:
    name: str
    expect: str
    environment: str = CASE_ENVIRONMENT  # by default the first of the pack's case_environments
    region: str | None = None  # by default the case environment's, from the pack's case_environments
    resource: Resource | None = None
    template: TemplateBody | None = None
    subject: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    decided_by: tuple[int, ...] | None = None  # FAIL or ERROR: the assertions (numbered from 1, 0: when) deciding it
    # Other environments the case renders: name -> parameter values.
    peers: dict[str, dict[str, Any]] = field(default_factory=dict)
    rule_params: ParamValues = field(default_factory=dict)  # the configuration's overrides of the rule's params
    regions: Mapping[str, str] = field(default_factory=dict)  # the Region of each environment the case renders


class RuleMetadata(TypedDict):
    """What reports show about a rule (`rules` of the JSON report)."""

    id: str
    title: str
    control: str
    control_title: str
    severity: str
    target: str
    sources: list[str]
    rationale: str
    remediation: str
    references: list[str]
    compliance: dict[str, list[str]]
    file: str


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    control: str
    severity: str
    target: str
    sources: tuple[str, ...]
    assertions: tuple[Assertion, ...]
    remediation: str
    references: tuple[str, ...]
    cases: tuple[RuleCase, ...]
    file: str
    when: Expression | None = None
    environments: tuple[str, ...] | None = None
    params: ParamsByEnvironment = field(default_factory=dict)
    rationale: str = ""
    compliance: dict[str, list[str]] = field(default_factory=dict)  # framework -> its requirement ids
    control_info: Control | None = None
    fix: FixSpec | None = None  # the template change that makes a failure pass (None: not declared)

    def params_for(self, environment: str) -> ParamValues:
        return {**self.params.get("default", {}), **self.params.get(environment, {})}

    def applies_in(self, environment: str) -> bool:
        return self.environments is None or environment in self.environments

    def metadata(self) -> RuleMetadata:
        """What reports show about the rule."""
        return {
            "id": self.id, "title": self.title, "control": self.control,
            "control_title": self.control_info.title if self.control_info else self.control, "severity": self.severity,
            "target": self.target, "sources": list(self.sources), "rationale": self.rationale,
            "remediation": self.remediation, "references": list(self.references),
            "compliance": self.compliance, "file": self.file,
        }


def bundled_rule_dirs() -> list[Path]:
    """The rule pack shipped with the package (or the repository's rules/ in a source checkout)."""
    package = _PACKAGE
    for candidate in (package / "pack", package.parent / "rules"):
        if candidate.is_dir():
            return [candidate]
    return []


def load_rules(directories: list[Path]) -> list[Rule]:
    """Every rule in the YAML files of `directories`; ids must be unique across them."""
    files: list[Path] = []
    for directory in directories:
        if not Path(directory).is_dir():
            raise InputError(str(directory), "rule directory does not exist")
        files += sorted(Path(directory).glob("*.y*ml"))
    if not files:
        raise InputError(", ".join(map(str, directories)) or "rules", "no rules found; nothing would be checked")
    return _load_files(files)


def _parsed(path: Path) -> Any:
    """A rule file's data (test cases may use !Ref and friends), cached as JSON under its content."""
    source = str(path)
    data = path.read_bytes()
    engine = [Path(module.__file__ or "").read_bytes() for module in (load, yaml_events)]
    return cached_json("rule-file", [data, *engine], lambda: json.loads(json.dumps(parse(read_text(path), source))))


def _expression_texts(data: Any) -> Iterator[str]:
    """The `when`, `expr` and `evidence` texts of a rule file's rules."""
    for rule in data.get("rules") or [] if isinstance(data, dict) else []:
        if not isinstance(rule, dict):
            continue
        for item in [rule, *(a for a in rule.get("assert") or [] if isinstance(a, dict))]:
            yield from (text for key in ("when", "expr", "evidence") if isinstance(text := item.get(key), str))


def _load_files(files: list[Path]) -> list[Rule]:
    """Rules of the files, whose controls are those the files declare and the bundled pack's."""
    parsed = [(str(path), _parsed(path)) for path in files]
    remember_trees([text for _, data in parsed for text in _expression_texts(data)])
    declared: dict[str, Control] = {}
    for source, data in parsed:
        _check_shape(data, source)
        for control in _controls(data.get("controls"), source, len(declared)):
            if control.id in declared:
                raise InputError(source, f"control {control.id}: already declared")
            declared[control.id] = control
    controls = _Controls(declared)
    environments = {name: region for source, data in parsed
                    for name, region in _case_environments(data.get("case_environments"), source).items()}
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for source, data in parsed:
        for rule in _with_case_environments(_rules(data, source, controls), environments):
            if rule.id in seen:
                raise InputError(source, f"rule {rule.id}: id already defined in {seen[rule.id]}")
            seen[rule.id] = source
            rules.append(rule)
    if not rules:
        raise InputError(str(files[0].parent), "no rules found; nothing would be checked")
    return rules


def load_rule_file(path: Path) -> list[Rule]:
    source = str(path)
    return rules_from(parse(read_text(path), source), source)


def rules_from(data: Any, source: str, controls: Mapping[str, Control] | None = None) -> list[Rule]:
    """The rules of one parsed rule file, validated; controls are its own and `controls` (by default the
    bundled pack's)."""
    _check_shape(data, source)
    known = dict(controls if controls is not None else bundled_controls())
    known.update({c.id: c for c in _controls(data.get("controls"), source, len(known))})
    return _with_case_environments(_rules(data, source, known),
                                   _case_environments(data.get("case_environments"), source))


def _check_shape(data: Any, source: str) -> None:
    if not isinstance(data, dict) or not data or set(data) - {"rules", "controls", "case_environments"} \
            or not isinstance(data.get("rules", []), list) or not isinstance(data.get("controls", []), list):
        raise InputError(source, "a rule file holds 'rules' (a list of rules), 'controls' (a list of controls) "
                                 "and/or 'case_environments' (the environments of its test cases)")


def _case_environments(entries: Any, source: str) -> dict[str, str]:
    """The environments rule cases render in, with their Regions (`case_environments:` of a rule file)."""
    if entries is None:
        return {}
    if not isinstance(entries, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in entries.items()):
        raise InputError(source, "case_environments maps environment names to their Regions")
    for name, region in entries.items():
        problem = region_problem(region)
        if problem:
            raise InputError(source, f"case_environments: {name}: {problem}")
    return dict(entries)


def _with_case_environments(rules: list[Rule], declared: Mapping[str, str]) -> list[Rule]:
    """Rules whose cases name their environment and Region: a case without an environment takes the first
    the rule files declare (else the bundled pack's), and each environment its declared Region."""
    regions = dict(declared) or bundled_case_environments()
    default = next(iter(regions), CASE_ENVIRONMENT)
    return [replace(rule, cases=tuple(
        replace(case, environment=case.environment or default,
                region=case.region or regions.get(case.environment or default, CASE_REGION), regions=regions)
        for case in rule.cases)) for rule in rules]


@lru_cache(maxsize=1)
def bundled_case_environments() -> dict[str, str]:
    """The environments the bundled pack's cases render in."""
    found: dict[str, str] = {}
    for source, data in _bundled_files():
        found.update(_case_environments(data.get("case_environments"), source))
    return found


def _bundled_files() -> Iterator[tuple[str, dict[str, Any]]]:
    """Each file of the bundled pack, parsed."""
    for directory in bundled_rule_dirs():
        for path in sorted(directory.glob("*.y*ml")):
            data = _parsed(path)
            if isinstance(data, dict):
                yield str(path), data


def _rules(data: dict[str, Any], source: str, controls: Mapping[str, Control]) -> list[Rule]:
    return [_rule(entry, index, source, controls) for index, entry in enumerate(data.get("rules") or [])]


def _controls(entries: Any, source: str, first: int) -> list[Control]:
    found = []
    for index, entry in enumerate(entries or []):
        if not isinstance(entry, dict) or set(entry) != {"id", "title", "description"} \
                or not all(isinstance(v, str) and v.strip() for v in entry.values()):
            raise InputError(source, f"control #{index + 1}: needs exactly id, title and description, as text")
        if not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", entry["id"]):
            raise InputError(source, f"control {entry['id']}: id must be lower-case words joined by dashes")
        found.append(Control(entry["id"], entry["title"].strip(), " ".join(entry["description"].split()),
                             first + index))
    return found


class _Controls(dict[str, Control]):
    """Controls declared by the loaded files; the bundled pack's (after them) for ids they do not declare."""

    def __missing__(self, key: str) -> Control:
        bundled = bundled_controls().get(key)
        if bundled is None:
            raise KeyError(key)
        return replace(bundled, order=bundled.order + 1000)

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in bundled_controls()

    def __iter__(self) -> Iterator[str]:
        return iter({**bundled_controls(), **self})


@lru_cache(maxsize=1)
def bundled_controls() -> dict[str, Control]:
    """The controls the bundled rule pack declares."""
    controls: dict[str, Control] = {}
    for source, data in _bundled_files():
        controls.update({c.id: c for c in _controls(data.get("controls"), source, len(controls))})
    return controls


def controls_of(rules: list[Rule]) -> list[Control]:
    """The controls the rules check, in declaration order."""
    found = {rule.control_info.id: rule.control_info for rule in rules if rule.control_info}
    return sorted(found.values(), key=lambda c: c.order)


def _rule(entry: Any, index: int, source: str, controls: Mapping[str, Control]) -> Rule:
    rule_id = entry.get("id") if isinstance(entry, dict) else None
    label = f"rule {rule_id}" if isinstance(rule_id, str) else f"rule #{index + 1}"

    def fail(message: str) -> InputError:
        return InputError(source, f"{label}: {message}")

    if not isinstance(entry, dict):
        raise fail("must be a mapping")
    missing = [key for key in _REQUIRED if key not in entry]
    unknown = sorted(set(entry) - set(_REQUIRED) - set(_OPTIONAL))
    if missing or unknown:
        raise fail(f"missing {', '.join(missing)}" if missing else f"unknown keys {', '.join(unknown)}")
    texts = [key for key in ("title", "remediation", "rationale", "when")
             if key in entry and not isinstance(entry[key], str)]
    if texts:
        raise fail(f"{texts[0]} must be text")
    if not isinstance(rule_id, str) or not _ID.fullmatch(rule_id):
        raise fail("id must be upper-case words joined by dashes, e.g. PAY-S3-REPL-001")
    if entry["control"] not in controls:
        raise fail(f"unknown control {entry['control']!r} (declared: {', '.join(controls) or 'none'})")
    if entry["severity"] not in SEVERITIES:
        raise fail(f"severity must be one of {', '.join(SEVERITIES)}")
    target = entry["target"]
    if target not in (TEMPLATE_TARGET, PARAMETER_TARGET) and not (isinstance(target, str) and _TYPE.fullmatch(target)):
        raise fail("target must be a resource type (e.g. AWS::S3::Bucket), 'parameter' or 'template'")
    if target.startswith("AWS::") and target not in known_resource_types():
        raise fail(f"target {target} is not a CloudFormation resource type")
    sources = entry["sources"]
    if not isinstance(sources, list) or not sources or set(sources) - set(SOURCES):
        raise fail("sources must be a non-empty list of 'template' and/or 'live'")
    environments = entry.get("environments")
    if environments is not None and not (
            isinstance(environments, list) and all(isinstance(e, str) for e in environments)):
        raise fail("environments must be a list of environment names")
    params = entry.get("params") or {}
    if not isinstance(params, dict) or not all(isinstance(v, dict) for v in params.values()):
        raise fail("params must map environment names (or 'default') to mappings of values")
    scopes = _param_scopes(params, environments)
    try:
        when = Expression(entry["when"]) if entry.get("when") else None
        assertions = tuple(_assertion(item, scopes) for item in _as_list(entry["assert"], fail))
        for expression in ([when] if when else []) + [a.expression for a in assertions]:
            _check_calls(expression, scopes)
        fix = parse_fix(entry["fix"], params, environments) if "fix" in entry else None
        if fix is not None:
            for expression in fix.expressions():
                _check_calls(expression, param_scopes([params, fix.params], environments))
    except (ExpressionError, ValueError) as exc:
        raise fail(str(exc)) from None
    cases = tuple(_case(item, fail) for item in _as_list(entry["tests"], fail))
    declared = {name for values in params.values() for name in values}
    for case in cases:
        if case.expect in ("FAIL", "ERROR") and case.decided_by is None and len(assertions) > 1:
            raise fail(f"test case {case.name!r}: a {case.expect} case of a rule with several assertions pins the "
                       "ones that decide it with decided_by")
        if set(case.rule_params) - declared:
            raise fail(f"test case {case.name!r}: rule_params sets "
                       f"{', '.join(sorted(set(case.rule_params) - declared))}, which the rule does not declare")
    references = entry["references"]
    if not isinstance(references, list) or not all(isinstance(r, str) and r.startswith("https://") for r in references):
        raise fail("references must be a list of https URLs")
    compliance = entry.get("compliance") or {}
    if not isinstance(compliance, dict) or set(compliance) - {"pci_dss", "security_hub"}:
        raise fail("compliance may only list pci_dss and security_hub identifiers")
    return Rule(
        id=rule_id, title=entry["title"], control=entry["control"], severity=entry["severity"],
        target=target, sources=tuple(sources), assertions=assertions, remediation=entry["remediation"],
        references=tuple(references), cases=cases, file=source, when=when,
        environments=tuple(environments) if environments is not None else None, params=params,
        rationale=entry.get("rationale", "").strip(),
        compliance={k: [str(i) for i in v] for k, v in compliance.items()},
        control_info=controls[entry["control"]], fix=fix,
    )


def _as_list(value: Any, fail: Callable[[str], InputError]) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise fail("assert and tests must be non-empty lists")
    return value


def _param_scopes(params: ParamsByEnvironment, environments: list[str] | None) -> list[ParamValues]:
    """The parameter values each environment the rule can run in would see."""
    named = [e for e in params if e != "default"]
    envs = environments if environments is not None else named + ["default"]
    return [{**params.get("default", {}), **params.get(env, {})} for env in envs] or [params.get("default", {})]


def _assertion(item: Any, scopes: list[ParamValues]) -> Assertion:
    if isinstance(item, str):
        item = {"expr": item}
    if not isinstance(item, dict) or "expr" not in item or set(item) - {"expr", "message", "evidence"}:
        raise ValueError("each assert needs 'expr' (and may have 'message', 'evidence')")
    if not all(isinstance(item.get(key, ""), str) for key in ("expr", "message", "evidence")):
        raise ValueError("expr, message and evidence must be text")
    # Messages are filled with str.format_map: the expression standing in for a missing message is
    # shown with its braces (a multiselect hash, a JSON literal) as written.
    message = item.get("message") or "expected: " + item["expr"].replace("{", "{{").replace("}", "}}")
    for scope in scopes:
        try:
            message.format_map(scope)
        except KeyError as exc:
            raise ValueError(f"message field {exc} is not a param of every environment") from None
        except (IndexError, ValueError) as exc:
            raise ValueError(f"message {message!r} has a brace that is not a param field ({exc}); "
                             "write a literal brace twice: {{ or }}") from None
    return Assertion(Expression(item["expr"], item.get("evidence")), message)


def _check_calls(expression: Expression, scopes: list[ParamValues]) -> None:
    for name, args in expression.called_functions():
        problem = arity_problem(name, len(args))
        if problem:
            raise ValueError(f"{problem} in {expression.text!r}")
        if name == "param":
            if not isinstance(args[0], str):
                raise ValueError(f"param() needs a literal name in {expression.text!r}")
            if any(args[0] not in scope for scope in scopes):
                raise ValueError(f"param({args[0]!r}) is not defined for every environment")


def _case(item: Any, fail: Callable[[str], InputError]) -> RuleCase:
    if not isinstance(item, dict) or set(item) - _CASE_KEYS:
        raise fail(f"test case keys must be among {', '.join(sorted(_CASE_KEYS))}")
    name = str(item.get("name", "unnamed case"))
    if item.get("expect") not in ("PASS", "FAIL", "NOT_APPLICABLE", "ERROR"):
        raise fail(f"test case {name!r}: expect must be PASS, FAIL, NOT_APPLICABLE or ERROR")
    if ("resource" in item) == ("template" in item):
        raise fail(f"test case {name!r}: give either a resource or a template")
    if not isinstance(item.get("resource", item.get("template")), dict):
        raise fail(f"test case {name!r}: the resource or template must be a mapping")
    decided_by = item.get("decided_by")
    if decided_by is not None:
        if item["expect"] not in ("FAIL", "ERROR") or not isinstance(decided_by, list) or not decided_by \
                or not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n for n in decided_by):
            raise fail(f"test case {name!r}: decided_by lists the numbers of the assertions (from 1; 0 for when) "
                       "that decide a FAIL or ERROR")
    peers = item.get("peers") or {}
    if not isinstance(peers, dict) or not all(isinstance(v, dict) for v in peers.values()):
        raise fail(f"test case {name!r}: peers maps environment names to their parameter values")
    rule_params = item.get("rule_params") or {}
    if not isinstance(rule_params, dict):
        raise fail(f"test case {name!r}: rule_params maps param names to values, as an environment's rule_params")
    return RuleCase(
        peers={str(k): dict(v) for k, v in peers.items()}, rule_params={str(k): v for k, v in rule_params.items()},
        name=name, expect=item["expect"], environment=str(item.get("environment", "")),
        region=item.get("region"), resource=item.get("resource"), template=item.get("template"),
        subject=item.get("subject"), parameters=dict(item.get("parameters") or {}),
        decided_by=tuple(decided_by) if decided_by is not None else None,
    )


@lru_cache(maxsize=1)
def known_resource_types() -> frozenset[str]:
    """Resource type names CloudFormation documents (AWS:: and Alexa:: namespaces)."""
    text = (_PACKAGE / "data" / "resource_types.txt").read_text(encoding="utf-8")
    return frozenset(text.split())
