"""Every rule that checks templates says how its failures are fixed: with a fix the engine verifies before
offering it, or with `fix: {none: ...}`, the reason there is no safe one."""
from __future__ import annotations

from checker.engine.rules import Rule, bundled_rule_dirs, load_rule_file, load_rules
from tests.test_rule_loading import private_cache, rule_with, write_rules  # noqa: F401 - fixture


def undecided(rules: list[Rule]) -> list[str]:
    """The rules that check templates and declare neither a fix nor why there is none."""
    return sorted(rule.id for rule in rules if "template" in rule.sources and rule.fix is None)


def test_every_template_rule_of_the_bundled_pack_declares_a_fix_or_why_it_has_none():
    assert undecided(load_rules(bundled_rule_dirs())) == []


def test_a_template_rule_without_a_fix_block_is_named(tmp_path):
    path = write_rules(tmp_path / "r.yaml", rule_with(), rule_with(id="T-S3-VERSIONING-002", fix={"none": "why"}))
    assert undecided(load_rule_file(path)) == ["T-S3-VERSIONING-001"]


def test_a_rule_that_only_checks_deployments_needs_no_fix(tmp_path):
    path = write_rules(tmp_path / "r.yaml", rule_with(sources=["live"]))
    assert undecided(load_rule_file(path)) == []
