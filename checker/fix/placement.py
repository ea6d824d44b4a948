"""Express what differs by environment the way the template already does.

A value that differs by environment becomes a key of the template's Mappings (looked up with the
parameter that tells environments apart), or `Fn::If` on an existing condition; a change for some
environments only goes under a condition that holds exactly there (an existing one, or a new one).
"""
from __future__ import annotations

from typing import Any

from checker.fix.facts import Facts, FixError
from checker.patch import MISSING, SourceText

NO_VALUE = {"Ref": "AWS::NoValue"}
# Where a new top-level section goes: before the first of these that the template has.
SECTION_ORDER = ("AWSTemplateFormatVersion", "Description", "Metadata", "Transform", "Parameters", "Rules",
                 "Mappings", "Conditions", "Resources", "Outputs")


def add_section_entry(source: SourceText, section: str, name: str, value: Any) -> None:
    """Add `name: value` to a top-level section, creating the section in the usual order."""
    if source.value((section,)) is MISSING or not isinstance(source.value((section,)), dict):
        later = SECTION_ORDER[SECTION_ORDER.index(section) + 1:]
        before = next((s for s in later if source.value((s,)) is not MISSING), None)
        source.insert((), section, {name: value}, before=before, blank_line=before is not None)
    else:
        source.insert((section,), name, value)


def _environment_mapping(source: SourceText, levels: set[str]) -> str | None:
    """The Mappings entry whose top-level keys include every environment's parameter value."""
    mappings = source.value(("Mappings",))
    if not isinstance(mappings, dict):
        return None
    return next((name for name, mapping in mappings.items()
                 if isinstance(mapping, dict) and levels <= set(map(str, mapping))), None)


def mapping_key(source: SourceText, facts: Facts, values: dict[str, Any], key: str, fallback: Any) -> dict:
    """`Fn::FindInMap` of a mapping keyed by the environment parameter, with `key` added to it."""
    parameter = facts.env_parameter
    if parameter is None:
        raise FixError("the value differs by environment, but no parameter of the template tells the "
                       "environments apart")
    by_level = {str(facts.env_values[env]): value for env, value in values.items()}
    chosen = _environment_mapping(source, set(by_level))
    if chosen is None:
        mappings = source.value(("Mappings",))
        chosen = "EnvironmentSettings" if isinstance(mappings, dict) and "EnvironmentConfig" in mappings \
            else "EnvironmentConfig"
        add_section_entry(source, "Mappings", chosen, {level: {key: value} for level, value in by_level.items()})
        return {"Fn::FindInMap": [chosen, {"Ref": parameter}, key]}
    mapping = source.value(("Mappings", chosen))
    wanted = {str(level): by_level.get(str(level), fallback) for level in mapping}
    present = {str(level): entries.get(key, MISSING) for level, entries in mapping.items()
               if isinstance(entries, dict)}
    if all(v is MISSING for v in present.values()):
        source.add_all({("Mappings", chosen, level, key): wanted[str(level)] for level in mapping})
    elif any(present.get(level) != wanted[level] for level in wanted):
        raise FixError(f"Mappings {chosen} already has a key {key} with other values")
    return {"Fn::FindInMap": [chosen, {"Ref": parameter}, key]}


def conditional(source: SourceText, facts: Facts, envs: set[str], among: set[str], when_true: Any,
                otherwise: Any) -> Any:
    """A value that is `when_true` in `envs` and `otherwise` in the rest of `among`."""
    if envs == among:
        return when_true
    if not envs:
        return otherwise
    name, polarity = condition_for(source, facts, envs, among)
    return {"Fn::If": [name, when_true, otherwise] if polarity else [name, otherwise, when_true]}


def condition_for(source: SourceText, facts: Facts, envs: set[str], among: set[str],
                  positive: bool = False) -> tuple[str, bool]:
    """A Condition that holds exactly in `envs` of `among` (or, unless `positive`, exactly outside them)."""
    found = facts.condition_true_in(envs, among)
    if found and (found[1] or not positive):
        return found
    parameter = facts.env_parameter
    if parameter is None:
        raise FixError(f"the change applies in {', '.join(sorted(envs))} only, but no parameter of the "
                       "template tells the environments apart")
    tests = [{"Fn::Equals": [{"Ref": parameter}, facts.env_values[e]]} for e in facts.names if e in envs]
    name = "Is" + "Or".join(_title(e) for e in facts.names if e in envs)
    existing = source.value(("Conditions",))
    while isinstance(existing, dict) and name in existing:
        name += "Environment"
    add_section_entry(source, "Conditions", name, tests[0] if len(tests) == 1 else {"Fn::Or": tests})
    facts.conditions[name] = {e: e in envs for e in facts.names}
    return name, True


def _title(environment: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in environment.replace("_", "-").split("-"))


def per_environment(source: SourceText, facts: Facts, values: dict[str, Any], key: str, fallback: Any,
                    single: str | None = None) -> Any:
    """One expression for a value given per environment: a literal when it is the same everywhere, else a
    new key of the Mappings the template keys by environment, else `Fn::If` on an existing condition that
    splits the environments into two groups of one value each, else a new environment mapping. A template
    that cannot tell environments apart gets the largest (`single: max`) or smallest value, when the
    fix says one value can serve them all."""
    distinct = {repr(v) for v in values.values()}
    if len(distinct) == 1:
        return next(iter(values.values()))
    levels = {str(facts.env_values.get(e)) for e in values}
    if facts.env_parameter is not None and _environment_mapping(source, levels) is not None:
        return mapping_key(source, facts, values, key, fallback)
    among = set(values)
    for name, truth in facts.conditions.items():
        yes = {e for e in among if truth.get(e) is True}
        no = {e for e in among if truth.get(e) is False}
        if yes | no == among and yes and no and len({repr(values[e]) for e in yes}) == 1 \
                and len({repr(values[e]) for e in no}) == 1:
            return {"Fn::If": [name, values[next(iter(yes))], values[next(iter(no))]]}
    if facts.env_parameter is None and single in ("max", "min"):
        return (max if single == "max" else min)(values.values())
    return mapping_key(source, facts, values, key, fallback)
