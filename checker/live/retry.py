"""When to try an API call again, how long to wait, and how fast to call a service that throttles.

Each client makes one attempt per call; the runner retries here, so that every attempt is counted, every
wait can be cut short (Ctrl-C, the run's deadline), and the calls to one service slow down together when
it throttles, however many worker threads share it.
"""
from __future__ import annotations

import random
import threading
import time
from collections import deque

# Error codes AWS services answer when a caller exceeds a rate (the services' API references).
THROTTLING = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException", "TooManyRequestsException",
    "ProvisionedThroughputExceededException", "TransactionInProgressException", "RequestLimitExceeded",
    "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
    "EC2ThrottledException",
})
# Codes and HTTP statuses of failures that a later attempt may not meet.
TRANSIENT = frozenset({"RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure",
                       "ServiceUnavailable", "ServiceUnavailableException", "IDPCommunicationError"})
TRANSIENT_STATUS = frozenset({500, 502, 503, 504})
BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 20.0


def backoff_delay(attempt: int) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based): exponential, with full jitter."""
    return random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** attempt))  # noqa: S311 - not cryptographic


class Stop:
    """The run's cancellation (Ctrl-C) and deadline, shared by every worker."""

    def __init__(self, deadline_s: float | None = None) -> None:
        self.cancelled = threading.Event()
        self.deadline = time.monotonic() + deadline_s if deadline_s else None

    def reason(self) -> str | None:
        """Why no further call may start, or None."""
        if self.cancelled.is_set():
            return "the scan was interrupted"
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return "the run's deadline passed"
        return None

    def remaining(self) -> float:
        return float("inf") if self.deadline is None else max(0.0, self.deadline - time.monotonic())

    def sleep(self, seconds: float) -> None:
        """Wait `seconds`, or less when the run is cancelled or its deadline comes first."""
        self.cancelled.wait(min(seconds, self.remaining()))


class Pace:
    """Calls per second to each (service, Region): unlimited until the service throttles; then at most 80%
    of what was sent in the last second (one cut every two seconds, however many calls were throttled
    together, never below MIN_RATE), rising again by a fifth with each success; the limit is lifted once
    it is well above what is being sent."""

    MIN_RATE = 10.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rate: dict[tuple[str, str], float] = {}
        self._next: dict[tuple[str, str], float] = {}
        self._cut: dict[tuple[str, str], float] = {}
        self._sent: dict[tuple[str, str], deque[float]] = {}

    def wait(self, key: tuple[str, str], stop: Stop) -> None:
        with self._lock:
            now = time.monotonic()
            rate = self._rate.get(key)
            start = now if rate is None else max(now, self._next.get(key, now))
            if rate is not None:
                self._next[key] = start + 1.0 / rate
        if start > now:
            stop.sleep(start - now)
        with self._lock:
            sent = self._sent.setdefault(key, deque())
            sent.append(time.monotonic())
            while sent and sent[0] < sent[-1] - 1.0:
                sent.popleft()

    def throttled(self, key: tuple[str, str]) -> None:
        with self._lock:
            now = time.monotonic()
            if now - self._cut.get(key, float("-inf")) < 2.0:
                return
            self._cut[key] = now
            self._rate[key] = max(self.MIN_RATE, 0.8 * len(self._sent.get(key, ())))

    def succeeded(self, key: tuple[str, str]) -> None:
        with self._lock:
            rate = self._rate.get(key)
            if rate is None:
                return
            if rate > 4 * max(1, len(self._sent.get(key, ()))):
                self._rate.pop(key)
                self._next.pop(key, None)
            else:
                self._rate[key] = rate * 1.2

    def rates(self) -> dict[str, float]:
        """The limits in force, per "service@region" (for the report)."""
        with self._lock:
            return {f"{service}@{region}": round(rate, 1) for (service, region), rate in self._rate.items()}
