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
from runtime.real.runs import SqlRuns


def register(tx: Tx, name: str, pid: int) -> None:
    """A process starting a new incarnation: it holds nothing yet."""
    tx.run("INSERT INTO actors (name) VALUES (?) ON CONFLICT (name) DO NOTHING", (name,))
    tx.run("UPDATE actors SET pid = ?, holding = NULL WHERE name = ?", (pid, name))


def record_crash(tx: Tx, name: str, *, how: str | None = None, held: Sequence[Any] | None = None) -> None:
    """`name` died: record `crashed` with what it held (`held`, else what it wrote down, else the newest
    lease the queue still gives it) at the point and the moment it wrote down (else `how`, now), then
    forget its memory and give back the completion notes it held."""
    tx.run("INSERT INTO actors (name) VALUES (?) ON CONFLICT (name) DO NOTHING", (name,))  # died registering
    holding, point, incarnation, died_ms = tx.one(
        "SELECT holding, point, incarnation, died_ms FROM actors WHERE name = ?", (name,)
    )
    if held is None and holding:
        held = json.loads(holding)
    if held is None:
        held = tx.one(
            "SELECT job_id, attempt, token FROM messages WHERE owner = ? AND state = 'leased' ORDER BY token DESC",
            (name,),
        )
    job_id, attempt, token = held if held is not None else (None, None, None)
    at = tx.now if died_ms is None else died_ms  # the moment it died, before anything its death caused
    detail = detail_json(ev.CRASHED, (point if point is not None else how, incarnation))
    tx.record_at(at, ev.CRASHED, name, job_id, attempt, token, detail)
    tx.run("UPDATE actors SET holding = NULL, point = NULL, died_ms = NULL WHERE name = ?", (name,))
    SqlRuns.release_in(tx, name)  # a dispatcher's notes come back (a worker holds none)


def record_restart(tx: Tx, name: str) -> int:
    """`name` starts its next incarnation; returns its number."""
    incarnation = int(
        tx.one("UPDATE actors SET incarnation = incarnation + 1 WHERE name = ? RETURNING incarnation", (name,))[0]
    )
    tx.record(ev.RESTARTED, name, None, None, None, incarnation)
    return incarnation


def lease_holder_pid(db: Database) -> int | None:
    """The process id of a worker holding a lease now (the first by name), or None."""
    rows = db.read(
        "SELECT a.pid FROM actors a JOIN messages m ON m.owner = a.name "
        "WHERE m.state = 'leased' AND a.pid IS NOT NULL ORDER BY a.name"
    )
    return int(rows[0][0]) if rows else None


def settled(db: Database) -> bool:
    """No message left in the queue and no process holding anything."""
    messages, holding = db.read(
        "SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM actors WHERE holding IS NOT NULL)"
    )[0]
    return bool(messages == 0 and holding == 0)
