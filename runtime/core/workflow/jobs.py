"""The job a workflow task enqueues: its payload and duration from the task's spec, as a fault
plan shapes it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runtime.core.faults import FaultPlan, PoisonJob, SlowJob
from runtime.core.workflow.spec import TaskSpec


def task_job(task: TaskSpec) -> dict[str, Any]:
    """The job a task's dispatch enqueues: its handler's payload, its own retry settings."""
    payload = dict(task.payload)
    if task.handler == "write":
        payload = {"write": payload.get("key", task.name)}
    elif task.handler == "noop":
        payload = {"amount": 0}
    else:
        payload = {"amount": payload.get("amount", 1)}
    payload["max_attempts"] = task.max_attempts
    payload["backoff_ms"] = task.backoff_ms
    return {"payload": payload, "duration_ms": task.duration_ms}


def job_shaper(plan: FaultPlan | None) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    """(job id, job) -> the job as the plan shapes it: a poison_job's payload can never be
    processed, a slow_job takes its planned duration (the same shaping as a client's jobs get)."""
    poisoned = {f.job for f in plan.of_kind(PoisonJob)} if plan is not None else set()
    slow = {f.job: f.duration_ms for f in plan.of_kind(SlowJob)} if plan is not None else {}
    if not poisoned and not slow:
        return lambda job_id, job: job

    def shape(job_id: str, job: dict[str, Any]) -> dict[str, Any]:
        payload = {**job["payload"], "poison": True} if job_id in poisoned else job["payload"]
        return {"payload": payload, "duration_ms": slow.get(job_id, job["duration_ms"])}

    return shape
