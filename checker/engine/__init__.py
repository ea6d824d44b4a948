"""Stage 2, the engine: rules (YAML files of JMESPath assertions) evaluated on rendered documents.

rules (load and validate a pack), selection (which rules a run uses), expressions and interpreter (the
JMESPath the rules are written in, over values that may be unknown), functions (the functions rule
authors call), logic (three-valued truth), index (a document's resources by type and name), evaluate
(a rule on a document: a Result), scan (a template in each environment), cases (the rules' own tests).
"""
