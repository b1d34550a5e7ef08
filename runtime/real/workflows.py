"""The job service's workflow operations on the SQL ports: keep a workflow spec, trigger a run of it
(its rows, its start note and `workflow_triggered` in one transaction), and read a run back."""

from __future__ import annotations

import json
import uuid
from typing import Any

from runtime.core import workflow as wf
from runtime.core.ports import OK
from runtime.real.db import Database
from runtime.real.runs import SqlRuns, spec_json

API = "api"


def spec_from_json(text: str) -> wf.WorkflowSpec:
    return wf.spec_from_dict(json.loads(text))


def create(db: Database, spec: wf.WorkflowSpec) -> str:
    """Keep `spec`; its id."""
    workflow_id = f"wf-{uuid.uuid4().hex[:12]}"
    with db.transaction() as tx:
        tx.run(
            "INSERT INTO workflows (id, name, spec, created_ms) VALUES (?, ?, ?, ?)",
            (workflow_id, spec.name, spec_json(spec), tx.now),
        )
    return workflow_id


def trigger(db: Database, workflow_id: str) -> str | None:
    """Start a run of the workflow; its id (None: no such workflow)."""
    rows = db.read("SELECT spec FROM workflows WHERE id = ?", (workflow_id,))
    if not rows:
        return None
    spec = spec_from_json(rows[0][0])
    run = f"run-{uuid.uuid4().hex[:12]}"
    with db.transaction() as tx:
        SqlRuns.create(tx, API, run, spec)
        tx.call(API, "trigger_run", OK)
    return run


def has_table(db: Database, name: str) -> bool:
    """Whether the database has Faultline's table `name` (a read command never creates one)."""
    if db.dialect == "sqlite":
        return bool(db.read("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)))
    return db.read("SELECT to_regclass(?) IS NOT NULL", (name,))[0][0]


def newest_runs(db: Database, limit: int = 5) -> list[str]:
    """The ids of the newest workflow runs, newest first."""
    return [run for (run,) in db.read("SELECT run FROM runs ORDER BY created_ms DESC LIMIT ?", (limit,))]


def run_status(db: Database, run: str) -> dict[str, Any] | None:
    """A run's state and its tasks' states, attempts and times (run ms); None for an unknown run."""
    rows = db.read("SELECT workflow, state, created_ms, finished_ms FROM runs WHERE run = ?", (run,))
    if not rows:
        return None
    workflow, state, created, finished = rows[0]
    return {
        "run_id": run,
        "workflow": workflow,
        "state": state,
        "created_at_ms": created,
        "finished_at_ms": finished,
        "tasks": run_tasks(db, run),
    }


def run_tasks(db: Database, run: str) -> list[dict[str, Any]]:
    tasks = db.read(
        "SELECT task, state, parents, dispatched_ms, finished_ms FROM run_tasks WHERE run = ? ORDER BY position",
        (run,),
    )
    found = []
    for task, state, parents, dispatched, finished in tasks:
        job_id = wf.task_job_id(run, task)
        attempts = db.read("SELECT attempts FROM job_attempts WHERE job_id = ?", (job_id,))
        if state == wf.DISPATCHED and db.read("SELECT 1 FROM ledger WHERE job_id = ? LIMIT 1", (job_id,)):
            state = wf.SUCCEEDED  # committed; the dispatcher has not taken its note yet
        found.append(
            {
                "task": task,
                "job_id": job_id,
                "state": state,
                "depends_on": json.loads(parents),
                "attempts": attempts[0][0] if attempts else 0,
                "dispatched_at_ms": dispatched,
                "finished_at_ms": finished,
            }
        )
    return found
