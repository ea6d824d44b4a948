"""Fixes: the template changes that rules declare (checker.engine.fix_spec), applied to a template
(apply.py) and verified in every environment (verify.py) before they are offered.
`checker.fix.plan.fix_template` is the library entry point behind `checker fix` (checker.cli.fix) and the
reports' patches."""
