"""What a sweep exercised: for each fault kind, the seeds in which a fault of that kind bit (the
rule of runtime/core/bite.py), and for each mechanism, the seeds in which it was on and its events
occurred. A mechanism no seed reaches is a mechanism nothing checks (`faultline explore --coverage`).
"""

from __future__ import annotations

from collections.abc import Callable

from runtime.core import history as ev
from runtime.core.bite import unbitten
from runtime.core.faults import FAULT_TYPES, fault_to_dict


def _same_instant(kind: str) -> Callable:
    """One worker's `kind` events for two or more jobs at one instant (a batch leased or acked whole)."""

    def reached(events) -> bool:
        seen: dict[tuple[str, int], set[str]] = {}
        for event in events:
            if event.kind == kind:
                jobs = seen.setdefault((event.actor, event.time_ms), set())
                jobs.add(event.job_id)
                if len(jobs) > 1:
                    return True
        return False

    return reached


def _republished(events) -> bool:
    """A retry put back a copy of the job (a new message), not the message it leased."""
    leased = {e.token: e.get("message") for e in events if e.kind == ev.LEASED}
    return any(e.kind == ev.RETRY_SCHEDULED and e.get("message") != leased.get(e.token) for e in events)


def _kind(kind: str) -> Callable:
    return lambda events: any(e.kind == kind for e in events)


def _fan_in(events) -> bool:
    parents = {}
    for event in events:
        if event.kind == ev.WORKFLOW_TRIGGERED:
            parents.update({(event.get("run"), task): ps for task, ps in event.get("tasks").items()})
    return any(e.kind == ev.TASK_DISPATCHED and len(parents.get((e.get("run"), e.get("task")), ())) > 1 for e in events)


# name -> (is it on for this policy and scenario?, did its events occur?)
MECHANISMS: dict[str, tuple[Callable, Callable]] = {
    "batches": (lambda policy, scenario: policy.batch_size > 1, _same_instant(ev.LEASED)),
    "batch acks": (
        lambda policy, scenario: policy.batch_size > 1 and policy.batch_ack == "batch",
        _same_instant(ev.ACKED),
    ),
    "republished retries": (lambda policy, scenario: policy.retry_strategy == "republish", _republished),
    "dead letters": (lambda policy, scenario: policy.max_attempts is not None, _kind(ev.DEAD_LETTERED)),
    "lease expiry": (lambda policy, scenario: policy.lease_ms is not None, _kind(ev.LEASE_EXPIRED)),
    "task dispatch": (lambda policy, scenario: scenario.workflow is not None, _kind(ev.TASK_DISPATCHED)),
    "fan-in": (
        lambda policy, scenario: (
            scenario.workflow is not None and any(len(task.depends_on) > 1 for task in scenario.workflow.tasks)
        ),
        _fan_in,
    ),
    "leader election": (
        lambda policy, scenario: bool(scenario.schedulers) and policy.leader_lock,
        _kind(ev.LEADER_ELECTED),
    ),
}


def reached(record, policy, scenario) -> tuple[frozenset[str], frozenset[str]]:
    """(what was on, what was reached) in one run: fault kinds as `fault:KIND`, mechanisms by name. A
    fault kind is on when the plan has one, reached when one of them bit."""
    events = record.events
    missing = set(unbitten(events, record.final, record.plan))
    on, hit = set(), set()
    for fault in record.plan.faults:
        name = f"fault:{fault.kind}"
        on.add(name)
        if _dumped(fault) not in missing:
            hit.add(name)
    for name, (enabled, occurred) in MECHANISMS.items():
        if enabled(policy, scenario):
            on.add(name)
            if occurred(events):
                hit.add(name)
    return frozenset(on), frozenset(hit)


def _dumped(fault) -> str:
    import json

    return json.dumps(fault_to_dict(fault))


NAMES = tuple(f"fault:{kind}" for kind in FAULT_TYPES) + tuple(MECHANISMS)
