"""A Dask cluster to screen on: the client of the scheduler named in the settings.

Dask is optional (``pip install 'accord[dask]'``): it is imported only when a scheduler is
named, and without it everything runs in one process.  docs/scale.md gives the deployment.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from accord.errors import ConfigurationError

CONNECT_TIMEOUT_S = 10.0


@contextmanager
def cluster_client(address: str | None) -> Iterator[Any]:
    """Given a scheduler address (``tcp://HOST:PORT``) or None, yield a connected
    ``dask.distributed.Client`` (closed on exit), or None: screen in this process."""
    if not address:
        yield None
        return
    try:
        from distributed import Client
    except ImportError as exc:
        raise ConfigurationError(
            f"screening on the Dask scheduler {address} needs Dask's distributed scheduler: "
            "pip install 'accord[dask]'"
        ) from exc
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConfigurationError(
            f"could not connect to a Dask scheduler at {address} (expected tcp://HOST:PORT "
            f"of a running `dask scheduler`; waited up to {CONNECT_TIMEOUT_S:g} s): {exc}"
        ) from exc
    with client:
        yield client
