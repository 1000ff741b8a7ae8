"""Signed webhook deliveries: the dispatcher that works through the outbox of deliveries,
the signature receivers check, and the in-process wake-up that alerts ring.

A delivery is an HTTP POST of the alert as JSON, with the headers

- ``Content-Type: application/json``
- ``X-Accord-Alert-Id``: the alert's id (a receiver's key to drop a repeat: delivery is at
  least once, so an attempt whose answer was lost is made again);
- ``X-Accord-Delivery-Id`` and ``X-Accord-Attempt``: the delivery and the attempt's number;
- ``X-Accord-Timestamp``: when it was signed, in Unix seconds;
- ``X-Accord-Signature: sha256=<hex>``: HMAC-SHA256 (RFC 2104 with FIPS 180-4's SHA-256)
  keyed by the webhook's secret, of the timestamp, a full stop and the body's bytes.

A 2xx answer delivers it.  Any other answer, a timeout or a connection error is retried
after an exponential backoff (``base_delay_s``, doubling, at most ``max_delay_s``) with
"equal jitter" (half the delay fixed, half drawn uniformly: M. Brooker, "Exponential
Backoff And Jitter", AWS Architecture Blog, 2015), until ``max_attempts`` attempts have been
made: the delivery is then dead (a dead letter, which ``redeliver`` tries once more).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import http.client
import json
import logging
import random
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from accord.services.store import Store

log = logging.getLogger(__name__)


# -- the wake-up ---------------------------------------------------------------------------


class Signal:
    """A wake-up shared by everything in this process that waits for new alerts of one
    database: dispatcher threads wait on a condition, server-sent-event streams on an
    asyncio event of their own loop.  ``generation`` counts the notifications; a waiter
    reads it before looking at the table and waits only if it has not moved since, so a
    notification between the look and the wait is never missed."""

    def __init__(self) -> None:
        self.generation = 0
        self._condition = threading.Condition()
        self._events: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()

    def notify(self) -> None:
        """Wake every waiter."""
        with self._condition:
            self.generation += 1
            self._condition.notify_all()
            events = list(self._events)
        for loop, event in events:
            with contextlib.suppress(RuntimeError):  # that loop has closed
                loop.call_soon_threadsafe(event.set)

    def wait(self, generation: int, timeout: float) -> None:
        """Block until a notification after ``generation``, or ``timeout`` seconds."""
        with self._condition:
            self._condition.wait_for(lambda: self.generation != generation, timeout)

    async def wait_async(self, generation: int, timeout: float) -> None:
        """Await a notification after ``generation``, or ``timeout`` seconds."""
        entry = (asyncio.get_running_loop(), asyncio.Event())
        with self._condition:
            if self.generation != generation:
                return
            self._events.add(entry)
        try:
            await asyncio.wait_for(entry[1].wait(), timeout)
        except TimeoutError:
            pass
        finally:
            with self._condition:
                self._events.discard(entry)


_SIGNALS: dict[str, Signal] = {}
_SIGNALS_LOCK = threading.Lock()


def signal_of(store: Store) -> Signal:
    """The wake-up of ``store``'s database in this process (shared by every store object
    opened on the same URL)."""
    key = store.engine.url.render_as_string(hide_password=True)
    with _SIGNALS_LOCK:
        return _SIGNALS.setdefault(key, Signal())


# -- signatures ----------------------------------------------------------------------------


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """Given a webhook's secret, a Unix timestamp and the body's bytes, return the
    ``X-Accord-Signature`` value: ``sha256=`` and the hex HMAC-SHA256 (RFC 2104) of
    ``timestamp + "." + body``."""
    message = str(timestamp).encode("ascii") + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str,
    timestamp: int | str,
    body: bytes | str,
    header: str,
    *,
    tolerance_s: float | None = 300.0,
    now: float | None = None,
) -> bool:
    """Given the webhook's secret, the ``X-Accord-Timestamp`` header, the body exactly as
    received and the ``X-Accord-Signature`` header, return True if Accord signed this body
    at that time.  The comparison takes the same time wherever the first difference lies
    (:func:`hmac.compare_digest`), so that timing does not reveal the signature.  A
    timestamp more than ``tolerance_s`` seconds from ``now`` (default: the clock) fails
    too, so that a recorded delivery cannot be replayed later (None: no limit).

    A receiver in Python::

        ok = verify_signature(secret, request.headers["X-Accord-Timestamp"], raw_body,
                              request.headers["X-Accord-Signature"])
    """
    stamp = str(timestamp).strip()
    if not stamp.isdigit():
        return False
    if tolerance_s is not None:
        moment = time.time() if now is None else now
        if abs(moment - int(stamp)) > tolerance_s:
            return False
    data = body.encode() if isinstance(body, str) else body
    return hmac.compare_digest(sign(secret, stamp, data).encode(), header.strip().encode())


def alert_body(claimed: Any) -> bytes:
    """The JSON body of a claimed delivery's alert: id, partner, kind, event, created (UTC,
    ISO 8601 with Z) and the payload as released to the partner."""
    document = {
        "id": claimed.alert_id,
        "partner": claimed.partner_code,
        "kind": claimed.kind,
        "event_id": claimed.event_id,
        "created": claimed.created_at.isoformat(timespec="microseconds") + "Z",
        "payload": claimed.payload,
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def backoff_s(attempts: int, base_s: float, cap_s: float, draw: float | None = None) -> float:
    """Given the attempts made so far (>= 1), return the wait before the next: ``base_s``
    doubled per attempt after the first, at most ``cap_s``, with equal jitter (``draw`` in
    [0, 1): the random part; None draws it)."""
    delay = min(cap_s, base_s * 2.0 ** (attempts - 1))
    part = random.random() if draw is None else draw
    return delay / 2.0 + delay / 2.0 * part


# -- sending -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: the HTTP status (None: no answer) and the error, if any."""

    status: int | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300


Sender = Callable[[str, bytes, dict[str, str]], Outcome]


def _describe(status: int, text: str) -> str:
    return f"HTTP {status}" + (f": {text.strip()[:200]}" if text.strip() else "")


class _KeptAliveSender:
    """POSTs over one kept-alive HTTP/1.1 connection per receiver (``http.client``: a few
    tens of microseconds of Python per request, where a general-purpose client's layers
    cost ten times as much under load).  A kept connection that the receiver has closed
    meanwhile is opened again once, for the same request."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._connections: dict[tuple[str, str, int], http.client.HTTPConnection] = {}

    def _connection(self, scheme: str, host: str, port: int) -> http.client.HTTPConnection:
        key = (scheme, host, port)
        conn = self._connections.get(key)
        if conn is None:
            if scheme == "https":
                context = ssl.create_default_context()
                conn = http.client.HTTPSConnection(host, port, timeout=self.timeout_s,
                                                   context=context)  # fmt: skip
            else:
                conn = http.client.HTTPConnection(host, port, timeout=self.timeout_s)
            self._connections[key] = conn
        return conn

    def _drop(self, key: tuple[str, str, int]) -> None:
        conn = self._connections.pop(key, None)
        if conn is not None:
            conn.close()

    def __call__(self, url: str, body: bytes, headers: dict[str, str]) -> Outcome:
        try:
            parts = urllib.parse.urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                return Outcome(None, f"ValueError: not an http(s) URL: {url!r}"[:500])
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            return Outcome(None, f"ValueError: {exc}"[:500])
        key = (parts.scheme, parts.hostname, port)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        for attempt in (0, 1):
            reused = key in self._connections
            conn = self._connection(*key)
            try:
                conn.request("POST", target, body=body, headers=headers)
                response = conn.getresponse()
                text = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self._drop(key)
                if reused and attempt == 0:
                    continue  # the receiver closed the kept connection: once more, afresh
                return Outcome(None, f"{type(exc).__name__}: {exc}"[:500])
            except (OSError, http.client.HTTPException, ValueError) as exc:
                self._drop(key)
                return Outcome(None, f"{type(exc).__name__}: {exc}"[:500])
            if response.will_close:
                self._drop(key)
            if 200 <= response.status < 300:
                return Outcome(response.status, None)
            return Outcome(response.status,
                           _describe(response.status, text.decode("utf-8", "replace")))  # fmt: skip
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        for key in list(self._connections):
            self._drop(key)


def new_sender(timeout_s: float) -> tuple[Sender, Callable[[], None]]:
    """A function that POSTs one delivery (kept-alive connections, ``timeout_s`` per
    request), and the function that releases its connections."""
    sender = _KeptAliveSender(timeout_s)
    return sender, sender.close
