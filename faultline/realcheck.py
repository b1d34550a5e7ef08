"""Checks of the real world's inputs before any work: a database Faultline can reach and own."""

from __future__ import annotations

import os
from pathlib import Path

from runtime.core.errors import BadInputError
from runtime.real.db import dialect_of, ensure_database, sqlite_path


def check_database(url: str, option: str) -> None:
    """A SQLite file whose folder exists (created for the default), or a reachable Postgres server."""
    if dialect_of(url) == "sqlite":
        path = Path(sqlite_path(url))
        if str(path.parent) == ".faultline":  # the defaults' folder
            path.parent.mkdir(exist_ok=True)
        if not url or path.is_dir():
            raise BadInputError(f"{option} {url!r}: give a SQLite file path or a postgresql:// URL")
        if not path.parent.is_dir():
            raise BadInputError(f"{option} {url!r}: folder {str(path.parent)!r} does not exist; create it first")
        if not os.access(path.parent, os.W_OK):
            raise BadInputError(f"{option} {url!r}: folder {str(path.parent)!r} is not writable; choose another path")
        return
    try:
        import psycopg

        info = psycopg.conninfo.conninfo_to_dict(url)
    except Exception as error:  # noqa: BLE001 - any parse error is bad input
        raise BadInputError(
            f"{option} {url!r} is not a Postgres URL ({error}); e.g. postgresql://postgres@127.0.0.1:5432/faultline"
        ) from None
    if not info.get("dbname") or info["dbname"] == "postgres":
        raise BadInputError(f"{option} {url!r}: name a database Faultline may reset, e.g. .../faultline_lab")
    try:
        ensure_database(url)
    except Exception as error:  # noqa: BLE001 - unreachable server, refused login
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise BadInputError(
            f"{option} {url!r}: cannot reach the server ({first}); start Postgres or fix the URL"
        ) from None


REAL_WORLD_LIMITS = {
    "FM_009": (
        "fix",
        "the queue lives in the same database as the store, so an outage also stops submissions and "
        "leases; the backlog arrives the moment the database is back, and fresh jobs are not governed by "
        "the retry budget, so the fixed policy still offers the store more than 24 calls in that second "
        "(INV_008). The simulator's broker stays up through a store outage.",
    ),
}
"""FM id -> (the direction the real world cannot show, why). docs/08_real_world.md lists them."""
