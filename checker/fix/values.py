"""Turn a fix's value (data with `$` forms) into a CloudFormation value for one template.

`$param` becomes a literal, a Mappings lookup or an `Fn::If` (see placement.py); `$key` the stack's
KMS key that suits the resource; `$property`, `$in_environment`, `$sub`, `$alias_of` and `$resource`
build values from what the template already declares. See docs/rules.md ("Fixes").
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from checker.engine.fix_spec import parse_path
from checker.fix.facts import Facts, FixError, level_of
from checker.fix.placement import per_environment
from checker.patch import MISSING, SourceText, dotted
from checker.template.forms import get_att_parts, replace_variables, sub_variables


@dataclass(frozen=True)
class Scope:
    envs: frozenset[str]              # the environments the value is for
    key: str = ""                     # the Mappings key a $param becomes, unless it names one
    item: Any = None                  # the current item of `each` / `$each`
    index: int = 0
    environment: str | None = None    # the current environment of `each_environment`
    base: tuple = ()                  # the path the step works on ($property is read relative to it)


@dataclass
class Context:
    """One fix being applied to one subject of one template."""
    source: SourceText
    facts: Facts
    params_for: Callable[[str], dict]
    subject_path: tuple                         # ("Resources", id), ("Parameters", name) or ()
    subject_type: str | None = None
    renames: dict[str, str] | None = None       # resources the fix adds, renamed around existing ids

    def structural(self, name: str, envs: frozenset[str]) -> Any:
        """A param that shapes the change (a list to repeat over): the same in every environment concerned."""
        values = [self.params_for(env).get(name) for env in sorted(envs)]
        if any(v != values[0] for v in values):
            raise FixError(f"param {name} differs between {', '.join(sorted(envs))}; the change would differ")
        return values[0]


class Resolver:
    def __init__(self, context: Context) -> None:
        self.context = context

    def __call__(self, value: Any, scope: Scope) -> Any:
        return rename(self._resolve(value, scope), self.context.renames or {})

    def _resolve(self, value: Any, scope: Scope) -> Any:
        if isinstance(value, list):  # a $each among the items adds its items in its place
            resolved = []
            for item in value:
                each = isinstance(item, dict) and "$each" in item
                resolved.extend(self._each(item, scope) if each else [self._resolve(item, scope)])
            return resolved
        if not isinstance(value, dict):
            return value
        form = next((k for k in value if isinstance(k, str) and k.startswith("$")), None)
        if form is None:
            return {k: self._resolve(v, scope) for k, v in value.items()}
        return getattr(self, "_" + form[1:])(value, scope)

    def param_values(self, name: str, envs: frozenset[str]) -> dict[str, Any]:
        values = {env: self.context.params_for(env).get(name) for env in sorted(envs)}
        missing = [env for env, v in values.items() if v is None]
        if missing:
            raise FixError(f"param {name} has no value for {', '.join(missing)}")
        return values

    def _param(self, value: dict, scope: Scope) -> Any:
        return self.place(value, self.param_values(value["$param"], scope.envs), scope.key)

    def place(self, value: dict, values: dict[str, Any], key: str = "") -> Any:
        """The expression for a `$param` whose value in each environment is `values`."""
        name, context = value["$param"], self.context
        return per_environment(context.source, context.facts, values, value.get("key") or key or name,
                               context.params_for("default").get(name), value.get("single"))

    def _key(self, value: dict, scope: Scope) -> Any:
        options = value["$key"] if isinstance(value["$key"], dict) else {}
        found = select_key(self.context, options, scope.envs)
        attribute = options.get("attribute", "Arn")
        return {"Ref": found} if attribute == "Ref" else {"Fn::GetAtt": [found, attribute]}

    def _item(self, value: dict, scope: Scope) -> Any:
        field = value["$item"]
        if not isinstance(scope.item, dict) or field not in scope.item:
            raise FixError(f"the items of the fix's list have no {field!r}")
        return scope.item[field]

    def _index(self, value: dict, scope: Scope) -> Any:
        return scope.index + int(value["$index"])

    def _format(self, value: dict, scope: Scope) -> str:
        text = self._resolve(value["$format"], scope)
        fields: dict[str, Any] = {}
        if scope.environment is not None:
            fields = {**self.context.params_for(scope.environment), "environment": scope.environment,
                      "Environment": scope.environment[:1].upper() + scope.environment[1:]}
        subject = self.context.subject_path
        fields.update(index=scope.index, position=scope.index + 1, subject=subject[-1] if subject else "")
        if isinstance(scope.item, dict):
            fields.update(scope.item)
        try:
            return str(text).format_map(fields)
        except (KeyError, IndexError, ValueError) as exc:
            raise FixError(f"cannot fill in {text!r}: {exc}") from None

    def _property(self, value: dict, scope: Scope) -> Any:
        path = scope.base + parse_path(value["$property"])
        found = self.context.source.value(path)
        if found is MISSING:
            raise FixError(f"{dotted(path)} is not set, and the fix builds on it")
        return found

    def _in_environment(self, value: dict, scope: Scope) -> Any:
        environment, inner = (self._resolve(v, scope) for v in value["$in_environment"])
        facts = self.context.facts
        return in_environment(inner, str(facts.env_parameter), level_of(facts, str(environment)))

    def _sub(self, value: dict, scope: Scope) -> Any:
        text, variables = self._resolve(value["$sub"][0], scope), value["$sub"][1]
        return build_sub(str(text), {k: self._resolve(v, scope) for k, v in variables.items()})

    def _alias_of(self, value: dict, scope: Scope) -> Any:
        key = _referenced(self._resolve(value["$alias_of"], scope))
        resources = self.context.source.mapping(("Resources",))
        for resource in resources.values():
            properties = resource.get("Properties") or {}
            if resource.get("Type") == "AWS::KMS::Alias" and _referenced(properties.get("TargetKeyId")) == key:
                return properties.get("AliasName")
        raise FixError(f"the key {key} has no AWS::KMS::Alias in the template to name it in other Regions by")

    def _resource(self, value: dict, scope: Scope) -> Any:
        kind = value["$resource"]
        facts = self.context.facts
        found = [i for i, r in self.context.source.mapping(("Resources",)).items() if r.get("Type") == kind
                 and set(scope.envs) <= set(facts.exists_in(("Resources", i)))]
        if len(found) != 1:
            raise FixError(f"the fix needs the one {kind} of the template; found {len(found)}")
        return {"Fn::GetAtt": [found[0], value["attribute"]]} if value.get("attribute") else {"Ref": found[0]}

    def _environment_is(self, value: dict, scope: Scope) -> Any:
        facts = self.context.facts
        if scope.environment is None or facts.env_parameter is None:
            raise FixError("no parameter of the template tells the environments apart")
        return {"Fn::Equals": [{"Ref": facts.env_parameter}, facts.env_values[scope.environment]]}

    def _each(self, value: dict, scope: Scope) -> list:
        items = self.context.structural(value["$each"], scope.envs)
        if not isinstance(items, list):
            raise FixError(f"param {value['$each']} must be a list")
        return [self._resolve(value["value"], replace(scope, item=item, index=index))
                for index, item in enumerate(items)]


def _referenced(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("Ref"), str):
        return value["Ref"]
    if isinstance(value, dict) and isinstance(value.get("Fn::GetAtt"), list) and value["Fn::GetAtt"]:
        return get_att_parts(value["Fn::GetAtt"])[0]
    return None


def in_environment(value: Any, parameter: str, level: str) -> Any:
    """`value` as it reads where `parameter` is `level` (Ref and ${parameter} replaced by the value)."""
    if value == {"Ref": parameter}:
        return level
    if isinstance(value, list):
        return [in_environment(v, parameter, level) for v in value]
    if isinstance(value, dict):
        if isinstance(value.get("Fn::Sub"), str):
            text = value["Fn::Sub"].replace("${" + parameter + "}", level)
            return {"Fn::Sub": text} if sub_variables(text) else text.replace("${!", "${")
        return {k: in_environment(v, parameter, level) for k, v in value.items()}
    return value


def build_sub(text: str, variables: dict[str, Any]) -> Any:
    """`Fn::Sub` of `text`, with the variables that are text, Sub strings or references written inline."""
    kept = {}
    for name, value in variables.items():
        if isinstance(value, (str, int, float)) and "${" not in str(value):
            inline = str(value)
        elif isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
            inline = value["Fn::Sub"]
        elif isinstance(value, dict) and isinstance(value.get("Ref"), str):
            inline = "${" + value["Ref"] + "}"
        else:
            kept[name] = value
            continue
        text = text.replace("${" + name + "}", inline)
    return {"Fn::Sub": [text, kept] if kept else text}


def rename(value: Any, renames: dict[str, str]) -> Any:
    """References to the resources in `renames` (Ref, Fn::GetAtt, Fn::Sub, DependsOn) under their new ids."""
    if not renames or not isinstance(value, (dict, list)):
        return value
    if isinstance(value, list):
        return [rename(v, renames) for v in value]

    def swap(name: str) -> str:
        head, dot, tail = name.partition(".")
        return renames.get(head, head) + dot + tail

    result = {}
    for key, item in value.items():
        if key in ("Ref", "DependsOn") and isinstance(item, str):
            item = renames.get(item, item)
        elif key == "DependsOn" and isinstance(item, list):
            item = [renames.get(i, i) if isinstance(i, str) else i for i in item]
        elif key == "Fn::GetAtt" and isinstance(item, list) and item and isinstance(item[0], str):
            item = [renames.get(item[0], item[0]), *rename(item[1:], renames)]
        elif key == "Fn::Sub" and isinstance(item, str):
            item = replace_variables(item, swap)
        elif key == "Fn::Sub" and isinstance(item, list) and item and isinstance(item[0], str):
            item = [replace_variables(item[0], swap), *rename(item[1:], renames)]
        else:
            item = rename(item, renames)
        result[key] = item
    return result


def select_key(context: Context, options: dict, envs: frozenset[str]) -> str:
    """The customer managed symmetric KMS key of the template that suits the subject (see `$key`)."""
    resources = context.source.mapping(("Resources",))
    candidates = []
    for logical_id, resource in resources.items():
        properties = resource.get("Properties") or {}
        if resource.get("Type") != "AWS::KMS::Key" or properties.get("KeySpec", "SYMMETRIC_DEFAULT") != \
                "SYMMETRIC_DEFAULT" or properties.get("KeyUsage", "ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT":
            continue
        if set(envs) <= set(context.facts.exists_in(("Resources", logical_id))):
            candidates.append(logical_id)
    service = options.get("service")
    if service:
        candidates = [c for c in candidates if _allows_service(resources[c], service)]
    if not candidates:
        wanted = f" whose key policy lets {service}* use it" if service else ""
        raise FixError(f"the template has no customer managed KMS key{wanted}")
    hint = options.get("hint")
    preferred = [c for c in candidates if hint and hint in json.dumps(resources[c].get("Properties"))]
    used = [c for c in candidates if any(
        r.get("Type") == context.subject_type and c in json.dumps(r.get("Properties")) for r in resources.values())]
    for group in (preferred, used, candidates):
        if len(group) == 1:
            return group[0]
    raise FixError(f"several KMS keys could serve ({', '.join(candidates)}); set the key yourself")


def _allows_service(key: dict, service: str) -> bool:
    policy = (key.get("Properties") or {}).get("KeyPolicy") or {}
    statements = policy.get("Statement") if isinstance(policy, dict) else None
    for statement in statements if isinstance(statements, list) else []:
        principal = statement.get("Principal") if isinstance(statement, dict) else None
        if not isinstance(principal, dict) or statement.get("Effect") != "Allow":
            continue
        names = principal.get("Service")
        for name in names if isinstance(names, list) else [names]:
            text = name.get("Fn::Sub") if isinstance(name, dict) else name
            if isinstance(text, str) and text.startswith(service):
                return True
    return False
