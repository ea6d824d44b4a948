"""What a rule's expressions may see besides their input."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from checker.engine.index import DocumentIndex
from checker.engine.logic import World
from checker.template.document_types import AnyDocument

if TYPE_CHECKING:
    from checker.engine.interpreter import Interpreter

Peers = Callable[[str], "AnyDocument | None"]  # another environment's document, by its name


class Context:
    """The whole document (indexed), the environment's rule params, and the other environments' documents."""

    def __init__(self, document: AnyDocument, params: Mapping[str, Any],
                 index: DocumentIndex | None = None, peers: Peers | None = None) -> None:
        self.document = document
        self.params = params
        self.index = index if index is not None else DocumentIndex(document)
        self.peers = peers
        self.interpreters: dict[tuple[Any, ...], Interpreter] = {}  # by world, made by the expressions run here
        # While a judgement records them: (function, arguments, result, whether read with no condition assumed)
        # of each call of a function that reads the document (checker.engine.evaluate shares what it may).
        self.reads: list[tuple[str, list[Any], Any, bool]] | None = None


NO_ASSUMPTIONS = World()  # the world of a document whose Conditions are all decided
