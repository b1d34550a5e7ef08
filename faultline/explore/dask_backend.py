"""Run explorer batches on a Dask cluster (`faultline explore --dask ADDRESS|local`).

Optional: needs the [dask] extra. Results come back in task order, so totals match a local run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator

from faultline.explore.parallel import windowed
from runtime.core.errors import BadInputError


def check_address(address: str) -> None:
    """`local`, or a scheduler address such as tcp://127.0.0.1:8786: checked before any work."""
    if address == "local":
        return
    scheme, sep, rest = address.partition("://")
    host, colon, port = (rest if sep else address).rpartition(":")
    if not (colon and host and port.isascii() and port.isdigit() and (not sep or scheme in ("tcp", "tls", "inproc"))):
        raise BadInputError(
            f"--dask {address!r} is neither 'local' nor a scheduler address such as tcp://127.0.0.1:8786"
        )


def map_on_dask(fn: Callable, tasks: Iterable, size_of: Callable, address: str) -> Iterator:
    check_address(address)
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise BadInputError("--dask needs the dask extra: .venv/bin/pip install '.[dask]' (or drop --dask)") from None
    cluster = None
    if address == "local":
        cluster = LocalCluster(
            n_workers=max(1, min(4, os.cpu_count() or 1)),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        client = Client(cluster)
    else:
        try:
            client = Client(address, timeout="10s")
        except (OSError, ValueError, TypeError) as error:
            raise BadInputError(
                f"cannot reach the Dask scheduler at {address!r} ({error}); start one or use --dask local"
            ) from None
    try:
        yield from windowed(tasks, lambda task: client.submit(fn, task, pure=False), size_of, 16)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
