"""The lab's own book of a probe: one SQLite file the probed queue never touches.

Every process of a probe writes here: the driver (submissions, faults, the queue states it polls)
and the lab's handler inside the probed queue's worker processes (deliveries, effects, returns).
The ledger table has no unique constraint, so a second effect of one job is a second row. Times are
CLOCK_MONOTONIC nanoseconds, one clock every process on the machine reads alike; a row's time is
taken inside the transaction that writes it (BEGIN IMMEDIATE: one writer at a time), so the rows'
order is their time order.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

from runtime.real.queries import queries

SQL = queries("ledger")

SCHEMA = SQL.schema


class Book:
    """A connection to a probe's book (one per process; SQLite serialises the writers)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.pid = os.getpid()  # the process that opened this connection (a forked child opens its own)
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self.db.execute(SQL.pragma_wal)
        self.db.execute(SQL.pragma_synchronous)

    @classmethod
    def create(cls, path: str | Path) -> Book:
        book = cls(path)
        book.db.executescript(SCHEMA)
        return book

    def close(self) -> None:
        self.db.close()

    def _turn(self, work):
        """`work(db, now)` in one IMMEDIATE transaction; the time is read once the write lock is held,
        so rows commit in time order. Returns what `work` returns."""
        db = self.db
        db.execute(SQL.begin_immediate)
        try:
            done = work(db, time.monotonic_ns())
            db.execute(SQL.commit)
        except BaseException:
            db.execute(SQL.rollback)
            raise
        return done

    def event(self, kind: str, actor: str, job=None, attempt=None, token=None, **detail) -> int:
        """One event; returns its time."""

        def write(db, now):
            db.execute(_INSERT_EVENT, (now, kind, actor, job, attempt, token, _json(detail)))
            return now

        return self._turn(write)

    def deliver(self, job: str, actor: str, pid: int) -> tuple[int, int]:
        """The handler began: the job's next attempt and a token unique in the probe, recorded as
        `leased` and `started` in one transaction (the lab sees a delivery only when its handler runs)."""

        def write(db, now):
            (attempt,) = db.execute(SQL.deliver_select_events, (job,)).fetchone()
            (token,) = db.execute(SQL.deliver_select_events_2).fetchone()
            db.execute(_INSERT_EVENT, (now, "leased", actor, job, attempt, token, "{}"))
            db.execute(_INSERT_EVENT, (now, "started", actor, job, attempt, token, _json({"pid": pid})))
            return attempt, token

        return self._turn(write)

    def effect(self, job: str, actor: str, attempt: int, token: int, request: str, key: str | None) -> int:
        """The effect: a ledger row and its `effect_committed` event, in one transaction."""
        detail = _json({"effect": "charge", "amount": 1, "request": request})

        def write(db, now):
            db.execute(
                SQL.effect_insert_ledger,
                (job, token, request, key, now),
            )
            db.execute(_INSERT_EVENT, (now, "effect_committed", actor, job, attempt, token, detail))
            return now

        return self._turn(write)

    def events(self) -> list[tuple]:
        return self.db.execute(SQL.events_select_events).fetchall()

    def ledger_rows(self) -> list[tuple]:
        return self.db.execute(SQL.ledger_rows_select_ledger).fetchall()

    def reached(self, point: str) -> list[tuple[str, int, str]]:
        """(job, attempt, actor) of every handler that reached a hold at this point."""
        return self.db.execute(
            SQL.reached_select_events,
            (point,),
        ).fetchall()

    def started_jobs(self) -> list[tuple[str, int, str]]:
        return self.db.execute(SQL.started_jobs_select_events).fetchall()


_INSERT_EVENT = SQL.insert_event


def _json(detail: dict) -> str:
    return json.dumps(detail, sort_keys=True)
