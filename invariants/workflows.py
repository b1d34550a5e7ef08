"""Invariants about workflow runs (docs/12_workflows.md). A run's tasks are jobs whose id is
`<run>:<task>`; a task succeeded once its effect committed (or was found committed). The effect of a
task landing once per run is INV_001's promise about its job id."""

from __future__ import annotations

from typing import Any

from invariants.registry import LIVENESS, SAFETY, Findings, invariant
from invariants.views import Views
from runtime.core import history as ev
from runtime.core.history import Event

DONE = (ev.EFFECT_COMMITTED, ev.EFFECT_DEDUPLICATED)


def task_job(run: str, task: str) -> str:
    return f"{run}:{task}"


def _runs(views: Views) -> dict[str, Event]:
    """Run id -> its workflow_triggered event (the first, if a run id were triggered twice)."""
    runs: dict[str, Event] = {}
    for event in views.of(ev.WORKFLOW_TRIGGERED):
        runs.setdefault(event.get("run"), event)
    return runs


@invariant(
    id="INV_013",
    name="task-after-parents",
    statement="A workflow task starts only after every one of its parents succeeded in the same run.",
    kind=SAFETY,
)
def check_task_after_parents(views: Views) -> Findings:
    runs = _runs(views)
    if not runs:
        return
    succeeded: dict[str, int] = {}  # job id -> index of its first success
    for kind in DONE:
        for event in views.of(kind):
            succeeded[event.job_id] = min(succeeded.get(event.job_id, event.index), event.index)
    starts: dict[str, list[Event]] = {}
    for event in views.of(ev.STARTED):
        starts.setdefault(event.job_id, []).append(event)
    for triggered in runs.values():
        run, tasks = triggered.get("run"), triggered.get("tasks") or {}
        for task, parents in tasks.items():
            for started in starts.get(task_job(run, task), ()):
                early = [p for p in parents if succeeded.get(task_job(run, p), started.index + 1) > started.index]
                if early:
                    yield (
                        f"run {run}: task {task} started at {started.time_ms}ms before its parent(s) "
                        f"{', '.join(early)} succeeded",
                        [triggered.index, started.index],
                    )


@invariant(
    id="INV_014",
    name="task-dispatched-once",
    statement="Each task of a run is dispatched once: a fan-in task whose parents finish together is one job.",
    kind=SAFETY,
)
def check_task_dispatched_once(views: Views) -> Findings:
    seen: dict[tuple[Any, ...], list[Event]] = {}
    for event in views.of(ev.TASK_DISPATCHED):
        seen.setdefault((event.get("run"), event.get("task")), []).append(event)
    for (run, task), events in seen.items():
        if len(events) > 1:
            who = ", ".join(f"{e.actor} at {e.time_ms}ms" for e in events)
            yield f"run {run}: task {task} was dispatched {len(events)} times ({who})", [e.index for e in events]


@invariant(
    id="INV_015",
    name="run-terminates",
    statement=(
        "Every triggered workflow run reaches a terminal state (succeeded or failed) by the end of the run, "
        "once faults stop."
    ),
    kind=LIVENESS,
)
def check_run_terminates(views: Views) -> Findings:
    runs = _runs(views)
    if not runs:
        return
    finished = {event.get("run") for event in views.of(ev.RUN_FINISHED)}
    for run, triggered in runs.items():
        if run not in finished:
            yield f"workflow run {run} never reached a terminal state, {views.closing_phrase}", [triggered.index]


@invariant(
    id="INV_016",
    name="one-leader-one-fire",
    statement=(
        "No two schedulers lead in one epoch of the leader lock, and each tick of a schedule starts at most one run."
    ),
    kind=SAFETY,
)
def check_one_leader_one_fire(views: Views) -> Findings:
    leaders: dict[tuple[Any, ...], list[Event]] = {}
    for event in views.of(ev.LEADER_ELECTED):
        leaders.setdefault((event.get("lock"), event.get("epoch")), []).append(event)
    for (lock, epoch), events in leaders.items():
        if len({e.actor for e in events}) > 1:
            names = ", ".join(sorted({e.actor for e in events}))
            yield f"lock {lock}: {names} all led in epoch {epoch}", [e.index for e in events]
    fired: dict[tuple[Any, ...], list[Event]] = {}
    for event in views.of(ev.WORKFLOW_TRIGGERED):
        if event.get("schedule") is not None:
            fired.setdefault((event.get("schedule"), event.get("tick")), []).append(event)
    for (schedule, tick), events in fired.items():
        if len(events) > 1:
            runs = ", ".join(str(e.get("run")) for e in events)
            yield f"schedule {schedule}: tick {tick} started {len(events)} runs ({runs})", [e.index for e in events]
