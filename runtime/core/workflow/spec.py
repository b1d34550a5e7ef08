"""Workflow specs: a named DAG of tasks, each a job with a handler, a payload, its parents and its
retry settings, and an optional schedule for periodic runs. Plain attrs records; the YAML front door
(faultline/workflow_yaml.py) builds them, and `check_dag` refuses what can never run.

Every error names the task and the problem in one line (WorkflowError, a BadInputError: exit 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from runtime.core.errors import BadInputError
from runtime.core.payload import task_payload_problem

HANDLERS = {
    "charge": "commit a charge of `amount` (the default effect)",
    "write": "overwrite the result key `key` with the task's value",
    "noop": "commit nothing but the task's completion",
}
"""What a task can do (its effect commits once per (run, task) under an idempotent policy)."""


class WorkflowError(BadInputError):
    """A workflow spec that can never run: the message names the task and the problem."""


@attrs.frozen(kw_only=True)
class TaskSpec:
    name: str
    handler: str = "charge"
    payload: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    depends_on: tuple[str, ...] = ()
    max_attempts: int = 3
    backoff_ms: int = 100
    duration_ms: int = 100


@attrs.frozen(kw_only=True)
class WorkflowSpec:
    name: str
    tasks: tuple[TaskSpec, ...]
    schedule_every_ms: int | None = None
    """Periodic runs: the leader triggers one run per tick of this interval (None: on demand only)."""
    schedule_lock: str = "store"
    """Where the schedulers' leader lock lives: "store" (a row beside the runs) or "redis" (SET NX PX;
    runtime/sim/lock.py). The lab's scenario takes it as Scenario.leader_lock."""

    def task(self, name: str) -> TaskSpec:
        return next(task for task in self.tasks if task.name == name)

    @property
    def order(self) -> tuple[str, ...]:
        """The tasks in a dependency order (parents first; ties in the spec's order)."""
        return topological_order(self.tasks)

    def children(self, name: str) -> tuple[str, ...]:
        return tuple(task.name for task in self.tasks if name in task.depends_on)


def topological_order(tasks: tuple[TaskSpec, ...]) -> tuple[str, ...]:
    """Kahn's algorithm in the spec's order; a cycle raises WorkflowError naming its tasks."""
    waiting = {task.name: set(task.depends_on) for task in tasks}
    done: list[str] = []
    while waiting:
        ready = [name for name, parents in waiting.items() if not parents - set(done)]
        if not ready:
            raise WorkflowError(f"tasks {' -> '.join(_cycle(waiting))} form a cycle; a workflow is a DAG")
        for name in ready:
            del waiting[name]
        done += ready
    return tuple(done)


def _cycle(waiting: dict[str, set[str]]) -> list[str]:
    """One cycle among the tasks that cannot start, as a closed path (a -> b -> a)."""
    start = next(iter(waiting))
    path, seen = [start], {start}
    while True:
        parent = sorted(p for p in waiting[path[-1]] if p in waiting)[0]
        if parent in seen:
            return path[path.index(parent) :] + [parent]
        path.append(parent)
        seen.add(parent)


def spec_to_dict(spec: WorkflowSpec) -> dict[str, Any]:
    """A spec as plain data (what the runs table keeps and `workflow validate --json` prints)."""
    return {
        "name": spec.name,
        "schedule_every_ms": spec.schedule_every_ms,
        "schedule_lock": spec.schedule_lock,
        "tasks": [
            {
                "name": t.name,
                "handler": t.handler,
                "payload": dict(t.payload),
                "depends_on": list(t.depends_on),
                "max_attempts": t.max_attempts,
                "backoff_ms": t.backoff_ms,
                "duration_ms": t.duration_ms,
            }
            for t in spec.tasks
        ],
    }


def spec_from_dict(data: Mapping[str, Any]) -> WorkflowSpec:
    return WorkflowSpec(
        name=data["name"],
        schedule_every_ms=data["schedule_every_ms"],
        schedule_lock=data.get("schedule_lock", "store"),  # specs stored before the lock could move
        tasks=tuple(TaskSpec(**{**task, "depends_on": tuple(task["depends_on"])}) for task in data["tasks"]),
    )


def check_dag(spec: WorkflowSpec) -> WorkflowSpec:
    """Refuse a spec that can never run: no tasks, a name used twice, an unknown parent, a task
    that depends on itself, a cycle, an unknown handler."""
    if not spec.tasks:
        raise WorkflowError(f"workflow {spec.name!r} has no tasks; add at least one under tasks:")
    names: set[str] = set()
    for task in spec.tasks:
        if task.name in names:
            raise WorkflowError(f"task {task.name!r} is defined twice; task names are unique")
        names.add(task.name)
        if task.handler not in HANDLERS:
            raise WorkflowError(
                f"task {task.name!r}: unknown handler {task.handler!r} (known: {', '.join(sorted(HANDLERS))})"
            )
        problem = task_payload_problem(task.payload)
        if problem is not None:
            raise WorkflowError(f"task {task.name!r}: {problem}")
    for task in spec.tasks:
        for parent in task.depends_on:
            if parent == task.name:
                raise WorkflowError(f"task {task.name!r} depends on itself")
            if parent not in names:
                raise WorkflowError(
                    f"task {task.name!r} depends on unknown task {parent!r} (tasks: {', '.join(sorted(names))})"
                )
    topological_order(spec.tasks)
    return spec
