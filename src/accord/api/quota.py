"""Request quotas: a sliding window per caller, overall and per request class.

Space-Track documents 30 requests a minute and 300 an hour per account and bans accounts
that go over; Accord answers 429 with ``Retry-After`` instead, and a caller over one class's
quota can still use the others.  The request class is the Space-Track class of a query
(``gp``, ``gp_history``, ``cdm_public``...) or the first segment of a native path
(``objects``, ``submissions``...).  Counts are kept per server worker.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import deque
from collections.abc import Mapping

_SPACETRACK_CLASS = re.compile(r"^/[a-z]+/(?:query|modeldef)/class/([A-Za-z_]+)")
_NATIVE = re.compile(r"^/api/v1/([a-z-]+)")


def request_class(path: str) -> str | None:
    """Given a request path, return its request class, or None for paths outside both APIs
    (the schema, login)."""
    match = _SPACETRACK_CLASS.match(path) or _NATIVE.match(path)
    return match.group(1).lower() if match else None


class Quota:
    """A sliding-window request quota per caller: at most ``limit`` requests in any
    ``window`` seconds; over it, the number of seconds until the oldest request leaves the
    window."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, key: str, now: float | None = None) -> float | None:
        """Count a request; return None if admitted, else the seconds to wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            seen = self._seen.setdefault(key, deque())
            while seen and seen[0] <= now - self.window:
                seen.popleft()
            if len(seen) >= self.limit:
                return seen[0] + self.window - now
            seen.append(now)
            return None

    def forget(self, key: str) -> None:
        """Take back the last request counted for ``key`` (refused by another quota)."""
        with self._lock:
            seen = self._seen.get(key)
            if seen:
                seen.pop()


class Quotas:
    """The overall quota and the per-class quotas of every caller, in one window."""

    def __init__(self, limit: int, window: float, per_class: Mapping[str, int]) -> None:
        self.overall = Quota(limit, window)
        self.per_class = {name.lower(): Quota(n, window) for name, n in per_class.items()}

    def admit(self, key: str, request_class: str | None) -> tuple[int, str] | None:
        """Count a request of ``key`` in ``request_class``; None if admitted, else the whole
        seconds to wait and what was exceeded.  A refused request counts against nothing."""
        quota = self.per_class.get(request_class or "")
        if quota is not None:
            wait = quota.admit(key)
            if wait is not None:
                return max(1, math.ceil(wait)), (
                    f"{quota.limit} {request_class} requests per {quota.window:g} s"
                )
        wait = self.overall.admit(key)
        if wait is not None:
            if quota is not None:
                quota.forget(key)
            return max(1, math.ceil(wait)), (
                f"{self.overall.limit} requests per {self.overall.window:g} s"
            )
        return None
