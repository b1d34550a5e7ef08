"""The in-memory runs tables (a RunsPort): workflow runs and their task instances, completion notes,
the scheduled ticks and the leader lock. Part of the store (its outages and call log apply); a
leader lock kept elsewhere (the Redis model, runtime/sim/lock.py) is the lock's own. A
dispatch that enqueues reaches the queue in the same step, as one transaction spans both in SQL.

A task's completion is read from the ground truth, never from the worker: its job's row in the
ledger (succeeded) or in the dead letters (failed). New rows are picked up, in their order, when
anyone looks (`_sync`), and each becomes a completion note for the dispatchers.
"""

from __future__ import annotations

from typing import Any

from runtime.core import history as ev
from runtime.core.ports import DUPLICATE_ROW, FENCED, OK, Note
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
from runtime.sim.lock import Lock


class _Run:
    __slots__ = ("workflow", "parents", "states", "jobs", "state", "schedule", "tick")

    def __init__(self, spec, schedule, tick) -> None:
        self.workflow = spec.name
        self.parents = parents_of(spec)
        self.states = dict.fromkeys(self.parents, PENDING)
        self.jobs = {task.name: task_job(task) for task in spec.tasks}
        self.state = RUNNING
        self.schedule, self.tick = schedule, tick


class Runs:
    def __init__(self, clock, history, store, queue, plan=None, lock_elsewhere: bool = False) -> None:
        self._clock, self._history, self._store, self._queue = clock, history, store, queue
        self.lock = Lock(clock, history)
        self.lock_elsewhere = lock_elsewhere
        """The leader lock lives outside the store (Redis): the store can't read who holds it, so a
        fenced trigger is judged by its token alone (`fences`)."""
        self.fences: dict[str, int] = {}  # lock -> the newest epoch a fenced trigger carried in
        self._shape = job_shaper(plan)
        self.runs: dict[str, _Run] = {}
        self._running: dict[str, tuple[str, str]] = {}  # job id -> (run, task), enqueued, not yet settled
        self._notes: list[list] = []  # [note id, run, task, owner], oldest first
        self._next_note = 0
        self._ledger_seen = self._dead_seen = 0
        self._ticks: dict[tuple[str, int], str] = {}  # (schedule, tick) -> run

    # -- the ground truth ----------------------------------------------------------------------
    def _sync(self) -> None:
        """Settle the tasks whose jobs reached the ledger or the dead letters since the last look."""
        running = self._running
        if not running:
            self._ledger_seen, self._dead_seen = len(self._store.ledger), len(self._queue.dead_letters)
            return
        ledger, dead = self._store.ledger, self._queue.dead_letters
        for position in range(self._ledger_seen, len(ledger)):
            self._settle_task(ledger[position]["job_id"], SUCCEEDED)
        for position in range(self._dead_seen, len(dead)):
            self._settle_task(dead[position][0], FAILED)
        self._ledger_seen, self._dead_seen = len(ledger), len(dead)

    def _settle_task(self, job_id: str, state: str) -> None:
        owner = self._running.pop(job_id, None)
        if owner is None:
            return
        run_id, task = owner
        self.runs[run_id].states[task] = state
        self._add_note(run_id, task)

    def _add_note(self, run_id: str, task: str | None) -> None:
        self._next_note += 1
        self._notes.append([self._next_note, run_id, task, None])

    def notes_waiting(self) -> bool:
        self._sync()
        return bool(self._notes)

    def free_notes(self) -> bool:
        """A note no dispatcher holds waits (what a dispatcher's poll looks for)."""
        self._sync()
        return any(note[3] is None for note in self._notes)

    # -- the port ------------------------------------------------------------------------------
    def trigger_run(
        self, actor: str, run_id: str, workflow, schedule=None, tick=None, epoch=None, fenced: bool = False
    ) -> str:
        store = self._store
        refusal = store._refused(actor, "trigger_run")
        if refusal is not None:
            return refusal
        if fenced and epoch is not None:  # the epoch must lead (or be the newest token); the tick be new
            holder = self.lock.rows.get(LOCK)
            if not fence_admits(actor, epoch, holder, self.fences.get(LOCK), self.lock_elsewhere):
                return store._log(actor, "trigger_run", FENCED)
        if run_id in self.runs or (fenced and (schedule, tick) in self._ticks):
            return store._log(actor, "trigger_run", DUPLICATE_ROW)
        run = self.runs[run_id] = _Run(workflow, schedule, tick)
        if fenced and epoch is not None:
            self.fences[LOCK] = max(epoch, self.fences.get(LOCK, 0))
        if schedule is not None:
            self._ticks.setdefault((schedule, tick), run_id)
        self._history.record(
            ev.WORKFLOW_TRIGGERED, actor, None, None, None, run_id, run.workflow, run.parents, schedule, tick, epoch
        )
        self._add_note(run_id, None)
        return store._log(actor, "trigger_run", OK)

    def take_note(self, actor: str) -> tuple[str, Note | None]:
        refusal = self._store._refused(actor, "take_note")
        if refusal is not None:
            return refusal, None
        self._sync()
        for note in self._notes:
            if note[3] is None:
                note[3] = actor
                note_id, run_id, task = note[0], note[1], note[2]
                run = self.runs[run_id]
                ready = ready_after(run.parents, run.states, task)
                skip = skipped_after(run.parents, run.states) if task is not None else []
                self._store._log(actor, "take_note", OK)
                return OK, Note(note_id, run_id, task, tuple(ready), tuple(skip))
        return self._store._log(actor, "take_note", OK), None

    def dispatch(self, actor: str, run_id: str, task: str, claim: bool, enqueue: bool, mark: bool) -> str:
        store = self._store
        refusal = store._refused(actor, "dispatch")
        if refusal is not None:
            return refusal
        run = self.runs[run_id]
        if claim and run.states[task] != PENDING:
            return store._log(actor, "dispatch", DUPLICATE_ROW)
        if enqueue:
            job_id = task_job_id(run_id, task)
            job = self._shape(job_id, run.jobs[task])
            self._history.record(ev.TASK_DISPATCHED, actor, job_id, None, None, run_id, task)
            self._queue.enqueue(actor, job_id, job["payload"], job["duration_ms"], job_id, None)
            if run.states[task] in (PENDING, DISPATCHED):
                self._running[job_id] = (run_id, task)
        if mark and run.states[task] == PENDING:
            run.states[task] = DISPATCHED
        return store._log(actor, "dispatch", OK)

    def settle(self, actor: str, note_id: int, run_id: str, skip: tuple[str, ...]) -> str:
        store = self._store
        refusal = store._refused(actor, "settle")
        if refusal is not None:
            return refusal
        run = self.runs[run_id]
        for task in skip:
            if run.states[task] == PENDING:
                run.states[task] = SKIPPED
        self._notes = [note for note in self._notes if note[0] != note_id]
        outcome = run_outcome(run.states)
        if outcome is not None and run.state == RUNNING:
            run.state = outcome
            self._history.record(ev.RUN_FINISHED, actor, None, None, None, run_id, outcome, dict(run.states))
        return store._log(actor, "settle", OK)

    def release_notes(self, actor: str) -> None:
        for note in self._notes:
            if note[3] == actor:
                note[3] = None

    def acquire_lock(self, actor: str, lock: str, lease_ms: int) -> tuple[str, int | None]:
        if self.lock_elsewhere:  # Redis: the store's outages and call log don't reach it
            return self.lock.acquire_lock(actor, lock, lease_ms)
        store = self._store
        refusal = store._refused(actor, "acquire_lock")
        if refusal is not None:
            return refusal, None
        outcome, epoch = self.lock.acquire_lock(actor, lock, lease_ms)
        return store._log(actor, "acquire_lock", outcome), epoch

    def last_tick(self, actor: str, schedule: str) -> tuple[str, int]:
        refusal = self._store._refused(actor, "last_tick")
        if refusal is not None:
            return refusal, 0
        ticks = [tick for (name, tick) in self._ticks if name == schedule]
        return self._store._log(actor, "last_tick", OK), max(ticks, default=0)

    def snapshot(self) -> dict[str, Any]:
        self._sync()
        return {run_id: {"state": run.state, "tasks": dict(run.states)} for run_id, run in self.runs.items()}
