"""Carry out a fix's steps on one subject of a template, in the environments where its rule fails.

Conditions (`when`, `match`) are read on the template as rendered before the fix. A change needed in
some environments only is made under a condition that holds exactly there; elsewhere the template
keeps what it had.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from checker.engine.context import Context as ExpressionContext
from checker.engine.expressions import EvaluationError, Expression
from checker.engine.fix_spec import Step
from checker.engine.logic import World
from checker.fix.facts import FixError
from checker.fix.placement import NO_VALUE, add_section_entry, condition_for, conditional
from checker.fix.values import Context, Resolver, Scope
from checker.patch import MISSING, SourceText, dotted


@dataclass
class Changes:
    """What a fix did besides editing the subject, for the user to know."""
    examples: dict[str, Any] = field(default_factory=dict)   # new parameter -> value it was verified with
    notes: list[str] = field(default_factory=list)


def declared_names(source: SourceText) -> set[str]:
    """The resources and parameters of the template: the names a new resource must not take."""
    return set(source.mapping(("Resources",))) | set(source.mapping(("Parameters",)))


def unused_name(name: str, taken: set[str]) -> str:
    """`name`, or `name2`, `name3`... when it is taken."""
    number = 2
    free = name
    while free in taken:
        free = f"{name}{number}"
        number += 1
    return free


class Applier:
    def __init__(self, context: Context, failing: frozenset[str]) -> None:
        self.context = context
        self.resolve = Resolver(context)
        self.failing = failing
        facts = context.facts
        # Only resources can differ by environment (Conditions); parameters and sections are the same in all.
        self.exists = frozenset(facts.exists_in(context.subject_path) if context.subject_path else facts.names)
        if context.subject_path[:1] != ("Resources",):
            self.exists = failing
        self.changes = Changes()
        self._last_added: str | None = None

    # --- reading the rendered template -------------------------------------------------------------

    def holds(self, expression: Expression, path: tuple, envs: frozenset[str]) -> bool:
        """Whether `expression` holds on what `path` renders to in every environment of `envs`."""
        facts = self.context.facts
        for env in envs:
            data = facts.rendered(env, path)
            if path[:1] == ("Parameters",) and len(path) == 2 and isinstance(data, dict):
                data = {**data, "Name": path[1]}
            world = World()  # an undecided value does not hold: a fix applies only where it surely does
            try:
                found = expression.search(data, ExpressionContext(facts.documents[env], self.context.params_for(env)),
                                          world)
            except EvaluationError as exc:
                raise FixError(f"cannot evaluate {expression.text!r}: {exc}") from None
            if world.truth(found) is not True:
                return False
        return True

    def physical(self, path: tuple, envs: frozenset[str]) -> tuple:
        """`path` in the template's text: through the branch of each Fn::If that `envs` take."""
        node: Any = self.context.source.body
        result: list[Any] = []
        for step in path:
            while isinstance(node, dict) and len(node) == 1 and isinstance(node.get("Fn::If"), list) \
                    and len(node["Fn::If"]) == 3:
                truth = {self.context.facts.conditions.get(node["Fn::If"][0], {}).get(env) for env in envs}
                if truth not in ({True}, {False}):
                    raise FixError(f"{dotted(tuple(result))} is an Fn::If that does not decide the same way in "
                                   f"{', '.join(sorted(envs))}")
                branch = 1 if truth == {True} else 2
                result += ["Fn::If", branch]
                node = node["Fn::If"][branch]
                if node == NO_VALUE:
                    raise FixError(f"{dotted(tuple(result))} is AWS::NoValue in {', '.join(sorted(envs))}")
            result.append(step)
            node = node.get(step) if isinstance(node, dict) else node[step] if isinstance(node, list) and \
                isinstance(step, int) and step < len(node) else None
        return tuple(result)

    # --- steps ----------------------------------------------------------------------------------------

    def run(self, steps: tuple[Step, ...], base: tuple, scope: Scope) -> None:
        for step in steps:
            if step.when is not None and not self.holds(step.when, base, scope.envs):
                continue
            getattr(self, "_" + step.verb)(step, base, replace(scope, base=self.physical(base, scope.envs)))

    def _set(self, step: Step, base: tuple, scope: Scope) -> None:
        path = base + step.target
        others = self.exists - scope.envs
        value = step.value
        if isinstance(value, dict) and "$param" in value and not step.everywhere:
            if self._in_mapping(path, value["$param"], scope):
                return
            values = self.resolve.param_values(value["$param"], scope.envs)
            for env in others:
                old = self.context.facts.rendered(env, path)
                values[env] = old if old is not None and not isinstance(old, (dict, list)) else \
                    self.resolve.param_values(value["$param"], frozenset({env}))[env]
            self.context.source.set(self.physical(path, scope.envs), self.resolve.place(value, values, str(path[-1])))
            return
        resolved = self.resolve(value, replace(scope, key=str(path[-1])))
        self._write(path, resolved, scope, step.everywhere)

    def _in_mapping(self, path: tuple, name: str, scope: Scope) -> bool:
        """A property read from the environment Mappings gets its new values there (when nothing else reads
        that key)."""
        source, facts = self.context.source, self.context.facts
        raw = source.value(self.physical(path, scope.envs))
        lookup = raw.get("Fn::FindInMap") if isinstance(raw, dict) and len(raw) == 1 else None
        if not (isinstance(lookup, list) and len(lookup) == 3 and lookup[1] == {"Ref": facts.env_parameter}
                and all(isinstance(lookup[i], str) for i in (0, 2))):
            return False
        mapping, key = lookup[0], lookup[2]
        if repr(source.body).count(repr([mapping, {"Ref": facts.env_parameter}, key])) != 1:
            return False
        values = {("Mappings", mapping, str(facts.env_values[env]), key): value
                  for env, value in self.resolve.param_values(name, scope.envs).items()}
        if any(source.value(level) is MISSING for level in values):
            return False
        for level, value in values.items():
            source.set(level, value)
        return True

    def _write(self, path: tuple, value: Any, scope: Scope, everywhere: bool = False) -> None:
        source, facts = self.context.source, self.context.facts
        others = self.exists - scope.envs
        physical = self.physical(path, scope.envs)
        if everywhere or not others or all(facts.rendered(e, path) == value for e in others):
            source.set(physical, value)
            return
        depth = len(physical)
        while depth > 1 and source.value(physical[:depth - 1]) is MISSING:
            depth -= 1
        nested: Any = value
        for step in reversed(physical[depth:]):
            nested = {step: nested}
        old = source.value(physical[:depth])
        source.set(physical[:depth], conditional(source, facts, set(scope.envs), set(self.exists), nested,
                                                 NO_VALUE if old is MISSING else old))

    def _remove(self, step: Step, base: tuple, scope: Scope) -> None:
        path = base + step.target
        physical = self.physical(path, scope.envs)
        source = self.context.source
        old = source.value(physical)
        if old is MISSING:
            return
        if step.everywhere or not self.exists - scope.envs:
            source.remove(physical)
        else:
            source.set(physical, conditional(source, self.context.facts, set(scope.envs), set(self.exists),
                                             NO_VALUE, old))

    def _items(self, step: Step, base: tuple, scope: Scope) -> list[int]:
        path = base + step.target
        raw = self.context.source.value(self.physical(path, scope.envs))
        if not isinstance(raw, list):
            return []
        for env in scope.envs:
            rendered = self.context.facts.rendered(env, path)
            if not isinstance(rendered, list) or len(rendered) != len(raw):
                raise FixError(f"the items of {dotted(path)} differ between environments")
        assert step.match is not None
        return [i for i in range(len(raw)) if self.holds(step.match, path + (i,), scope.envs)]

    def _in_items(self, step: Step, base: tuple, scope: Scope) -> None:
        for index in self._items(step, base, scope):
            self.run(step.steps, base + step.target + (index,), replace(scope, index=index))

    def _in_item(self, step: Step, base: tuple, scope: Scope) -> None:
        path = base + step.target
        matching = self._items(step, base, scope)
        if matching:
            self.run(step.steps, path + (matching[0],), replace(scope, index=matching[0]))
            return
        new = self.resolve(step.new, scope)
        raw = self.context.source.value(self.physical(path, scope.envs))
        if not isinstance(raw, list):
            self._write(path, [new], scope)
            index = 0
        else:
            index = len(raw)
            self.context.source.append(self.physical(path, scope.envs), conditional(
                self.context.source, self.context.facts, set(scope.envs), set(self.exists), new, NO_VALUE))
        self.run(tuple(replace(s, when=None) for s in step.steps), path + (index,), replace(scope, index=index))

    def _each(self, step: Step, base: tuple, scope: Scope) -> None:
        items = self.context.structural(step.target, scope.envs)
        if not isinstance(items, list):
            raise FixError(f"param {step.target} must be a list")
        for index, item in enumerate(items):
            self.run(step.steps, base, replace(scope, item=item, index=index))

    def _each_environment(self, step: Step, base: tuple, scope: Scope) -> None:
        for env in [e for e in self.context.facts.names if e in scope.envs]:
            self.run(step.steps, base, replace(scope, envs=frozenset({env}), environment=env))

    def _add_resource(self, step: Step, base: tuple, scope: Scope) -> None:
        source, facts = self.context.source, self.context.facts
        name = self._free_name(self.resolve(step.target, scope))
        value = self.resolve(step.value, scope)
        everywhere = set(facts.names)
        if set(scope.envs) != everywhere and "Condition" not in value:
            condition = condition_for(source, facts, set(scope.envs), everywhere, True)[0]
            value = {"Type": value.get("Type"), "Condition": condition, **value}
        subject = self.context.subject_path
        after = self._last_added or (subject[1] if subject[:1] == ("Resources",) else None)
        blank = after is None and source.blank_lines_between(("Resources",))
        source.insert(("Resources",), name, value, after=after, blank_line=blank)
        self._last_added = name

    def _free_name(self, name: str) -> str:
        """`name`, or a numbered one when the template has it: a name built from the subject (e.g.
        `{subject}LogGroup`) is only known here; later references to it follow the rename."""
        renames = self.context.renames if self.context.renames is not None else {}
        if name not in renames:
            free = unused_name(name, declared_names(self.context.source))
            if free == name:
                return name
            renames[name] = free
            self.context.renames = renames
        return renames[name]

    def _add_parameter(self, step: Step, base: tuple, scope: Scope) -> None:
        name = self.resolve(step.target, scope)
        if self.context.source.value(("Parameters", name)) is not MISSING:
            return
        add_section_entry(self.context.source, "Parameters", name, self.resolve(step.value, scope))
        lacking = [e.name for e in self.context.facts.environments if name not in e.parameters]
        if lacking:
            self.changes.examples[name] = self.resolve(step.example, scope)
            self.changes.notes.append(f"new parameter {name}: give it a value in {', '.join(lacking)} "
                                      f"(verified with {self.changes.examples[name]!r})")

    def _add_template_rule(self, step: Step, base: tuple, scope: Scope) -> None:
        name = self.resolve(step.target, scope)
        if self.context.source.value(("Rules", name)) is not MISSING:
            raise FixError(f"the template's Rules section already has a rule named {name}")
        add_section_entry(self.context.source, "Rules", name, self.resolve(step.value, scope))
