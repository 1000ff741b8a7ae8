"""A webhook receiver for the tests: a real HTTP server on loopback (``http.server`` in a
thread) that checks every delivery's signature with the receiver-side function and answers
scripted statuses."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from accord.services.alerts import verify_signature


class Receiver:
    """Answers each POST with the next of ``statuses`` (then ``default``); keeps what it
    received, which alert ids it accepted (2xx) and how many signatures failed."""

    def __init__(
        self, secret: str = "", statuses: tuple[int, ...] = (), default: int = 200
    ) -> None:
        self.secret = secret
        self.statuses = list(statuses)
        self.default = default
        self.received: list[dict[str, Any]] = []
        self.accepted: Counter[int] = Counter()
        self.bad_signatures = 0
        self.arrivals: dict[int, float] = {}  # alert id -> time.perf_counter() of acceptance
        self._condition = threading.Condition()
        self._server: ThreadingHTTPServer | None = None

    def start(self, port: int = 0) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a production receiver would

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver._receive(self, body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                         daemon=True).start()  # fmt: skip
        return self

    def _receive(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        headers = handler.headers
        signed = verify_signature(self.secret, headers["X-Accord-Timestamp"], body,
                                  headers["X-Accord-Signature"])  # fmt: skip
        with self._condition:
            status = self.statuses.pop(0) if self.statuses else self.default
            if not signed:
                self.bad_signatures += 1
                status = 401
            document = json.loads(body)
            self.received.append({"headers": dict(headers), "body": document, "status": status})
            if 200 <= status < 300:
                self.accepted[document["id"]] += 1
                self.arrivals.setdefault(document["id"], time.perf_counter())
            self._condition.notify_all()
        handler.send_response(status)
        handler.send_header("Content-Length", "2")
        handler.end_headers()
        handler.wfile.write(b"no" if status >= 300 else b"ok")

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def wait_for(self, accepted: int, timeout_s: float = 10.0) -> bool:
        """Wait until ``accepted`` distinct alerts were accepted; False on timeout."""
        with self._condition:
            return self._condition.wait_for(lambda: len(self.accepted) >= accepted, timeout_s)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
