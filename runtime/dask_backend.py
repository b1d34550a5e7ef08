"""Run explorer batches on a Dask cluster (`faultline explore --dask ADDRESS|local`).

Optional: needs the [dask] extra. Results come back in task order, so totals match a local run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence

from runtime.errors import BadInputError


def map_on_dask(fn: Callable, tasks: Sequence, address: str) -> Iterator:
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
        except OSError as error:
            raise BadInputError(
                f"cannot reach the Dask scheduler at {address!r} ({error}); start one or use --dask local"
            ) from None
    try:
        for future in client.map(fn, list(tasks), pure=False):
            yield future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
