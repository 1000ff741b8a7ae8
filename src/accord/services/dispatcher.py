"""The alert dispatcher: background threads that claim the deliveries that are due, POST
them to the partners' webhooks (signed, see :mod:`accord.services.webhooks`) and record
each outcome.

Deliveries are rows of the store (a transactional outbox: an alert and its deliveries are
committed together), so nothing depends on the process that raised the alert: a
dispatcher started later, in this process or another, delivers what is pending.  Claims
are leases (:func:`accord.storage.alerts.claim_due`): two dispatchers on one database,
in one process or several, never attempt the same delivery at the same time, and the
deliveries of a dispatcher that died are attempted again once its lease has passed.
Dispatchers wake when :func:`accord.services.alerts.notify` rings this process's
wake-up and otherwise look at the table every ``poll_s`` seconds, so an alert raised by
another process is delivered within that delay.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from datetime import timedelta
from types import TracebackType
from typing import Any

from accord.services.store import Store, utcnow
from accord.services.webhooks import (
    Outcome,
    Sender,
    alert_body,
    backoff_s,
    new_sender,
    sign,
    signal_of,
)
from accord.storage import alerts as repo

log = logging.getLogger(__name__)


class Dispatcher:
    """Delivers pending alerts to webhooks from ``workers`` background threads.

    ``max_attempts`` attempts per delivery before it is dead; backoff from ``base_delay_s``
    doubling to at most ``max_delay_s`` (with jitter); ``timeout_s`` per request; each
    thread claims up to ``batch`` deliveries at a time for ``lease_s`` seconds (default:
    long enough for a whole batch of timeouts, twice over), sends them, and records the
    batch's outcomes in one transaction (a process that stops between the two sends those
    again once the lease ends: delivery is at least once, and ``X-Accord-Delivery-Id`` lets
    a receiver drop a repeat); ``poll_s``: how often an idle thread looks at the table
    without being woken.
    """

    def __init__(
        self,
        store: Store,
        *,
        workers: int = 2,
        max_attempts: int = 12,
        base_delay_s: float = 1.0,
        max_delay_s: float = 300.0,
        timeout_s: float = 10.0,
        lease_s: float | None = None,
        poll_s: float = 0.5,
        batch: int = 16,
    ) -> None:
        if workers < 1 or max_attempts < 1 or batch < 1:
            raise ValueError("workers, max_attempts and batch must be at least 1")
        self.store = store
        self.workers, self.max_attempts, self.batch = workers, max_attempts, batch
        self.base_delay_s, self.max_delay_s = base_delay_s, max_delay_s
        self.timeout_s, self.poll_s = timeout_s, poll_s
        self.lease_s = lease_s if lease_s is not None else max(60.0, 2 * batch * timeout_s)
        self.counts = {"delivered": 0, "retried": 0, "dead": 0}
        self._signal = signal_of(store)
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._wakeups: list[float] = []  # monotonic times of retries this process scheduled
        self._lock = threading.Lock()

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> Dispatcher:
        """Start the worker threads (daemons); return self."""
        if self._threads:
            raise RuntimeError("this dispatcher has been started already")
        for k in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"accord-dispatcher-{k}",
                                      daemon=True)  # fmt: skip
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout_s: float = 15.0) -> None:
        """Stop the threads after their current attempt (deliveries claimed but not yet
        attempted are released at once) and wait up to ``timeout_s`` for them."""
        self._stopping.set()
        self._signal.notify()
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    @property
    def running(self) -> bool:
        """True while a worker thread is alive."""
        return any(t.is_alive() for t in self._threads)

    def __enter__(self) -> Dispatcher:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- work ------------------------------------------------------------------------------

    def run_once(self, send: Sender | None = None) -> int:
        """Claim one batch of due deliveries and attempt them in the calling thread; return
        how many were attempted (0: nothing was due)."""
        if send is not None:
            return self._step(send)
        send, close = new_sender(self.timeout_s)
        try:
            return self._step(send)
        finally:
            close()

    def _work(self) -> None:
        send, close = new_sender(self.timeout_s)
        try:
            while not self._stopping.is_set():
                generation = self._signal.generation
                try:
                    if self._step(send):
                        continue
                except Exception:  # the database may be away: log, wait, try again
                    log.exception("alert dispatcher: claiming or recording failed")
                    self._stopping.wait(self.poll_s)
                    continue
                self._signal.wait(generation, self._idle_s())
        finally:
            close()

    def _idle_s(self) -> float:
        """How long to wait idle: until the next retry this process scheduled, at most
        ``poll_s``."""
        now = time.monotonic()
        with self._lock:
            while self._wakeups and self._wakeups[0] <= now:
                heapq.heappop(self._wakeups)
            soonest = self._wakeups[0] - now if self._wakeups else self.poll_s
        return max(0.001, min(self.poll_s, soonest))

    def _step(self, send: Sender) -> int:
        now = utcnow()
        with self.store.engine.begin() as conn:
            claimed = repo.claim_due(conn, now, now + timedelta(seconds=self.lease_s),
                                     self.batch)  # fmt: skip
        outcomes: list[tuple[Any, Outcome]] = []
        for k, row in enumerate(claimed):
            if self._stopping.is_set():
                self._release(claimed[k:])
                break
            outcomes.append((row, self._send(row, send)))
        if outcomes:  # one commit for the batch's outcomes, the delivered in one statement
            answered = [(r.id, r.attempts, int(o.status or 0)) for r, o in outcomes if o.delivered]
            with self.store.engine.begin() as conn:
                delivered = repo.mark_delivered_many(conn, answered, utcnow())
                done = [self._record(conn, r, o) for r, o in outcomes if not o.delivered]
            with self._lock:
                self.counts["delivered"] += delivered
                for what in done:
                    if what is not None:
                        self.counts[what] += 1
        return len(claimed)

    def _release(self, rows: list[Any]) -> None:
        """Give claimed deliveries back, due now, as if never claimed."""
        with self.store.engine.begin() as conn:
            for row in rows:
                repo.release(conn, row.id, row.attempts, utcnow())

    def _send(self, row: Any, send: Sender) -> Outcome:
        body = alert_body(row)
        stamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Accord-Webhooks/1",
            "X-Accord-Alert-Id": str(row.alert_id),
            "X-Accord-Delivery-Id": str(row.id),
            "X-Accord-Attempt": str(row.attempts),
            "X-Accord-Timestamp": str(stamp),
            "X-Accord-Signature": sign(row.secret, stamp, body),
        }
        return send(row.url, body, headers)

    def _record(self, conn: Any, row: Any, outcome: Outcome) -> str | None:
        """Record one failed attempt's outcome (ignored where the claim is no longer ours);
        what became of the delivery, or None."""
        now = utcnow()
        if row.attempts >= self.max_attempts:
            error = outcome.error or "no answer"
            kept = repo.mark_dead(conn, row.id, row.attempts, outcome.status, error, now)
            what = "dead"
        else:
            wait = backoff_s(row.attempts, self.base_delay_s, self.max_delay_s)
            error = outcome.error or "no answer"
            kept = repo.mark_retry(conn, row.id, row.attempts, outcome.status, error,
                                   now + timedelta(seconds=wait))  # fmt: skip
            what = "retried"
            with self._lock:
                heapq.heappush(self._wakeups, time.monotonic() + wait)
        return what if kept else None
