"""The SQL runs tables (a RunsPort) with the in-memory semantics (runtime/sim/runs.py): runs and
their task instances, completion notes, the ticks fenced triggers claim, the leader lock. They live
in the queue's database, so a dispatch that enqueues and marks is one transaction. A leader lock
kept in Redis (runtime/real/lock.py) answers acquire_lock itself; the `locks` row then keeps the
newest fencing token a fenced trigger carried in.

A task's completion is read from the ground truth: its job's ledger row (succeeded) or dead letter
(failed). Unsettled task jobs wait in `task_jobs`; whoever takes a note first settles the ones that
finished, in ledger then dead-letter order, each becoming a note.
"""

from __future__ import annotations

import json
from typing import Any

from runtime.core import history as ev
from runtime.core.ports import DUPLICATE_ROW, FENCED, OK, UNAVAILABLE, Note
from runtime.core.workflow.jobs import job_shaper, task_job
from runtime.core.workflow.progress import (
    DISPATCHED,
    FAILED,
    LOCK,
    PENDING,
    RUNNING,
    SKIPPED,
    SUCCEEDED,
    fence_admits,
    parents_of,
    ready_after,
    run_outcome,
    skipped_after,
    task_job_id,
)
from runtime.core.workflow.spec import spec_to_dict
from runtime.real.db import Database, Unavailable
from runtime.real.queries import queries

SQL = queries("runs")

UNSYNCED = SQL.unsynced
NOTES_WAITING = SQL.notes_waiting.format(unsynced=UNSYNCED)
FREE_NOTES = SQL.free_notes.format(unsynced=UNSYNCED)


def spec_json(spec) -> str:
    """A WorkflowSpec as JSON (what the runs and workflows tables keep)."""
    return json.dumps(spec_to_dict(spec), sort_keys=True)


class SqlRuns:
    def __init__(self, db: Database, queue, plan=None, lock=None) -> None:
        self.db, self.queue = db, queue
        self._shape = job_shaper(plan)
        self.lock = lock
        """A leader lock kept elsewhere (Redis), or None: the lock is a row of these tables."""

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
        done = tx.all(SQL.sync_select_task_jobs)
        dead = tx.all(SQL.sync_select_task_jobs_2)
        for rows, state in ((done, SUCCEEDED), (dead, FAILED)):
            for job_id, _ in sorted(rows, key=lambda row: row[1]):
                run, task = tx.one(SQL.sync_delete_task_jobs, (job_id,))
                tx.run(
                    SQL.sync_update_run_tasks,
                    (state, tx.now, run, task),
                )
                tx.run(SQL.sync_insert_notes, (run, task))

    @staticmethod
    def _states(tx, run: str) -> tuple[dict[str, list[str]], dict[str, str]]:
        rows = tx.all(SQL.states_select_run_tasks, (run,))
        return {task: json.loads(parents) for task, parents, _ in rows}, {task: state for task, _, state in rows}

    def notes_waiting(self) -> bool:
        try:
            rows = self.db.read(NOTES_WAITING)
        except Unavailable:
            return True
        return bool(rows)

    def free_notes(self) -> bool:
        try:
            rows = self.db.read(FREE_NOTES)
        except Unavailable:
            return False
        return bool(rows)

    # -- the port --------------------------------------------------------------------------
    def trigger_run(
        self, actor: str, run: str, workflow, schedule=None, tick=None, epoch=None, fenced: bool = False
    ) -> str:
        def body(tx):
            elsewhere = self.lock is not None
            if fenced and epoch is not None:  # the epoch must still lead (or be the newest token)
                holder = tx.one(SQL.trigger_run_select_locks, (LOCK,))
                if not fence_admits(actor, epoch, holder, holder[1] if holder else None, elsewhere):
                    return tx.call(actor, "trigger_run", FENCED)
            if tx.one(SQL.trigger_run_select_runs, (run,)) is not None:
                return tx.call(actor, "trigger_run", DUPLICATE_ROW)
            if fenced and (
                tx.one(
                    SQL.trigger_run_insert_schedule_ticks,
                    (schedule, tick, run),
                )
                is None
            ):
                return tx.call(actor, "trigger_run", DUPLICATE_ROW)
            if not fenced and schedule is not None:
                tx.run(
                    SQL.trigger_run_insert_schedule_ticks_2,
                    (schedule, tick, run),
                )
            if fenced and epoch is not None and elsewhere:  # the newest token the store has taken
                tx.run(SQL.trigger_run_upsert_locks, (LOCK, actor, epoch))
            self.create(tx, actor, run, workflow, schedule, tick, epoch)
            return tx.call(actor, "trigger_run", OK)

        return self._call(actor, "trigger_run", body)

    @staticmethod
    def create(tx, actor: str, run: str, workflow, schedule=None, tick=None, epoch=None) -> None:
        """The run's rows, its start note and `workflow_triggered`, in the caller's transaction."""
        parents = parents_of(workflow)
        tx.run(
            SQL.create_insert_runs,
            (run, workflow.name, spec_json(workflow), RUNNING, schedule, tick, epoch, tx.now),
        )
        for position, task in enumerate(workflow.tasks):
            tx.run(
                SQL.create_insert_run_tasks,
                (run, task.name, position, PENDING, json.dumps(parents[task.name]), json.dumps(task_job(task))),
            )
        tx.record(ev.WORKFLOW_TRIGGERED, actor, None, None, None, run, workflow.name, parents, schedule, tick, epoch)
        tx.run(SQL.create_insert_notes, (run,))

    def take_note(self, actor: str) -> tuple[str, Note | None]:
        def body(tx):
            self._sync(tx)
            row = tx.one(SQL.take_note_select_notes)
            if row is None:
                return tx.call(actor, "take_note", OK), None
            note_id, run, task = row
            tx.run(SQL.take_note_update_notes, (actor, note_id))
            parents, states = self._states(tx, run)
            ready = ready_after(parents, states, task)
            skip = skipped_after(parents, states) if task is not None else []
            return tx.call(actor, "take_note", OK), Note(note_id, run, task, tuple(ready), tuple(skip))

        return self._call(actor, "take_note", body, pair=True)

    def dispatch(self, actor: str, run: str, task: str, claim: bool, enqueue: bool, mark: bool) -> str:
        def body(tx):
            state, job = tx.one(SQL.dispatch_select_run_tasks, (run, task))
            if claim and state != PENDING:
                return tx.call(actor, "dispatch", DUPLICATE_ROW)
            if enqueue:
                job_id = task_job_id(run, task)
                job = self._shape(job_id, json.loads(job))
                tx.record(ev.TASK_DISPATCHED, actor, job_id, None, None, run, task)
                self.queue.publish(tx, actor, job_id, job["payload"], job["duration_ms"], job_id, None)
                if state in (PENDING, DISPATCHED):
                    tx.run(
                        SQL.dispatch_insert_task_jobs,
                        (job_id, run, task),
                    )
            if mark and state == PENDING:
                tx.run(
                    SQL.dispatch_update_run_tasks,
                    (DISPATCHED, tx.now, run, task),
                )
            return tx.call(actor, "dispatch", OK)

        outcome: str = self._call(actor, "dispatch", body)
        announce = getattr(self.queue, "announce", None)  # a broker hears of the job once it is committed
        if outcome == OK and enqueue and announce is not None:
            announce(actor, task_job_id(run, task))
        return outcome

    def settle(self, actor: str, note: int, run: str, skip: tuple[str, ...]) -> str:
        def body(tx):
            for task in skip:
                tx.run(
                    SQL.settle_update_run_tasks,
                    (SKIPPED, tx.now, run, task, PENDING),
                )
            tx.run(SQL.settle_delete_notes, (note,))
            _, states = self._states(tx, run)
            outcome = run_outcome(states)
            if outcome is not None and tx.one(
                SQL.settle_update_runs,
                (outcome, tx.now, run, RUNNING),
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
        tx.run(SQL.release_in_update_notes, (actor,))

    def acquire_lock(self, actor: str, lock: str, lease_ms: int) -> tuple[str, int | None]:
        if self.lock is not None:  # Redis: the database's outages don't reach it
            answer: tuple[str, int | None] = self.lock.acquire_lock(actor, lock, lease_ms)
            return answer

        def body(tx):
            row = tx.one(SQL.acquire_lock_select_locks, (lock,))
            if row is not None and row[0] == actor and row[2] > tx.now:
                tx.run(SQL.acquire_lock_update_locks, (tx.now + lease_ms, lock))
                return tx.call(actor, "acquire_lock", OK), row[1]
            if row is not None and row[2] > tx.now:
                return tx.call(actor, "acquire_lock", OK), None
            epoch = (row[1] if row is not None else 0) + 1
            tx.run(
                SQL.acquire_lock_insert_locks,
                (lock, actor, epoch, tx.now + lease_ms),
            )
            tx.record(ev.LEADER_ELECTED, actor, None, None, None, lock, epoch)
            return tx.call(actor, "acquire_lock", OK), epoch

        return self._call(actor, "acquire_lock", body, pair=True)

    def last_tick(self, actor: str, schedule: str) -> tuple[str, int]:
        def body(tx):
            tick = tx.one(SQL.last_tick_select_schedule_ticks, (schedule,))[0]
            return tx.call(actor, "last_tick", OK), tick or 0

        return self._call(actor, "last_tick", body, pair=True, refused_value=0)

    def snapshot(self) -> dict[str, Any]:
        read = self.db.read
        runs = {run: {"state": state, "tasks": {}} for run, state in read(SQL.snapshot_select_runs)}
        for run, task, state in read(SQL.snapshot_select_run_tasks):
            runs[run]["tasks"][task] = state
        # Settled by the ground truth but not yet noted (the run ended first): report what they are.
        for job_id, run, task in read(SQL.snapshot_select_task_jobs):
            if read(SQL.snapshot_select_ledger, (job_id,)):
                runs[run]["tasks"][task] = SUCCEEDED
            elif read(SQL.snapshot_select_dead_letters, (job_id,)):
                runs[run]["tasks"][task] = FAILED
        return runs
