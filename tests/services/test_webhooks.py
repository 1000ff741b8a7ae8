"""The webhook sender: kept-alive connections, a receiver that closes them, errors as data."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from accord.services.webhooks import new_sender
from tests.served import free_port


class _Server:
    """A loopback HTTP/1.1 server that answers 200 (or 503 for path /busy) and, with
    ``hang_up``, closes each connection after one answer without saying so."""

    def __init__(self, hang_up: bool) -> None:
        self.hang_up = hang_up
        self.connections = 0
        self.bodies: list[bytes] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                server.connections += 1

            def do_POST(self) -> None:
                server.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
                busy = self.path == "/busy"
                self.send_response(503 if busy else 200)
                text = b"try later" if busy else b""
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)
                if hang_up:
                    self.close_connection = True

            def log_message(self, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"


@pytest.fixture(params=[False, True], ids=["kept-alive", "hangs-up"])
def server(request: pytest.FixtureRequest) -> Iterator[_Server]:
    s = _Server(hang_up=request.param)
    yield s
    s.http.shutdown()
    s.http.server_close()


def test_deliveries_reuse_one_connection_or_reconnect_when_the_receiver_hangs_up(
    server: _Server,
) -> None:
    send, close = new_sender(5.0)
    try:
        outcomes = [send(server.url + "/hook", b'{"n":%d}' % k, {"X-N": str(k)}) for k in range(5)]
    finally:
        close()
    assert [(o.status, o.error, o.delivered) for o in outcomes] == [(200, None, True)] * 5
    assert server.bodies == [b'{"n":%d}' % k for k in range(5)]  # each exactly once
    assert server.connections == (5 if server.hang_up else 1)


def test_an_error_answer_carries_status_and_text(server: _Server) -> None:
    send, close = new_sender(5.0)
    try:
        outcome = send(server.url + "/busy", b"{}", {})
    finally:
        close()
    assert (outcome.status, outcome.error, outcome.delivered) == (503, "HTTP 503: try later", False)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"http://127.0.0.1:{free_port()}/hook", "ConnectionRefusedError"),
        ("ftp://127.0.0.1/hook", "ValueError: not an http(s) URL"),
        ("http://127.0.0.1:99999/hook", "ValueError"),
    ],
)
def test_unreachable_or_malformed_urls_are_outcomes_not_exceptions(url: str, expected: str) -> None:
    send, close = new_sender(2.0)
    try:
        outcome = send(url, b"{}", {})
    finally:
        close()
    assert outcome.status is None and not outcome.delivered
    assert outcome.error is not None and outcome.error.startswith(expected)
