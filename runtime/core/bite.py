"""Did each planned fault bite? A fault counts as fired only if the run shows its effect on the
system, read from the record alone:

- a crash: the actor died at its point (a `crashed` event there, as many as planned);
- a pause: the actor froze at its point and the system moved on without it: a worker's lease of the
  job expired, a scheduler's lock went to another; any other actor stayed frozen its planned time;
- an outage: a store call was refused inside it (an outage during which nobody called the store
  proves nothing);
- a duplicate delivery: the redelivered message was leased again (somebody received the duplicate);
- a lost reply: the client sent the request again;
- a redrive: it moved a dead letter back;
- a heartbeat stop: it silenced a renewal of a lease the worker held (`heartbeat_stopped`).
Slow and poison jobs shape the workload and a clock skew is always on: they bite by construction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from runtime.core import history as ev
from runtime.core.faults import (
    Crash,
    CrashJob,
    DuplicateDelivery,
    Fault,
    FaultPlan,
    HeartbeatStop,
    LostPublish,
    Pause,
    Redrive,
    StoreOutage,
    SubmitTimeout,
    fault_to_dict,
    request_of,
)
from runtime.core.history import Event
from runtime.core.ports import UNAVAILABLE

PAUSE_SLACK = 0.9
"""A pause that held nothing bit if it lasted at least this share of its planned time."""


def unbitten(events: Sequence[Event], final: Mapping[str, Any] | None, plan: FaultPlan) -> list[str]:
    """The plan's faults that did not bite in this history (as JSON), in the plan's order."""
    missing = []
    for fault in plan.faults:
        if not _bit(fault, events, final, plan):
            missing.append(json.dumps(fault_to_dict(fault)))
    return missing


def _bit(fault: Fault, events: Sequence[Event], final: Mapping[str, Any] | None, plan: FaultPlan) -> bool:
    if isinstance(fault, Crash):
        return _hits(ev.CRASHED, fault, events) >= _planned(fault, plan)
    if isinstance(fault, Pause):
        bitten = [pause for pause in _at_point(ev.PAUSED, fault, events) if _pause_bit(pause, fault, events)]
        return len(bitten) >= _planned(fault, plan)
    seen = _SEEN.get(type(fault))
    if seen is not None:  # bitten once one event shows it
        return any(seen(fault, e) for e in events)
    if isinstance(fault, DuplicateDelivery):
        lost = [e for e in events if e.kind == ev.ACK_LOST and e.job_id == fault.job]
        return (
            any(e.kind == ev.LEASED and e.job_id == fault.job and e.index > lost[0].index for e in events)
            if lost
            else False
        )
    if isinstance(fault, StoreOutage):
        return _outage_bit(fault, events, final, plan)
    return True


def _of_request(event: Event, job: str) -> bool:
    return request_of(event.job_id or "") == job


_SEEN: dict[type, Callable[[Any, Event], bool]] = {
    CrashJob: lambda f, e: e.kind == ev.CRASHED and e.get("point") == f.point and _of_request(e, f.job),
    SubmitTimeout: lambda f, e: (
        e.kind == ev.SUBMIT_RETRIED and e.get("reason") == "reply lost" and _of_request(e, f.job)
    ),
    LostPublish: lambda f, e: e.kind == ev.PUBLISH_LOST and _of_request(e, f.job),
    Redrive: lambda f, e: e.kind == ev.REDRIVEN,
    HeartbeatStop: lambda f, e: e.kind == ev.HEARTBEAT_STOPPED and e.actor == f.actor,
}
"""The kinds that bit once one event shows it: fault type -> (fault, event) -> whether it does."""


def _at_point(kind: str, fault: Crash | Pause, events: Sequence[Event]) -> list[Event]:
    return [e for e in events if e.kind == kind and e.actor == fault.actor and e.get("point") == fault.point]


def _hits(kind: str, fault: Crash | Pause, events: Sequence[Event]) -> int:
    return len(_at_point(kind, fault, events))


def _planned(fault: Crash | Pause, plan: FaultPlan) -> int:
    """How many faults of this kind the plan puts at this (actor, point)."""
    return sum(1 for f in plan.of_kind(type(fault)) if (f.actor, f.point) == (fault.actor, fault.point))


def _pause_bit(paused: Event, fault: Pause, events: Sequence[Event]) -> bool:
    resumed = next((e for e in events[paused.index + 1 :] if e.kind == ev.RESUMED and e.actor == paused.actor), None)
    stop = resumed.index if resumed is not None else len(events)
    others = [e for e in events[paused.index + 1 : stop] if e.actor != paused.actor]
    point = str(paused.get("point", ""))
    if point.startswith("worker.") and paused.job_id is not None:  # a lease held: it expired meanwhile
        return any(e.kind == ev.LEASE_EXPIRED and e.job_id == paused.job_id for e in others)
    if point.startswith("scheduler."):  # the leader's lock: another scheduler took it meanwhile
        return any(e.kind == ev.LEADER_ELECTED for e in others)
    end = resumed.time_ms if resumed is not None else events[-1].time_ms
    return end - paused.time_ms >= fault.duration_ms * PAUSE_SLACK


def _outage_bit(fault: StoreOutage, events: Sequence[Event], final: Mapping[str, Any] | None, plan: FaultPlan) -> bool:
    """A store call was refused while the store was recorded away, in this outage's recorded span
    (outages are recorded in the order the plan's windows fall)."""
    spans: list[tuple[int, int]] = []
    began: int | None = None
    for event in events:
        if event.kind == ev.OUTAGE_STARTED:
            began = event.time_ms
        elif event.kind == ev.OUTAGE_ENDED and began is not None:
            spans.append((began, event.time_ms))
            began = None
    if began is not None:
        spans.append((began, events[-1].time_ms))
    order = sorted(plan.outages(), key=lambda o: (o.start_ms, o.end_ms))
    position = next(n for n, outage in enumerate(order) if outage == fault)
    if position >= len(spans):
        return False
    start, end = spans[position]
    refused = [call[0] for call in (final or {}).get("store_calls", ()) if call[3] == UNAVAILABLE]
    refused += [e.time_ms for e in events if e.kind == ev.STORE_UNAVAILABLE]
    return any(start <= at <= end for at in refused)
