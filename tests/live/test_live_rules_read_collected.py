"""Every property a live rule reads is one a collector produces: otherwise the rule would pass vacuously,
fail falsely or never apply on a deployment."""
from __future__ import annotations

import re

import pytest

from checker.engine.rules import TEMPLATE_TARGET, bundled_rule_dirs, load_rules
from checker.live.collectors import COLLECTORS

LIVE_RULES = [rule for rule in load_rules(bundled_rule_dirs()) if "live" in rule.sources]
_READ = re.compile(r"\b(Properties|Live)\.([A-Za-z0-9]+)")
_TYPE = re.compile(r"[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+")


def _texts(rule) -> str:
    return " ".join(([rule.when.text] if rule.when else []) + [a.expression.text for a in rule.assertions])


def _types(rule) -> set[str]:
    """The types whose properties the rule may read: its target's, and those of the resources it names."""
    named = set(_TYPE.findall(_texts(rule)))
    return named if rule.target == TEMPLATE_TARGET else named | {rule.target}


@pytest.mark.parametrize("rule", LIVE_RULES, ids=[rule.id for rule in LIVE_RULES])
def test_live_rule_reads_only_what_collectors_produce(rule):
    types = _types(rule)
    assert types <= set(COLLECTORS), types - set(COLLECTORS)
    produced = {("Properties", name) for t in types for name in COLLECTORS[t].properties}
    produced |= {("Live", name) for t in types for name in COLLECTORS[t].extras}
    read = set(_READ.findall(_texts(rule)))
    assert read and read <= produced, sorted(read - produced)
