"""The SQL runs tables (a RunsPort) with the in-memory semantics (runtime/sim/runs.py): runs and
their task instances, completion notes, the ticks fenced triggers claim, the leader lock. They live
in the queue's database, so a dispatch that enqueues and marks is one transaction.

A task's completion is read from the ground truth: its job's ledger row (succeeded) or dead letter
(failed). Unsettled task jobs wait in `task_jobs`; whoever takes a note first settles the ones that
finished, in ledger then dead-letter order, each becoming a note.
"""

from __future__ import annotations

import json
from typing import Any

from runtime.core import history as ev
from runtime.core import workflow as wf
from runtime.core.ports import DUPLICATE_ROW, FENCED, OK, UNAVAILABLE, Note
from runtime.real.db import Database, Unavailable

UNSYNCED = (
    "SELECT t.job_id FROM task_jobs t WHERE EXISTS (SELECT 1 FROM ledger l WHERE l.job_id = t.job_id) "
    "OR EXISTS (SELECT 1 FROM dead_letters d WHERE d.job_id = t.job_id)"
)


def spec_json(spec) -> str:
    """A WorkflowSpec as JSON (what the runs and workflows tables keep)."""
    return json.dumps(wf.spec_to_dict(spec), sort_keys=True)


class SqlRuns:
    def __init__(self, db: Database, queue, plan=None) -> None:
        self.db, self.queue = db, queue
        self._shape = wf.job_shaper(plan)

    def _call(self, actor: str, operation: str, body, refused_value=None, pair: bool = False):
        made = self.db.now_ms()
        try:
            with self.db.transaction() as tx:
                return body(tx)
        except Unavailable:
            self.db.refused(actor, operation, UNAVAILABLE, made)
            return (UNAVAILABLE, refused_value) if pair else UNAVAILABLE

    # -- the ground truth ------------------------------------------------------------------
    def _sync(self, tx) -> None:
        done = tx.all(
            "SELECT t.job_id, min(l.id) FROM task_jobs t JOIN ledger l ON l.job_id = t.job_id GROUP BY t.job_id"
        )
        dead = tx.all(
            "SELECT t.job_id, min(d.id) FROM task_jobs t JOIN dead_letters d ON d.job_id = t.job_id "
            "WHERE NOT EXISTS (SELECT 1 FROM ledger l WHERE l.job_id = t.job_id) GROUP BY t.job_id"
        )
        for rows, state in ((done, wf.SUCCEEDED), (dead, wf.FAILED)):
            for job_id, _ in sorted(rows, key=lambda row: row[1]):
                run, task = tx.one("DELETE FROM task_jobs WHERE job_id = ? RETURNING run, task", (job_id,))
                tx.run(
                    "UPDATE run_tasks SET state = ?, finished_ms = ? WHERE run = ? AND task = ?",
                    (state, tx.now, run, task),
                )
                tx.run("INSERT INTO notes (run, task) VALUES (?, ?)", (run, task))

    @staticmethod
    def _states(tx, run: str) -> tuple[dict[str, list[str]], dict[str, str]]:
        rows = tx.all("SELECT task, parents, state FROM run_tasks WHERE run = ? ORDER BY position", (run,))
        return {task: json.loads(parents) for task, parents, _ in rows}, {task: state for task, _, state in rows}

    def notes_waiting(self) -> bool:
        try:
            rows = self.db.read(f"SELECT 1 FROM notes UNION ALL SELECT 1 FROM ({UNSYNCED}) AS unsynced LIMIT 1")
        except Unavailable:
            return True
        return bool(rows)

    def free_notes(self) -> bool:
        try:
            rows = self.db.read(
                f"SELECT 1 FROM notes WHERE owner IS NULL UNION ALL SELECT 1 FROM ({UNSYNCED}) AS unsynced LIMIT 1"
            )
        except Unavailable:
            return False
        return bool(rows)

    # -- the port --------------------------------------------------------------------------
    def trigger_run(
        self, actor: str, run: str, workflow, schedule=None, tick=None, epoch=None, fenced: bool = False
    ) -> str:
        def body(tx):
            if fenced and epoch is not None:  # the epoch must still lead
                holder = tx.one("SELECT holder, epoch FROM locks WHERE name = ?", (wf.LOCK,))
                if holder is None or tuple(holder) != (actor, epoch):
                    return tx.call(actor, "trigger_run", FENCED)
            if tx.one("SELECT 1 FROM runs WHERE run = ?", (run,)) is not None:
                return tx.call(actor, "trigger_run", DUPLICATE_ROW)
            if fenced and (
                tx.one(
                    "INSERT INTO schedule_ticks (schedule, tick, run) VALUES (?, ?, ?) "
                    "ON CONFLICT DO NOTHING RETURNING run",
                    (schedule, tick, run),
                )
                is None
            ):
                return tx.call(actor, "trigger_run", DUPLICATE_ROW)
            if not fenced and schedule is not None:
                tx.run(
                    "INSERT INTO schedule_ticks (schedule, tick, run) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    (schedule, tick, run),
                )
            self.create(tx, actor, run, workflow, schedule, tick, epoch)
            return tx.call(actor, "trigger_run", OK)

        return self._call(actor, "trigger_run", body)

    @staticmethod
    def create(tx, actor: str, run: str, workflow, schedule=None, tick=None, epoch=None) -> None:
        """The run's rows, its start note and `workflow_triggered`, in the caller's transaction."""
        parents = wf.parents_of(workflow)
        tx.run(
            "INSERT INTO runs (run, workflow, spec, state, schedule, tick, epoch, created_ms) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (run, workflow.name, spec_json(workflow), wf.RUNNING, schedule, tick, epoch, tx.now),
        )
        for position, task in enumerate(workflow.tasks):
            tx.run(
                "INSERT INTO run_tasks (run, task, position, state, parents, job) VALUES (?, ?, ?, ?, ?, ?)",
                (run, task.name, position, wf.PENDING, json.dumps(parents[task.name]), json.dumps(wf.task_job(task))),
            )
        tx.record(ev.WORKFLOW_TRIGGERED, actor, None, None, None, run, workflow.name, parents, schedule, tick, epoch)
        tx.run("INSERT INTO notes (run, task) VALUES (?, NULL)", (run,))

    def take_note(self, actor: str) -> tuple[str, Note | None]:
        def body(tx):
            self._sync(tx)
            row = tx.one("SELECT id, run, task FROM notes WHERE owner IS NULL ORDER BY id LIMIT 1")
            if row is None:
                return tx.call(actor, "take_note", OK), None
            note_id, run, task = row
            tx.run("UPDATE notes SET owner = ? WHERE id = ?", (actor, note_id))
            parents, states = self._states(tx, run)
            ready = wf.ready_after(parents, states, task)
            skip = wf.skipped_after(parents, states) if task is not None else []
            return tx.call(actor, "take_note", OK), Note(note_id, run, task, tuple(ready), tuple(skip))

        return self._call(actor, "take_note", body, pair=True)

    def dispatch(self, actor: str, run: str, task: str, claim: bool, enqueue: bool, mark: bool) -> str:
        def body(tx):
            state, job = tx.one("SELECT state, job FROM run_tasks WHERE run = ? AND task = ?", (run, task))
            if claim and state != wf.PENDING:
                return tx.call(actor, "dispatch", DUPLICATE_ROW)
            if enqueue:
                job_id = wf.task_job_id(run, task)
                job = self._shape(job_id, json.loads(job))
                tx.record(ev.TASK_DISPATCHED, actor, job_id, None, None, run, task)
                self.queue.publish(tx, actor, job_id, job["payload"], job["duration_ms"], job_id, None)
                if state in (wf.PENDING, wf.DISPATCHED):
                    tx.run(
                        "INSERT INTO task_jobs (job_id, run, task) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                        (job_id, run, task),
                    )
            if mark and state == wf.PENDING:
                tx.run(
                    "UPDATE run_tasks SET state = ?, dispatched_ms = ? WHERE run = ? AND task = ?",
                    (wf.DISPATCHED, tx.now, run, task),
                )
            return tx.call(actor, "dispatch", OK)

        return self._call(actor, "dispatch", body)

    def settle(self, actor: str, note: int, run: str, skip: tuple[str, ...]) -> str:
        def body(tx):
            for task in skip:
                tx.run(
                    "UPDATE run_tasks SET state = ?, finished_ms = ? WHERE run = ? AND task = ? AND state = ?",
                    (wf.SKIPPED, tx.now, run, task, wf.PENDING),
                )
            tx.run("DELETE FROM notes WHERE id = ?", (note,))
            _, states = self._states(tx, run)
            outcome = wf.run_outcome(states)
            if outcome is not None and tx.one(
                "UPDATE runs SET state = ?, finished_ms = ? WHERE run = ? AND state = ? RETURNING run",
                (outcome, tx.now, run, wf.RUNNING),
            ):
                tx.record(ev.RUN_FINISHED, actor, None, None, None, run, outcome, states)
            return tx.call(actor, "settle", OK)

        return self._call(actor, "settle", body)

    def release_notes(self, actor: str) -> None:
        with self.db.transaction() as tx:
            self.release_in(tx, actor)

    @staticmethod
    def release_in(tx, actor: str) -> None:
        """The notes a dead dispatcher held come back, in the caller's transaction (the one that
        records the crash)."""
        tx.run("UPDATE notes SET owner = NULL WHERE owner = ?", (actor,))

    def acquire_lock(self, actor: str, lock: str, lease_ms: int) -> tuple[str, int | None]:
        def body(tx):
            row = tx.one("SELECT holder, epoch, expires_ms FROM locks WHERE name = ?", (lock,))
            if row is not None and row[0] == actor and row[2] > tx.now:
                tx.run("UPDATE locks SET expires_ms = ? WHERE name = ?", (tx.now + lease_ms, lock))
                return tx.call(actor, "acquire_lock", OK), row[1]
            if row is not None and row[2] > tx.now:
                return tx.call(actor, "acquire_lock", OK), None
            epoch = (row[1] if row is not None else 0) + 1
            tx.run(
                "INSERT INTO locks (name, holder, epoch, expires_ms) VALUES (?, ?, ?, ?) ON CONFLICT (name) "
                "DO UPDATE SET holder = excluded.holder, epoch = excluded.epoch, expires_ms = excluded.expires_ms",
                (lock, actor, epoch, tx.now + lease_ms),
            )
            tx.record(ev.LEADER_ELECTED, actor, None, None, None, lock, epoch)
            return tx.call(actor, "acquire_lock", OK), epoch

        return self._call(actor, "acquire_lock", body, pair=True)

    def last_tick(self, actor: str, schedule: str) -> tuple[str, int]:
        def body(tx):
            tick = tx.one("SELECT max(tick) FROM schedule_ticks WHERE schedule = ?", (schedule,))[0]
            return tx.call(actor, "last_tick", OK), tick or 0

        return self._call(actor, "last_tick", body, pair=True, refused_value=0)

    def snapshot(self) -> dict[str, Any]:
        read = self.db.read
        runs = {
            run: {"state": state, "tasks": {}}
            for run, state in read("SELECT run, state FROM runs ORDER BY created_ms, run")
        }
        for run, task, state in read("SELECT run, task, state FROM run_tasks ORDER BY run, position"):
            runs[run]["tasks"][task] = state
        # Settled by the ground truth but not yet noted (the run ended first): report what they are.
        for job_id, run, task in read("SELECT job_id, run, task FROM task_jobs"):
            if read("SELECT 1 FROM ledger WHERE job_id = ?", (job_id,)):
                runs[run]["tasks"][task] = wf.SUCCEEDED
            elif read("SELECT 1 FROM dead_letters WHERE job_id = ?", (job_id,)):
                runs[run]["tasks"][task] = wf.FAILED
        return runs
