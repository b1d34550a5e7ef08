"""Chrome trace-event export of a run (opens in Perfetto's UI or chrome://tracing).

One track per worker, plus client, queue, store and verdict tracks; attempts are spans,
faults and violations are instant events. Timestamps are virtual time in microseconds.
"""

from __future__ import annotations

import json

from invariants.views import Views
from runtime.core import history as ev

PID = 1
INSTANT_ON_QUEUE = {ev.LEASE_EXPIRED, ev.ACK_LOST, ev.DEAD_LETTERED, ev.PUBLISH_DEDUPLICATED}
INSTANT_ON_STORE = {ev.STORE_UNAVAILABLE, ev.STORE_OVERLOADED}
INSTANT_ON_ACTOR = {
    ev.SUBMITTED,
    ev.SUBMIT_RETRIED,
    ev.SUBMIT_DEDUPLICATED,
    ev.BUSINESS_COMMITTED,
    ev.BUSINESS_ROLLED_BACK,
    ev.EFFECT_COMMITTED,
    ev.EFFECT_DEDUPLICATED,
    ev.WRITE_FENCED,
    ev.MISSING_DATA,
    ev.ACKED,
    ev.ACK_REJECTED,
    ev.REQUEST_REFUSED,
    ev.OUTBOX_RELAYED,
    ev.CRASHED,
    ev.RESTARTED,
    ev.LEASE_LOST,
    ev.ERROR_IGNORED,
}
SPANNED = {ev.PAUSED, ev.RESUMED, ev.OUTAGE_STARTED, ev.OUTAGE_ENDED, ev.RUN_STARTED, ev.RUN_ENDED}
FAULT_KINDS = {ev.CRASHED, ev.PAUSED, ev.ACK_LOST, ev.LEASE_EXPIRED, ev.STORE_UNAVAILABLE, ev.OUTAGE_STARTED}


def tracks(result) -> list[str]:
    """Track names in display order: client, workers, then the shared components."""
    names = ["client", *result.workers, "queue", "store"]
    actors = {event.actor for event in result.events}
    names += ["relay"] if "relay" in actors else []  # the reaper's expiries go on the queue track
    return [*names, "verdict"]


def _us(ms: int) -> int:
    return ms * 1000


def trace_document(result, violations, *, title: str) -> dict:
    tids = {name: index for index, name in enumerate(tracks(result), start=1)}
    out: list[dict] = [{"ph": "M", "pid": PID, "tid": 0, "name": "process_name", "args": {"name": title}}]
    for name, tid in tids.items():
        out.append({"ph": "M", "pid": PID, "tid": tid, "name": "thread_name", "args": {"name": name}})
        out.append({"ph": "M", "pid": PID, "tid": tid, "name": "thread_sort_index", "args": {"sort_index": tid}})

    for job_id, spans in Views(result).execution_intervals.items():
        for start_ms, end_ms, started in spans:
            out.append(
                {
                    "ph": "X",
                    "pid": PID,
                    "tid": tids.get(started.actor, tids["queue"]),
                    "cat": "attempt",
                    "name": f"{job_id} attempt {started.attempt}",
                    "ts": _us(start_ms),
                    "dur": _us(end_ms - start_ms),
                    "args": {"job": job_id, "attempt": started.attempt, "token": started.token, "event": started.index},
                }
            )
    views = Views(result)
    for start_ms, end_ms, began in views.pauses:
        out.append(
            {
                "ph": "X",
                "pid": PID,
                "tid": tids.get(began.actor, tids["client"]),
                "cat": "fault",
                "name": f"paused ({began.detail.get('point')})",
                "ts": _us(start_ms),
                "dur": _us(end_ms - start_ms),
                "args": {"event": began.index},
            }
        )
    for start_ms, end_ms, began in views.outages:
        out.append(
            {
                "ph": "X",
                "pid": PID,
                "tid": tids["store"],
                "cat": "fault",
                "name": "store outage",
                "ts": _us(start_ms),
                "dur": _us(end_ms - start_ms),
                "args": {"event": began.index},
            }
        )
    for event in result.events:
        kind = event.kind
        if kind not in SPANNED:
            if kind in INSTANT_ON_QUEUE:
                tid = tids["queue"]
            elif kind in INSTANT_ON_STORE:
                tid = tids["store"]
            elif kind in INSTANT_ON_ACTOR:
                tid = tids.get(event.actor, tids["client"])
            else:
                continue
            out.append(
                {
                    "ph": "i",
                    "s": "t",
                    "pid": PID,
                    "tid": tid,
                    "ts": _us(event.time_ms),
                    "cat": "fault" if kind in FAULT_KINDS else "event",
                    "name": f"{kind} {event.job_id}" if event.job_id else kind,
                    "args": {
                        "event": event.index,
                        "actor": event.actor,
                        **{k: v for k, v in event.detail.items() if k != "payload"},
                    },
                }
            )
    for violation in violations:
        last = result.events[violation.events[-1]] if violation.events else None
        out.append(
            {
                "ph": "i",
                "s": "g",
                "pid": PID,
                "tid": tids["verdict"],
                "cat": "violation",
                "ts": _us(last.time_ms if last else result.end_ms),
                "name": f"{violation.invariant} violated",
                "args": {"message": violation.message, "events": list(violation.events)},
            }
        )
    return {
        "traceEvents": out,
        "displayTimeUnit": "ms",
        "otherData": {"title": title, "seed": result.seed, "digest": result.digest, "end_ms": result.end_ms},
    }


def trace_json(result, violations, *, title: str) -> str:
    return json.dumps(trace_document(result, violations, title=title), sort_keys=True) + "\n"
