"""The job service's two operations on the SQL ports: submit a job under an idempotency key (the key's
claim and the job's publish in one transaction), and read a job's status back from the tables."""

from __future__ import annotations

import json
import os
import signal
import threading
import uuid
from typing import Any

from runtime.core import history as ev
from runtime.real.db import Database
from runtime.real.queries import queries
from runtime.real.queue import SqlQueue
from runtime.real.store import SqlStore

SQL = queries("jobs")

API = "api"
DEFAULT_DURATION_MS = 100
CRASH_AT = "FAULTLINE_CRASH_AT"
"""A drill's fault point for the service process (the environment of the process it starts)."""
KEY_TURN = "key:"  # the turn of a submission key's claim (Database.transaction)
API_BEFORE_PUBLISH = "api.before_publish"
"""Inside a submission's transaction: the key claimed (with dedupe), the job's message not yet
published. The service dies there with the transaction open: nothing of the submission lands."""


def submit(
    db: Database, queue: SqlQueue, payload: dict[str, Any], key: str | None, *, dedupe: bool = True
) -> tuple[str, bool]:
    """(job id, created). A key seen before answers its first job and writes nothing else: the unique
    key row and the job's message commit together, so concurrent submits of one key make one job.
    Without `dedupe` (the naive draft) every submit makes a job."""
    job_id = f"job-{uuid.uuid4().hex[:16]}"
    duration = int(payload.get("duration_ms", DEFAULT_DURATION_MS))
    # A transaction about one key (its claim and its job), or about one new job: submits of other keys
    # commit side by side (docs/08_real_world.md, "Turns").
    with db.transaction(KEY_TURN + key if key is not None and dedupe else job_id) as tx:
        if key is not None and dedupe:
            owner = SqlStore.claim_in(tx, API, key, job_id)  # the client's own key-claim rule
            if owner != job_id:
                tx.record(ev.SUBMIT_DEDUPLICATED, API, owner, None, None, key)
                return owner, False
        if os.environ.get(CRASH_AT) == API_BEFORE_PUBLISH:
            os.kill(os.getpid(), signal.SIGKILL)
        queue.publish(tx, API, job_id, payload, duration, key or job_id, key)
    announce = getattr(queue, "announce", None)  # a broker hears of the job once it is committed
    if announce is not None:
        announce(f"{API}:{threading.get_ident()}", job_id)  # one broker connection per request thread
    return job_id, True


def status(db: Database, job_id: str) -> dict[str, Any] | None:
    """A job's state (queued, delayed, running, succeeded, dead), attempts, times and last error; None
    for a job the service never made."""
    rows = db.read(
        SQL.status_select_history,
        (job_id,),
    )
    if not any(kind == ev.SUBMITTED for _, kind, _ in rows):
        return None
    now = db.now_ms()
    message = db.read(SQL.status_select_messages, (job_id,))
    attempts = db.read(SQL.status_select_job_attempts, (job_id,))
    dead = db.read(SQL.status_select_dead_letters, (job_id,))
    errors = [json.loads(detail).get("error") for _, kind, detail in rows if kind == ev.ATTEMPT_FAILED]
    if dead:
        state = "dead"
    elif message:
        leased, visible_at = message[0][0] == "leased", message[0][1]
        state = "running" if leased else ("delayed" if visible_at > now else "queued")
    elif any(kind == ev.ACKED for _, kind, _ in rows):
        state = "succeeded"
    else:
        state = "unknown"
    return {
        "job_id": job_id,
        "state": state,
        "attempts": attempts[0][0] if attempts else 0,
        "submitted_at_ms": next(t for t, kind, _ in rows if kind == ev.SUBMITTED),
        "updated_at_ms": rows[-1][0],
        "last_error": dead[0][0] if dead else (errors[-1] if errors else None),
    }
