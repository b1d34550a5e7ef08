"""How a workflow run progresses: its task states, the ids of runs and task jobs, which tasks a
finished one makes ready or can never start, and the run's outcome. Pure functions over a run's
task states; the runs ports (runtime/sim/runs.py, runtime/real/runs.py) and the dispatcher call
them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from runtime.core.workflow.spec import WorkflowSpec

# A run holds one task instance per task. A task is pending until a dispatcher enqueues its job
# (`<run>:<task>`, an ordinary job: same queue, leases, retries, dead letters), then dispatched;
# succeeded once its effect is in the ledger, failed once its job is dead-lettered; skipped when an
# ancestor failed. A run ends succeeded when every task succeeded, failed when all are settled and
# one failed or was skipped.
PENDING, DISPATCHED, SUCCEEDED, FAILED, SKIPPED = "pending", "dispatched", "succeeded", "failed", "skipped"
SETTLED = frozenset((SUCCEEDED, FAILED, SKIPPED))
RUNNING = "running"
LOCK = "scheduler"
"""The leader lock's name: one lock for every schedule."""


def run_id(n: int) -> str:
    """The id of the n-th on-demand run (1-based)."""
    return f"run-{n}"


def scheduled_run_id(schedule: str, tick: int, epoch: int | None) -> str:
    """A scheduled run's id: its schedule, tick and the epoch of the leader that fired it."""
    return f"{schedule}-t{tick}" + (f"-e{epoch}" if epoch is not None else "")


def fence_admits(
    actor: str, epoch: int, holder: Sequence[Any] | None, newest: int | None, lock_elsewhere: bool
) -> bool:
    """Whether the store takes a fenced trigger that `actor` fired leading in `epoch`. A lock in the
    store is read in the trigger's own transaction: `holder` (its row: holder, epoch, ...) must still
    be this actor in this epoch. A lock elsewhere (Redis) can't be read there; its epoch is a fencing
    token, and the store refuses one older than the newest a fenced trigger carried in (`newest`,
    None before the first) - a paused leader wakes with an old token."""
    if lock_elsewhere:
        return newest is None or epoch >= newest
    return holder is not None and holder[0] == actor and holder[1] == epoch


def task_job_id(run: str, task: str) -> str:
    return f"{run}:{task}"


def parents_of(spec: WorkflowSpec) -> dict[str, list[str]]:
    """Task -> its parents, in the spec's order (what `workflow_triggered` records)."""
    return {task.name: list(task.depends_on) for task in spec.tasks}


def ready_after(parents: Mapping[str, list[str]], states: Mapping[str, str], done: str | None) -> list[str]:
    """The pending tasks that may start now that `done` succeeded (None: the run just began, so its
    roots): every parent succeeded. In the spec's order."""
    return [
        task
        for task, its_parents in parents.items()
        if states[task] == PENDING
        and (done in its_parents if done is not None else not its_parents)
        and all(states[p] == SUCCEEDED for p in its_parents)
    ]


def skipped_after(parents: Mapping[str, list[str]], states: Mapping[str, str]) -> list[str]:
    """The pending tasks that can never start: an ancestor failed or was skipped (spec order, to a
    fixed point)."""
    blocked = {task for task, state in states.items() if state in (FAILED, SKIPPED)}
    skipped: list[str] = []
    changed = True
    while changed:
        changed = False
        for task, its_parents in parents.items():
            if task not in blocked and states[task] == PENDING and blocked.intersection(its_parents):
                blocked.add(task)
                skipped.append(task)
                changed = True
    return [task for task in parents if task in skipped]


def run_outcome(states: Mapping[str, str]) -> str | None:
    """The run's terminal state once every task is settled, else None."""
    if not all(state in SETTLED for state in states.values()):
        return None
    return SUCCEEDED if all(state == SUCCEEDED for state in states.values()) else FAILED
