"""Keep secrets out of every output: password-like values and the values of NoEcho parameters are masked.

Rules see real values; a `Masker` stands between the engine and everything that is written or printed.
It masks the strings held by password-like keys (DB_PASSWORD, STRIPE_API_KEY, MasterUserPassword...), whether the
key is a mapping's or the name of a name/value entry ({Key: db_password, Value: ...} in tags), every value of a
secret-bearing property (a Lambda function's Environment.Variables), every occurrence of a known secret value
(a NoEcho parameter's value, wherever it was substituted), and text in the shape of a secret wherever it
appears: the password of a URL, a PEM private key, AWS access keys, well-known API tokens, and the value a
password-like name is given inside text (`"password": "..."` in JSON text, `password=...` in a query string).
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from checker.template.document_types import AnyDocument

MASK = "****"
_SECRET_KEY = re.compile(r"pass(word|phrase|wd)|secret(?!arn|s?manager)|token|private[_-]?key|credential"
                         r"|api[_-]?key|access[_-]?key|signing[_-]?key", re.I)
# Mappings all of whose values are secret-bearing: a Lambda function's (or a container's) environment.
_SECRET_CONTAINERS = frozenset({"Variables"})
# Name/value entries (tags, tag filters, container environments, stack parameters): name key -> value key.
_NAMED_VALUES = {"Key": "Value", "key": "value", "Name": "Value", "name": "value", "ParameterKey": "ParameterValue"}
# The value given to a password-like name in text, `"password": "..."` (JSON) or `password=...` (a query
# string): the match starts at the name's password-like word, which it keeps (as it keeps the rest of the name).
_NAMED_VALUE = re.compile(rf'(?P<name>(?i:(?:{_SECRET_KEY.pattern})[\w.-]*)(?:"\s*:\s*"|=))'
                          r"""(?:(?<=")(?:[^"\\]|\\.)+|(?<==)[^\s&;,"'<>]+)""")
_SHAPES = re.compile("|".join((
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----",  # PEM private keys
    r"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)",  # user:password@ in a URL
    r"\b(?:AKIA|ASIA|AROA|AIDA)[0-9A-Z]{16}\b",  # AWS access key ids
    r"(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*[0-9/+])[A-Za-z0-9/+]{40}"
    r"(?![A-Za-z0-9/+=])",  # AWS secret access keys
    r"\b(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{10,}",  # payment API keys
    r"\bgh[pousr]_[A-Za-z0-9]{30,}", r"\bxox[abprs]-[A-Za-z0-9-]{10,}",  # GitHub and Slack tokens
)), re.S)
_SAFE_VALUE = re.compile(r"\{\{resolve:(secretsmanager|ssm-secure):[^}]*\}\}")
_SHORTEST_EMBEDDED = 4  # a shorter secret is masked only where it is the whole value


class _SecretNames(dict[Any, bool]):
    """Whether a key is password-like, remembered: property names repeat across resources and results, and a
    report's walk looks each one up (a hit never leaves C)."""

    def __missing__(self, key: Any) -> bool:
        if not isinstance(key, str):
            return False
        found = _SECRET_KEY.search(key) is not None
        if len(self) < 4096:
            self[key] = found
        return found


_SECRET_NAMES = _SecretNames()


def is_secret_key(key: Any) -> bool:
    return isinstance(key, str) and _SECRET_NAMES[key]  # a name/value entry's name may be any value


class Masker:
    """Masks password-like keys' values and the given secret values."""

    def __init__(self, secrets: Iterable[Any] = ()) -> None:
        known = {s for s in secrets if isinstance(s, str) and s and s != MASK}
        self._whole = frozenset(known)
        embedded = sorted((s for s in known if len(s) >= _SHORTEST_EMBEDDED), key=len, reverse=True)
        self._embedded = re.compile("|".join(map(re.escape, embedded))) if embedded else None
        self._masked: dict[str, str] = {}  # a report repeats its texts (messages, types) many times

    def __bool__(self) -> bool:
        return bool(self._whole)

    def text(self, value: str) -> str:
        masked = self._masked.get(value)
        if masked is None:
            masked = MASK if value in self._whole else _shaped(
                self._embedded.sub(MASK, value) if self._embedded is not None else value)
            self._masked[value] = masked
        return masked

    def mask_at(self, path: str, value: Any) -> Any:
        """`value` masked as found at `path` ("Properties.Environment.Variables.DB_PASSWORD")."""
        keys = [k for k in re.split(r"[.\[\]]", path) if k]
        secret = any(is_secret_key(k.partition("=")[2] or k) for k in keys) or any(k in _SECRET_CONTAINERS
                                                                                  for k in keys[:-1])
        return self.mask(value, secret)

    def mask(self, value: Any, secret: bool = False) -> Any:
        """A copy of `value` with secrets masked (strings under password-like keys, directly or in a list)."""
        if isinstance(value, dict):
            named = () if secret or _NAMED_VALUES.keys().isdisjoint(value) else _secret_entry_values(value)
            masked = {}
            seen, secret_names = self._masked, _SECRET_NAMES
            for k, v in value.items():  # strings handled inline: a report holds hundreds of thousands
                hidden = secret or secret_names[k] or k in named or (k in _SECRET_CONTAINERS and isinstance(v, dict))
                if isinstance(v, str):
                    masked[k] = self._hidden(v) if hidden else seen.get(v) or self.text(v)
                elif isinstance(v, (dict, list)):
                    masked[k] = self.mask(v, hidden)
                else:
                    masked[k] = v
            return masked
        if isinstance(value, list):
            return [self.mask(v, secret) for v in value]
        if isinstance(value, str):
            return self._hidden(value) if secret else self.text(value)
        return value

    def _hidden(self, value: str) -> str:
        """A value under a password-like key: masked, unless it is a dynamic reference (which names where
        the secret is kept, and is itself masked as any text is)."""
        return self.text(value) if _SAFE_VALUE.fullmatch(value) else MASK


def _secret_entry_values(entry: dict[Any, Any]) -> set[str]:
    """The value keys of a name/value entry whose name is password-like ({Key: db_password, Value: ...})."""
    return {_NAMED_VALUES[k] for k in _NAMED_VALUES.keys() & entry.keys() if is_secret_key(entry[k])}


def _shaped(text: str) -> str:
    """`text` with what has the shape of a secret masked, remembered for every masker of the run (the same
    messages come back in every template)."""
    masked = _SHAPED.get(text)
    if masked is None:
        if len(_SHAPED) >= 65536:
            _SHAPED.clear()
        masked = _SHAPED[text] = _SHAPES.sub(MASK, _named_values(text))
    return masked


_SHAPED: dict[str, str] = {}


def _named_values(text: str) -> str:
    if "=" not in text and '"' not in text:  # neither form can be there, and searching costs
        return text
    return _NAMED_VALUE.sub(lambda match: match.group("name") + MASK, text)


def mask(value: Any) -> Any:
    """`value` with the strings held by password-like keys masked."""
    return Masker().mask(value)


def document_secrets(document: AnyDocument) -> list[str]:
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
