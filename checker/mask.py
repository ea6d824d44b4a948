"""Keep secrets out of every output: password-like values are replaced before results leave the engine."""
from __future__ import annotations

import re
from typing import Any

MASK = "****"
_SECRET_KEY = re.compile(r"password|passphrase|secret(?!arn|s?manager)|token|privatekey|credential|apikey", re.I)
_SAFE_VALUE = re.compile(r"\{\{resolve:(secretsmanager|ssm-secure):[^}]*\}\}")


def is_secret_key(key: Any) -> bool:
    return isinstance(key, str) and _SECRET_KEY.search(key) is not None


def mask(value: Any, secret: bool = False) -> Any:
    """A copy of `value` with the strings held by password-like keys (directly or in a list) masked."""
    if isinstance(value, dict):
        return {k: mask(v, is_secret_key(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v, secret) for v in value]
    if secret and isinstance(value, str) and not _SAFE_VALUE.fullmatch(value):
        return MASK
    return value
