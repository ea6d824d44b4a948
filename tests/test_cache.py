"""The per-user cache: results stored as JSON under a hash of everything they depend on."""
from __future__ import annotations

import json

from checker.cache import cache_dir, cached_json


def counting(value):
    calls = []

    def compute():
        calls.append(1)
        return value
    return compute, calls


def test_a_result_is_computed_once_for_the_same_inputs():
    compute, calls = counting({"a": [1, 2]})
    assert cached_json("test", ["x", b"y"], compute) == {"a": [1, 2]}
    assert cached_json("test", ["x", b"y"], compute) == {"a": [1, 2]}
    assert len(calls) == 1


def test_different_inputs_are_different_entries():
    compute, calls = counting(1)
    cached_json("test", ["one"], compute)
    cached_json("test", ["one", ""], compute)  # parts are length-prefixed: no two lists collide
    assert len(calls) == 2


def test_a_damaged_entry_is_recomputed():
    compute, calls = counting([3])
    cached_json("damaged", ["z"], compute)
    [entry] = cache_dir().glob("damaged-*.json")
    entry.write_text("{not json")
    assert cached_json("damaged", ["z"], compute) == [3] and len(calls) == 2
    assert json.loads(entry.read_text()) == [3]


def test_the_cache_can_be_bypassed(monkeypatch):
    monkeypatch.setenv("CHECKER_NO_CACHE", "1")
    compute, calls = counting(0)
    cached_json("bypassed", ["w"], compute)
    cached_json("bypassed", ["w"], compute)
    assert len(calls) == 2 and not list(cache_dir().glob("bypassed-*.json"))


def test_rule_expressions_read_back_from_the_cache_are_the_trees_jmespath_parses(monkeypatch, tmp_path):
    import jmespath

    from checker.engine import expressions
    from checker.engine.rules import bundled_rule_dirs, load_rules

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(expressions, "_TREES", {})
    load_rules(bundled_rule_dirs())  # parses and stores
    monkeypatch.setattr(expressions, "_TREES", {})
    load_rules(bundled_rule_dirs())  # reads the stored trees
    [entry] = cache_dir().glob("jmespath-trees-*.json")
    stored = json.loads(entry.read_text())
    assert len(stored) > 100 and expressions._TREES == stored
    assert all(tree == jmespath.compile(text).parsed for text, tree in stored.items())
