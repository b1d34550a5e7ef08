"""The job service's workflow operations on the SQL ports: keep a workflow spec, trigger a run of it
(its rows, its start note and `workflow_triggered` in one transaction), and read a run back."""

from __future__ import annotations

import json
import uuid
from typing import Any

from runtime.core.ports import OK
from runtime.core.workflow.progress import DISPATCHED, SUCCEEDED, task_job_id
from runtime.core.workflow.spec import WorkflowSpec, spec_from_dict
from runtime.real.db import Database
from runtime.real.queries import queries
from runtime.real.runs import SqlRuns, spec_json

SQL = queries("workflow_store")

API = "api"


def spec_from_json(text: str) -> WorkflowSpec:
    return spec_from_dict(json.loads(text))


def create(db: Database, spec: WorkflowSpec) -> str:
    """Keep `spec`; its id."""
    workflow_id = f"wf-{uuid.uuid4().hex[:12]}"
    with db.transaction() as tx:
        tx.run(
            SQL.create_insert_workflows,
            (workflow_id, spec.name, spec_json(spec), tx.now),
        )
    return workflow_id


def trigger(db: Database, workflow_id: str) -> str | None:
    """Start a run of the workflow; its id (None: no such workflow)."""
    rows = db.read(SQL.trigger_select_workflows, (workflow_id,))
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
    return any(row[0] for row in db.read(SQL.of("has_table", db.dialect), (name,)))


def newest_runs(db: Database, limit: int = 5) -> list[str]:
    """The ids of the newest workflow runs, newest first."""
    return [run for (run,) in db.read(SQL.newest_runs_select_runs, (limit,))]


def run_status(db: Database, run: str) -> dict[str, Any] | None:
    """A run's state and its tasks' states, attempts and times (run ms); None for an unknown run."""
    rows = db.read(SQL.run_status_select_runs, (run,))
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
        SQL.run_tasks_select_run_tasks,
        (run,),
    )
    found = []
    for task, state, parents, dispatched, finished in tasks:
        job_id = task_job_id(run, task)
        attempts = db.read(SQL.run_tasks_select_job_attempts, (job_id,))
        if state == DISPATCHED and db.read(SQL.run_tasks_select_ledger, (job_id,)):
            state = SUCCEEDED  # committed; the dispatcher has not taken its note yet
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
