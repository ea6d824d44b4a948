"""Text-preserving edits of CloudFormation templates (YAML and JSON): see document.SourceText."""
from checker.patch.document import SourceText
from checker.patch.paths import MISSING, PatchError, dotted, plain

__all__ = ["MISSING", "PatchError", "SourceText", "dotted", "plain"]
