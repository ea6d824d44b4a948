"""Run collectors: memoized API calls on a bounded thread pool, failures recorded per call, never raised."""
from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from checker.collect.base import LIVE, Call, Collector, Target

T = TypeVar("T")
R = TypeVar("R")


class CallFailed(Exception):
    """An API call that failed after botocore's retries."""

    def __init__(self, operation: str, code: str, message: str) -> None:
        super().__init__(f"{operation} failed: {code}: {message}")
        self.operation = operation
        self.code = code


@dataclass(frozen=True)
class Failure:
    operation: str  # "service:Operation"
    message: str
    names: frozenset[str]  # the properties and live facts it leaves unknown
    whole: bool  # the resource itself could not be read


@dataclass(frozen=True)
class Collected:
    target: Target
    properties: dict = field(default_factory=dict)
    live: dict = field(default_factory=dict)
    arn: str | None = None
    failures: tuple[Failure, ...] = ()

    @property
    def whole_failure(self) -> Failure | None:
        return next((f for f in self.failures if f.whole), None)


class Runner:
    """Makes API calls through shared clients; an identical call (same operation, region, parameters)
    is made once per run and its response, or its failure, is shared by every caller and thread."""

    def __init__(self, clients: Any, workers: int = 8) -> None:
        self.clients = clients
        self.workers = max(1, workers)
        self._memo: dict[str, Future] = {}
        self._lock = threading.Lock()

    def call(self, service: str, region: str, operation: str, params: dict, paginate: bool = False) -> Any:
        key = json.dumps([service, region, operation, params], sort_keys=True, default=str)
        with self._lock:
            future = self._memo.get(key)
            owner = future is None
            if owner:
                future = self._memo[key] = Future()
        assert future is not None
        if owner:
            try:
                future.set_result(self._invoke(service, region, operation, params, paginate))
            except CallFailed as exc:
                future.set_exception(exc)
        return future.result()

    def _invoke(self, service: str, region: str, operation: str, params: dict, paginate: bool) -> Any:
        from botocore import xform_name
        from botocore.exceptions import BotoCoreError, ClientError

        label = f"{service}:{operation}"
        try:
            client = self.clients.get(service, region)
            method = xform_name(operation)
            if paginate and client.can_paginate(method):
                response = client.get_paginator(method).paginate(**params).build_full_result()
            else:
                response = getattr(client, method)(**params)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            attempts = exc.response.get("ResponseMetadata", {}).get("RetryAttempts", 0) + 1
            detail = error.get("Message") or str(exc)
            if attempts > 1:
                detail += f" (after {attempts} attempts)"
            raise CallFailed(label, error.get("Code") or "ClientError", detail) from None
        except BotoCoreError as exc:
            raise CallFailed(label, type(exc).__name__, str(exc)) from None
        except Exception as exc:  # anything else a client raises still fails this call only
            raise CallFailed(label, type(exc).__name__, str(exc)) from None
        response.pop("ResponseMetadata", None)
        return response

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """`function` over `items` on the pool (in order); sequential with one worker."""
        items = list(items)
        if self.workers == 1 or len(items) < 2:
            return [function(item) for item in items]
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="checker-live") as pool:
            return list(pool.map(function, items))


def collect(collector: Collector, target: Target, runner: Runner) -> Collected:
    """Make the collector's calls for one resource and translate the responses. Never raises."""
    responses: dict[str, Any] = {}
    properties: dict[str, Any] = {}
    live: dict[str, Any] = {}
    failures: list[Failure] = []
    for call in collector.calls:
        try:
            value = _run_call(call, target, responses, runner)
        except CallFailed as exc:
            if exc.code in call.absent:
                continue
            failures.append(Failure(exc.operation, str(exc), frozenset(call.produces + call.extras), call.required))
            if call.required:
                break
            continue
        if value is None:
            continue
        responses[call.key] = value
        try:
            translated = dict(call.translate(value, target))
            facts = translated.pop(LIVE, {})
            undeclared = sorted((set(translated) - set(call.produces)) | (set(facts) - set(call.extras)))
            if undeclared:
                raise ValueError(f"undeclared names {undeclared}")
        except Exception as exc:  # LookupError: the response does not hold the resource; else an unexpected shape
            label = f"{call.service}:{call.operation}"
            reason = str(exc) if isinstance(exc, LookupError) else f"could not read the response: {exc!r}"
            failures.append(Failure(label, f"{label}: {reason}", frozenset(call.produces + call.extras),
                                    call.required))
            if call.required:
                break
            continue
        live.update(facts)
        properties.update(translated)
    arn = target.arn
    if not any(f.whole for f in failures):
        arn = collector.arn(target, responses) or arn
    return Collected(target, properties, live, arn, tuple(failures))


def _run_call(call: Call, target: Target, responses: dict, runner: Runner) -> Any:
    """The response, a list of (params, response) for a fan-out, or None when the call does not apply."""
    params = call.params(target, responses)
    if params is None:
        return None
    if isinstance(params, list):  # an entry failing with an `absent` code is left out
        answered = []
        for entry in params:
            try:
                answered.append((entry, runner.call(call.service, target.region, call.operation, entry, call.paginate)))
            except CallFailed as exc:
                if exc.code not in call.absent:
                    raise
        return answered
    return runner.call(call.service, target.region, call.operation, params, call.paginate)
