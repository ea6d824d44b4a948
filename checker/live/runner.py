"""Run collectors: memoized, retried API calls on a bounded pool of threads; failures recorded, never raised."""
from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from checker.live.collectors.base import GONE, LIVE, Call, Collector, Target
from checker.live.retry import THROTTLING, TRANSIENT, TRANSIENT_STATUS, Pace, Stop, backoff_delay

T = TypeVar("T")
R = TypeVar("R")


class CallFailed(Exception):
    """An API call that failed, after the retries its failure allows."""

    def __init__(self, operation: str, code: str, message: str, retryable: bool = False,
                 throttled: bool = False) -> None:
        super().__init__(f"{operation} failed: {code}: {message}")
        self.operation = operation
        self.code = code
        self.detail = message
        self.retryable = retryable
        self.throttled = throttled


@dataclass(frozen=True)
class Failure:
    operation: str  # "service:Operation"
    message: str
    names: frozenset[str]  # the properties and live facts it leaves unknown
    whole: bool  # the resource itself could not be read
    gone: bool = False  # the resource does not exist (any more)


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
    """Makes API calls through per-thread clients, retrying what may succeed later (retry.py); an identical
    call (same operation, region, parameters) is made once per run and its response, or its failure, is
    shared by every caller and thread. Work runs on daemon threads, so that an interrupted run can leave
    calls in flight behind."""

    def __init__(self, clients: Any, workers: int = 8, stop: Stop | None = None, max_attempts: int = 5,
                 pace: Pace | None = None) -> None:
        self.clients = clients
        self.workers = max(1, workers)
        self.stop = stop or Stop()
        self.max_attempts = max(1, max_attempts)
        self.pace = pace or Pace()  # given: shared with other runs calling the same account
        self.calls: Counter[str] = Counter()
        self.gave_up: Counter[str] = Counter()
        self.in_flight = 0
        self._memo: dict[str, Future] = {}
        self._lock = threading.Lock()

    def call(self, service: str, region: str, operation: str, params: dict, paginate: bool = False) -> Any:
        key = json.dumps([service, region, operation, params], sort_keys=True, default=str)
        with self._lock:
            future = self._memo.get(key)
            owner = future is None
            if owner:
                future = self._memo[key] = Future()
                self.calls[f"{service}:{operation}"] += 1
        assert future is not None
        if owner:
            try:
                future.set_result(self._attempts(service, region, operation, params, paginate))
            except CallFailed as exc:
                future.set_exception(exc)
        return future.result()

    def _attempts(self, service: str, region: str, operation: str, params: dict, paginate: bool) -> Any:
        label = f"{service}:{operation}"
        attempt = 0
        while True:
            stopped = self.stop.reason()
            if stopped:
                raise CallFailed(label, "NotAttempted", stopped)
            self.pace.wait((service, region), self.stop)
            attempt += 1
            try:
                with self._flying():
                    response = self._invoke(service, region, operation, params, paginate)
            except CallFailed as exc:
                if exc.throttled:
                    self.pace.throttled((service, region))
                delay = backoff_delay(attempt)
                if not exc.retryable or attempt >= self.max_attempts or delay >= self.stop.remaining():
                    if exc.retryable:
                        with self._lock:
                            self.gave_up[label] += 1
                    suffix = f" (after {attempt} attempts)" if attempt > 1 else ""
                    raise CallFailed(label, exc.code, exc.detail + suffix) from None
                self.stop.sleep(delay)
                continue
            self.pace.succeeded((service, region))
            return response

    @contextmanager
    def _flying(self) -> Iterator[None]:
        with self._lock:
            self.in_flight += 1
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1

    def _invoke(self, service: str, region: str, operation: str, params: dict, paginate: bool) -> Any:
        from botocore import xform_name
        from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, HTTPClientError

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
            code = error.get("Code") or "ClientError"
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            throttled = code in THROTTLING
            retryable = throttled or code in TRANSIENT or status in TRANSIENT_STATUS
            raise CallFailed(label, code, error.get("Message") or str(exc), retryable, throttled) from None
        except (ConnectionError, HTTPClientError) as exc:  # resets, timeouts, unreachable endpoints
            raise CallFailed(label, type(exc).__name__, str(exc), retryable=True) from None
        except BotoCoreError as exc:
            raise CallFailed(label, type(exc).__name__, str(exc)) from None
        except Exception as exc:  # anything else a client raises still fails this call only
            raise CallFailed(label, type(exc).__name__, str(exc)) from None
        response.pop("ResponseMetadata", None)
        return response

    def map(self, function: Callable[[T], R], items: Iterable[T]) -> list[R | None]:
        """`function` over `items` (in order) on up to `workers` daemon threads.

        Ctrl-C while waiting cancels the run: no further item starts, calls in flight are left behind, and
        the items not finished are None. An exception raised by `function` is raised here.
        """
        items = list(items)
        results: list[R | None] = [None] * len(items)
        pending = iter(range(len(items)))
        finished = threading.Event()
        left = [len(items)]
        errors: list[BaseException] = []
        lock = threading.Lock()

        def work() -> None:
            while not self.stop.cancelled.is_set():
                with lock:
                    index = next(pending, None)
                if index is None:
                    return
                try:
                    results[index] = function(items[index])
                except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
                    errors.append(exc)
                    finished.set()
                    return
                with lock:
                    left[0] -= 1
                    if not left[0]:
                        finished.set()

        if not items:
            return results
        for number in range(min(self.workers, len(items))):
            threading.Thread(target=work, name=f"checker-live-{number}", daemon=True).start()
        try:
            while not finished.wait(0.1):
                pass
        except KeyboardInterrupt:
            self.stop.cancelled.set()
            return list(results)
        if errors:
            raise errors[0]
        return results


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
            failures.append(Failure(exc.operation, str(exc), frozenset(call.produces + call.extras), call.required,
                                    call.required and exc.code in GONE))
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
                                    call.required, call.required and isinstance(exc, LookupError)))
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
