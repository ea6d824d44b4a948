"""Keep secrets out of every output: password-like values and the values of NoEcho parameters are masked.

Rules see real values; a `Masker` stands between the engine and everything that is written or printed.
It masks the strings held by password-like keys, and every occurrence of a known secret value (a NoEcho
parameter's value, wherever it was substituted).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "****"
_SECRET_KEY = re.compile(r"password|passphrase|secret(?!arn|s?manager)|token|privatekey|credential|apikey", re.I)
_SAFE_VALUE = re.compile(r"\{\{resolve:(secretsmanager|ssm-secure):[^}]*\}\}")
_SHORTEST_EMBEDDED = 4  # a shorter secret is masked only where it is the whole value


def is_secret_key(key: Any) -> bool:
    return isinstance(key, str) and _SECRET_KEY.search(key) is not None


class Masker:
    """Masks password-like keys' values and the given secret values."""

    def __init__(self, secrets: Iterable[Any] = ()) -> None:
        known = {s for s in secrets if isinstance(s, str) and s and s != MASK}
        self._whole = frozenset(known)
        embedded = sorted((s for s in known if len(s) >= _SHORTEST_EMBEDDED), key=len, reverse=True)
        self._embedded = re.compile("|".join(map(re.escape, embedded))) if embedded else None

    def __bool__(self) -> bool:
        return bool(self._whole)

    def text(self, value: str) -> str:
        if value in self._whole:
            return MASK
        return self._embedded.sub(MASK, value) if self._embedded is not None else value

    def mask(self, value: Any, secret: bool = False) -> Any:
        """A copy of `value` with secrets masked (strings under password-like keys, directly or in a list)."""
        if isinstance(value, dict):
            return {k: self.mask(v, secret or is_secret_key(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.mask(v, secret) for v in value]
        if isinstance(value, str):
            if secret and not _SAFE_VALUE.fullmatch(value):
                return MASK
            return self.text(value)
        return value


def mask(value: Any) -> Any:
    """`value` with the strings held by password-like keys masked."""
    return Masker().mask(value)


def document_secrets(document: Mapping[str, Any]) -> list[Any]:
    """The values of a document's NoEcho parameters."""
    deployment = document.get("Deployment")
    if not isinstance(deployment, dict):
        return []
    values = deployment.get("Parameters")
    values = values if isinstance(values, dict) else {}
    found: list[Any] = []
    for name in deployment.get("SecretParameters") or ():
        value = values.get(name)
        found += value if isinstance(value, list) else [value]
    return [v if isinstance(v, str) else str(v) for v in found if isinstance(v, (str, int, float))]
