"""Fixes: the template changes that rules declare (spec.py), applied to a template (apply.py) and verified
in every environment (verify.py) before they are offered. `checker.fix.plan.fix_template` is the library
entry point behind `checker fix` and the reports' patches. Nothing is imported here: the rule loader
reads spec.py without pulling in the engine."""
