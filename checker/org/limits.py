"""Call rates an account accepts: a token bucket per service and Region, under the adaptive pace.

AWS limits API rates per account and Region, for every caller of the account together: a scan must leave
the account's own workloads most of its quota. Each account has a budget per service (BUDGETS, in calls a
second and a burst). Its stacks are scanned by at most `concurrency` tasks at once (the driver's cap), so
each worker gives the account budget / concurrency, shared by all its tasks of that account on that worker:
however the tasks are spread, the account never receives more than its budget. When a service throttles
anyway, the adaptive pace (checker.live.retry.Pace) slows every task of the account on the worker.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Mapping

from checker.live.retry import Pace, Stop

# Calls a second and burst a scan allows itself per account, Region and service: about half of what the
# services document (EC2 refills 20 tokens a second into a bucket of 100 for non-mutating actions; Lambda
# allows 15 requests a second for GetPolicy and for its other control-plane reads together; KMS allows
# 1,000 and more a second for key reads). Services that publish no read quota get DEFAULT_BUDGET.
BUDGETS: dict[str, tuple[float, float]] = {"ec2": (10.0, 50.0), "lambda": (7.0, 7.0), "kms": (100.0, 100.0)}
DEFAULT_BUDGET = (25.0, 50.0)
ANY_SERVICE = "default"  # the key of the budget of services not named


class TokenBucket:
    """`rate` tokens a second into a bucket of `burst`; a call takes one, waiting its turn when none is left."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = max(1.0, burst)
        self._tokens = self.burst
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def take(self, stop: Stop) -> None:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= 1  # below zero: a reservation, so that waiting callers are served in turn
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait:
            stop.sleep(wait)


class AccountPace(Pace):
    """The pace of one account on one worker: its share of the account's budget per (service, Region),
    then the adaptive pace of the services that throttled."""

    def __init__(self, budgets: Mapping[str, tuple[float, float]], share: int) -> None:
        super().__init__()
        self._budgets = budgets
        self._share = max(1, share)
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._guard = threading.Lock()

    def wait(self, key: tuple[str, str], stop: Stop) -> None:
        with self._guard:
            bucket = self._buckets.get(key)
            if bucket is None:
                rate, burst = self._budgets.get(key[0]) or self._budgets.get(ANY_SERVICE, DEFAULT_BUDGET)
                bucket = self._buckets[key] = TokenBucket(rate / self._share, burst / self._share)
        bucket.take(stop)
        super().wait(key, stop)


def budgets(overrides: Mapping[str, float]) -> dict[str, tuple[float, float]]:
    """BUDGETS with `overrides` (service, or ANY_SERVICE for the others -> calls a second, also its burst)."""
    merged = dict(BUDGETS)
    merged.update({service: (rate, rate) for service, rate in overrides.items()})
    return merged
