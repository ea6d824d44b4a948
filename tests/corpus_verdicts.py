"""The verdicts of the bundled rule pack on the public corpus, as a compact reviewed snapshot.

    python -m tests.corpus_verdicts        # rewrite tests/data/corpus-verdicts.txt after a reviewed change

One line per template, rule and environment that is not wholly NOT_APPLICABLE:
`path<TAB>rule<TAB>environment<TAB>Resource=STATUS ...`; a template that does not load is one line
`path<TAB>!<TAB>the error`. tests/test_corpus.py compares the snapshot with a fresh scan, so every
change of verdict on real-world templates shows up as a diff of this file.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from checker.engine.results import NOT_APPLICABLE
from checker.engine.rules import bundled_rule_dirs, load_rules
from checker.engine.scan import scan_template
from checker.errors import InputError
from checker.scans import find_templates
from checker.template.environment import Environment
from checker.template.load import load_template

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
SNAPSHOT = ROOT / "tests" / "data" / "corpus-verdicts.txt"
# The payment environments, without their parameters (which the corpus templates do not declare) and
# without an account id, so that what is only known at deployment stays unknown.
ENVIRONMENTS = [Environment("prod", "us-east-1"), Environment("staging", "us-east-2"), Environment("dev", "us-west-2")]


def verdict_lines(corpus: Path = CORPUS) -> list[str]:
    rules = load_rules(bundled_rule_dirs())
    lines = []
    for path in find_templates([corpus]).candidates:
        name = path.relative_to(corpus).as_posix()
        try:
            results = scan_template(load_template(path), rules, ENVIRONMENTS).results
        except InputError as exc:
            lines.append(f"{name}\t!\t{exc.message}")
            continue
        grouped: dict[tuple[str, str], list[str]] = defaultdict(list)
        for result in results:
            if result.status != NOT_APPLICABLE:
                grouped[(result.rule_id, result.environment)].append(f"{result.resource or '-'}={result.status}")
        lines += [f"{name}\t{rule}\t{env}\t{' '.join(sorted(found))}" for (rule, env), found in sorted(grouped.items())]
    return lines


if __name__ == "__main__":
    SNAPSHOT.write_text("\n".join(verdict_lines()) + "\n", encoding="utf-8")
    print(f"wrote {SNAPSHOT}")
