"""The workflow layer's processes: the dispatcher, the on-demand trigger and the periodic scheduler.

Generators of effects, like the worker: they never touch a clock, a queue or a store.

- The dispatcher takes a completion note (a task settled, or a run began), waits out the enqueue's
  round trip, dispatches the tasks the note made ready and settles the note. How a dispatch writes
  is the policy's: check-then-act in two steps (naive), a compare-and-set claim, one transaction.
- The trigger starts the scenario's on-demand runs at their times.
- A scheduler contends for the leader lock; the leader fires each tick of the schedule once due.
"""

from __future__ import annotations

from runtime.core import history as ev
from runtime.core.effects import (
    NOW,
    TAKE_NOTE,
    AcquireLock,
    AwaitNotes,
    Dispatch,
    Hold,
    LastTick,
    Point,
    Record,
    Settle,
    Sleep,
    Steps,
    TriggerRun,
    Until,
    store_error,
)
from runtime.core.faults import ALL_POINTS, DISPATCHER_AFTER_FIRST_WRITE, SCHEDULER_BEFORE_TRIGGER
from runtime.core.policy import Policy
from runtime.core.ports import DUPLICATE_ROW, FENCED, OK, STORE_ERRORS, Note
from runtime.core.workflow.progress import LOCK, run_id, scheduled_run_id, task_job_id
from runtime.core.workflow.spec import WorkflowSpec


def dispatch_steps(policy: Policy) -> tuple[tuple[bool, bool, bool], ...]:
    """The transactions one task's dispatch takes under `policy`, each (claim, enqueue, mark):
    atomic: one (claim if the policy claims, enqueue, mark); a claim alone: claim and mark, then
    enqueue; naive: enqueue, then mark - check-then-act on what the note said."""
    if policy.dispatch_atomic:
        return ((policy.dispatch_cas, True, True),)
    if policy.dispatch_cas:
        return ((True, False, True), (False, True, False))
    return ((False, True, False), (False, False, True))


def dispatcher(policy: Policy, *, poll_ms: int, dispatch_ms: int, points: frozenset[str] = ALL_POINTS) -> Steps[None]:
    steps = dispatch_steps(policy)
    await_notes = (AwaitNotes, poll_ms)
    while (yield await_notes):
        outcome, note = yield TAKE_NOTE
        if outcome != OK:
            yield store_error(None, "take_note", outcome)
            yield Sleep, poll_ms
            continue
        if note is None:  # another dispatcher took it
            continue
        if note.ready and dispatch_ms:
            yield Sleep, dispatch_ms
        yield from _handle(note, steps, poll_ms, points)


def _handle(
    note: Note, steps: tuple[tuple[bool, bool, bool], ...], poll_ms: int, points: frozenset[str]
) -> Steps[None]:
    """Dispatch the note's ready tasks, then settle it; after a store error, wait and carry on where
    it stopped (a task this incarnation dispatched is not dispatched again)."""
    done: set[str] = set()
    while True:
        failed = False
        for task in note.ready:
            if task in done:
                continue
            job_id = task_job_id(note.run, task)
            yield Hold, job_id
            for n, (claim, enqueue, mark) in enumerate(steps):
                outcome = yield Dispatch, note.run, task, claim, enqueue, mark
                if outcome == DUPLICATE_ROW:  # the claim found it taken: someone else dispatches it
                    break
                if outcome != OK:
                    yield store_error(job_id, "dispatch", outcome)
                    failed = True
                    break
                # Between the dispatch's writes (after all of it, when atomic).
                if n == 0 and DISPATCHER_AFTER_FIRST_WRITE in points:
                    yield Point, DISPATCHER_AFTER_FIRST_WRITE, job_id
            yield Hold, None
            if failed:
                break
            done.add(task)
        if not failed:
            outcome = yield Settle, note.note, note.run, note.skip
            if outcome == OK:
                return
            yield store_error(None, "settle", outcome)
        yield Sleep, poll_ms


def trigger(workflow: WorkflowSpec, times: tuple[int, ...], *, retry_ms: int) -> Steps[None]:
    """Start run-N at the N-th time, retrying through store errors."""
    for n, at in enumerate(times, 1):
        yield Until, at
        while True:
            outcome = yield TriggerRun, run_id(n), workflow, None, None, None, False
            if outcome not in STORE_ERRORS:
                break
            yield store_error(None, "trigger_run", outcome)
            yield Sleep, retry_ms


def scheduler(
    policy: Policy,
    workflow: WorkflowSpec,
    name: str,
    *,
    ticks: int,
    lease_ms: int,
    poll_ms: int,
    points: frozenset[str] = ALL_POINTS,
) -> Steps[None]:
    """Until every tick has started a run: lead (take or renew the lock), and fire the next tick
    once it is due. A fenced trigger carries the epoch; the store refuses a stale one."""
    schedule, every = workflow.name, workflow.schedule_every_ms
    assert every is not None, "a scheduler runs only a scheduled workflow"
    if not policy.leader_lock:
        yield from _every_instance_fires(policy, workflow, name, ticks=ticks, poll_ms=poll_ms, points=points)
        return
    renew_every = max(1, lease_ms // 3)
    while True:
        outcome, last = yield LastTick, schedule
        if outcome != OK:
            yield store_error(None, "last_tick", outcome)
            yield Sleep, poll_ms
            continue
        if last >= ticks:
            return
        outcome, epoch = yield AcquireLock, LOCK, lease_ms
        if outcome != OK or epoch is None:
            if outcome != OK:
                yield store_error(None, "acquire_lock", outcome)
            yield Sleep, poll_ms
            continue
        tick = last + 1
        now = yield NOW
        due = tick * every
        if now < due:
            yield Sleep, min(due - now, renew_every)
            continue
        if SCHEDULER_BEFORE_TRIGGER in points:
            yield Point, SCHEDULER_BEFORE_TRIGGER, None
        run = scheduled_run_id(schedule, tick, epoch)
        outcome = yield TriggerRun, run, workflow, schedule, tick, epoch, policy.fenced_triggers
        if outcome in (FENCED, DUPLICATE_ROW):
            yield Record, ev.TRIGGER_REFUSED, None, None, None, {"schedule": schedule, "tick": tick, "epoch": epoch}
        elif outcome != OK:
            yield store_error(None, "trigger_run", outcome)
            yield Sleep, poll_ms


def _every_instance_fires(
    policy: Policy, workflow: WorkflowSpec, name: str, *, ticks: int, poll_ms: int, points: frozenset[str]
) -> Steps[None]:
    """A scheduler without a leader lock (a second instance of a cron process): it keeps its own
    schedule in memory and fires every tick once due; a fenced trigger still claims the tick."""
    schedule, every = workflow.name, workflow.schedule_every_ms
    assert every is not None, "a scheduler runs only a scheduled workflow"
    tick = 1
    while tick <= ticks:
        yield Until, tick * every
        if SCHEDULER_BEFORE_TRIGGER in points:
            yield Point, SCHEDULER_BEFORE_TRIGGER, None
        run = f"{scheduled_run_id(schedule, tick, None)}-{name}"
        outcome = yield TriggerRun, run, workflow, schedule, tick, None, policy.fenced_triggers
        if outcome in (FENCED, DUPLICATE_ROW):
            yield Record, ev.TRIGGER_REFUSED, None, None, None, {"schedule": schedule, "tick": tick, "epoch": None}
        elif outcome != OK:
            yield store_error(None, "trigger_run", outcome)
            yield Sleep, poll_ms
            continue
        tick += 1
