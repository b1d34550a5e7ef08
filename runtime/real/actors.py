"""The actors table: what a supervisor knows of each process it runs, and the one way every real-world
supervisor (`faultline run --real`, the drills, `faultline worker`) writes a process's crash and its
restart. A killed process can't speak, so its supervisor says what it held and where it died.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from runtime.core import history as ev
from runtime.real.db import Database, Tx, detail_json
from runtime.real.queries import queries
from runtime.real.runs import SqlRuns

SQL = queries("actors")


def register(tx: Tx, name: str, pid: int) -> None:
    """A process starting a new incarnation: it holds nothing yet."""
    tx.run(SQL.register_insert_actors, (name,))
    tx.run(SQL.register_update_actors, (pid, name))


def record_crash(tx: Tx, name: str, *, how: str | None = None, held: Sequence[Any] | None = None) -> None:
    """`name` died: record `crashed` with what it held (`held`, else what it wrote down, else the newest
    lease the queue still gives it) at the point and the moment it wrote down (else `how`, now), then
    forget its memory and give back the completion notes it held."""
    tx.run(SQL.register_insert_actors, (name,))  # died registering
    holding, point, incarnation, died_ms = tx.one(SQL.record_crash_select_actors, (name,))
    if held is None and holding:
        held = json.loads(holding)
    if held is None:
        held = tx.one(
            SQL.record_crash_select_messages,
            (name,),
        )
    job_id, attempt, token = held if held is not None else (None, None, None)
    at = tx.now if died_ms is None else died_ms  # the moment it died, before anything its death caused
    detail = detail_json(ev.CRASHED, (point if point is not None else how, incarnation))
    tx.record_at(at, ev.CRASHED, name, job_id, attempt, token, detail)
    tx.run(SQL.record_crash_update_actors, (name,))
    SqlRuns.release_in(tx, name)  # a dispatcher's notes come back (a worker holds none)


def record_restart(tx: Tx, name: str) -> int:
    """`name` starts its next incarnation; returns its number."""
    incarnation = int(tx.one(SQL.record_restart_update_actors, (name,))[0])
    tx.record(ev.RESTARTED, name, None, None, None, incarnation)
    return incarnation


def lease_holder_pid(db: Database) -> int | None:
    """The process id of a worker holding a lease now (the first by name), or None."""
    rows = db.read(SQL.lease_holder_pid_select_actors)
    return int(rows[0][0]) if rows else None


def settled(db: Database) -> bool:
    """No message left in the queue and no process holding anything."""
    messages, holding = db.read(SQL.settled_select_messages)[0]
    return bool(messages == 0 and holding == 0)
