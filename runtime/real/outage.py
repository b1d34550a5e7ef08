"""A store outage for real: the database is unavailable for a window, then comes back.

SQLite: a connection holds the write lock (BEGIN EXCLUSIVE), so every transaction times out.
Postgres: the database stops accepting connections and its open ones are terminated.
The outage's own events (`outage_started`, `outage_ended`) are written when it ends."""

from __future__ import annotations

import sqlite3

from runtime.core import history as ev
from runtime.real.db import Database, detail_json, retry, sqlite_path

STORE = "store"


def take_database_away(url: str):
    """Make the database unavailable; returns the handle `give_database_back` needs."""
    if not url.startswith(("postgres://", "postgresql://")):
        lock = sqlite3.connect(sqlite_path(url), isolation_level=None, timeout=5)
        lock.execute("BEGIN EXCLUSIVE")
        return lock
    import psycopg
    from psycopg import sql

    name = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
    admin = psycopg.conninfo.make_conninfo(url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(sql.Identifier(name)))
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
    return name


def give_database_back(handle, db: Database, start_ms: int, end_ms: int) -> None:
    """End the outage and record it (started at `start_ms`, ended at `end_ms`, run time)."""
    rows = (
        (start_ms, ev.OUTAGE_STARTED, STORE, None, None, None, detail_json(ev.OUTAGE_STARTED, (end_ms,))),
        (end_ms, ev.OUTAGE_ENDED, STORE, None, None, None, detail_json(ev.OUTAGE_ENDED, ())),
    )
    if isinstance(handle, sqlite3.Connection):
        for row in rows:
            handle.execute(
                "INSERT INTO history (time_ms, kind, actor, job_id, attempt, token, detail) VALUES (?,?,?,?,?,?,?)", row
            )
        handle.execute("COMMIT")
        handle.close()
        return
    import psycopg
    from psycopg import sql

    admin = psycopg.conninfo.make_conninfo(db.url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(sql.Identifier(handle)))

    def write():
        with db.transaction() as tx:
            for row in rows:
                tx.record_at(*row)

    retry(db, write)
