"""An ASGI application served by uvicorn on a loopback port, in a thread, for the tests that
need a real HTTP server (the ``spacetrack`` client, raw sockets, event streams)."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType
from typing import Any


def free_port() -> int:
    """A loopback port nothing listens on (yet)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    """``app`` under uvicorn on a free loopback port, started at once (``lifespan`` as
    uvicorn takes it: ``"off"`` leaves the application's startup work undone); ``base`` is
    its URL.  A context manager, or :meth:`stop` it."""

    def __init__(self, app: Any, *, lifespan: str = "auto", timeout_s: float = 10.0) -> None:
        import uvicorn

        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan=lifespan)  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"uvicorn did not start on port {self.port}")
            time.sleep(0.02)

    def stop(self, timeout_s: float = 5.0) -> bool:
        """Stop; True if the server's thread ended within ``timeout_s``."""
        self.server.should_exit = True
        self.thread.join(timeout_s)
        return not self.thread.is_alive()

    def __enter__(self) -> Served:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
