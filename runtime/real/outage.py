"""A store outage for real: the database is unavailable for a window, then comes back.

SQLite: a connection holds the write lock (BEGIN EXCLUSIVE), so every transaction times out.
Postgres: the database stops accepting connections and its open ones are terminated.

The outage is recorded at the times it really began and ended, by the run's one clock: it began once
the database was away (the lock held, every connection gone) and ended just before it came back, so
no transaction's time falls inside it. Its events (`outage_started`, `outage_ended`) are written when
it ends, and the history's time order puts them in place."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from runtime.core import history as ev
from runtime.real.db import Database, detail_json, outage_marker, retry, sqlite_path
from runtime.real.queries import queries

SQL = queries("outage")

STORE = "store"
GONE_S = 5.0  # how long terminated Postgres backends may take to exit


class Outage:
    """The database `db` names, taken away now; `give_back()` ends the outage and records it."""

    def __init__(self, db: Database) -> None:
        self.db = db
        db.close()
        self._handle = _take_away(db.url)
        self.away_ms = db.now_ms()

    def give_back(self) -> tuple[int, int]:
        """End the outage; record it from when the database went away to now. Returns (away, back)."""
        db, away = self.db, self.away_ms
        back = db.now_ms()  # read while the database is still away: every later transaction is later
        rows = (
            (away, ev.OUTAGE_STARTED, STORE, None, None, None, detail_json(ev.OUTAGE_STARTED, (back,))),
            (back, ev.OUTAGE_ENDED, STORE, None, None, None, detail_json(ev.OUTAGE_ENDED, ())),
        )
        handle = self._handle
        if isinstance(handle, sqlite3.Connection):
            Path(outage_marker(db.url)).unlink(missing_ok=True)
            for row in rows:
                handle.execute(
                    SQL.give_back_insert_history,
                    row,
                )
            handle.execute(SQL.commit)
            handle.close()
            return away, back
        _allow_connections(db.url, handle, True)

        def write():
            with db.transaction() as tx:
                for row in rows:
                    tx.record_at(*row)

        retry(db, write)
        return away, back


def _take_away(url: str):
    if not url.startswith(("postgres://", "postgresql://")):
        lock = sqlite3.connect(sqlite_path(url), isolation_level=None, timeout=5)
        lock.execute(SQL.begin_exclusive)
        Path(outage_marker(url)).touch()  # callers are refused at once, not after waiting out the lock
        return lock
    import psycopg

    name = str(psycopg.conninfo.conninfo_to_dict(url)["dbname"])
    _allow_connections(url, name, False)
    admin = psycopg.conninfo.make_conninfo(url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        # Every connection goes, each between two transactions: one killed inside its COMMIT may have
        # committed without its client knowing (an outcome nobody can judge); the store is away once
        # the last is gone.
        deadline = time.monotonic() + GONE_S
        while time.monotonic() < deadline:
            conn.execute(
                SQL.take_away_select_pg_stat_activity,
                (name,),
            )
            if not conn.execute(SQL.take_away_select_pg_stat_activity_2, (name,)).fetchone():
                break
            time.sleep(0.002)
        else:  # a transaction that never ends: take it away anyway
            conn.execute(SQL.take_away_select_pg_stat_activity_3, (name,))
    return name


def _allow_connections(url: str, name: str, allow: bool) -> None:
    import psycopg
    from psycopg import sql

    admin = psycopg.conninfo.make_conninfo(url, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL(SQL.allow_connections).format(sql.Identifier(name), sql.SQL("true" if allow else "false")))
