"""The functions rule expressions may call: JMESPath's own (standard), taught about unknowns, and the
engine's, for rule authors (text, resources, sources, lists; each documented in docs/rules.md)."""
from __future__ import annotations

from checker.engine.functions.base import Function
from checker.engine.functions.lists import LISTS
from checker.engine.functions.resources import RESOURCES
from checker.engine.functions.sources import SOURCES
from checker.engine.functions.standard import STANDARD
from checker.engine.functions.text import TEXT

FUNCTIONS: dict[str, Function] = {**STANDARD, **TEXT, **RESOURCES, **SOURCES, **LISTS}

__all__ = ["FUNCTIONS", "Function"]
