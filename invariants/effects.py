"""Invariants about side effects: once per job and per request, acked only when durable, never stale."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from invariants.registry import SAFETY, Findings, invariant
from invariants.views import Views
from runtime.core import history as ev
from runtime.core.history import Event

DURABLE = (ev.EFFECT_COMMITTED, ev.EFFECT_DEDUPLICATED)


def _who(views: Views, rows: list[dict[str, Any]]) -> tuple[str, list[int]]:
    """'w1 at 112ms, w2 at 1114ms' for ledger rows, with the indexes of their effect_committed events."""
    parts, indexes = [], []
    for row in rows:
        events = views.commit_events.get((row["job_id"], row["token"]))
        if events:
            parts.append(f"{events[0].actor} at {events[0].time_ms}ms")
            indexes.append(events[0].index)
        else:
            parts.append(f"token {row['token']} with no effect_committed event")
    return ", ".join(parts), indexes


def _logical(row: Mapping[str, Any]) -> tuple[str, str]:
    """What one request is: its idempotency key, or (without one) its request id."""
    key = row.get("idempotency_key")
    return ("key", key) if key is not None else ("request", row["request"])


@invariant(
    id="INV_001",
    name="effect-once",
    statement=(
        "A job's side effect is in the ledger at most once, and so is a request's (one idempotency key), "
        "however often it runs or is submitted."
    ),
    kind=SAFETY,
)
def check_effect_once(views: Views) -> Findings:
    ledger = views.final["ledger"]
    jobs = {row["job_id"] for row in ledger}
    requests = {_logical(row) for row in ledger}
    if len(jobs) == len(requests) == len(ledger):
        return  # every row its own job and its own request: nothing was charged twice
    by_job: dict[str, list[dict[str, Any]]] = {}
    by_request: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in ledger:
        by_job.setdefault(row["job_id"], []).append(row)
        by_request.setdefault(_logical(row), []).append(row)
    for job_id, rows in by_job.items():
        if len(rows) > 1:
            who, indexes = _who(views, rows)
            yield f"job {job_id}'s effect committed {len(rows)} times ({who}); at most once allowed", indexes
    for (what, name), rows in by_request.items():
        if len(rows) < 2:
            continue
        owners = list(dict.fromkeys(row["job_id"] for row in rows))
        if len(owners) > 1:
            who, indexes = _who(views, rows)
            logical = f"key {name!r}" if what == "key" else f"request {name}"
            yield (
                f"{logical} was charged {len(rows)} times under jobs {', '.join(owners)} ({who}); "
                "one request, one effect",
                indexes,
            )


@invariant(
    id="INV_004",
    name="acked-implies-committed",
    statement="A job is acknowledged only after its effect is durable in the store.",
    kind=SAFETY,
)
def check_acked_implies_committed(views: Views) -> Findings:
    durable: dict[str, int] = {}  # job -> its first durable effect
    for event in views.events_of(*DURABLE):
        durable.setdefault(event.job_id, event.index)
    ignored: dict[str, list[Event]] = {}  # job -> its error_ignored events
    for event in views.of(ev.ERROR_IGNORED):
        ignored.setdefault(event.job_id, []).append(event)
    # A retry by republishing acks the failed original after its copy is scheduled: that ack retires
    # a message, not the job (the copy carries it on), so it is no ack of the job's effect.
    republished = {(e.job_id, e.token): e.index for e in views.of(ev.RETRY_SCHEDULED)}
    reported: set[str] = set()
    for event in views.of(ev.ACKED):
        if republished.get((event.job_id, event.token), event.index) < event.index:
            continue
        if durable.get(event.job_id, event.index) >= event.index and event.job_id not in reported:
            reported.add(event.job_id)
            errors = [e for e in ignored.get(event.job_id, ()) if e.index < event.index]
            if event.get("on_receipt"):
                how = "on receipt"
            elif errors:
                how = f"after its error was ignored ({errors[-1].get('error')})"
            else:
                how = "with its attempt unfinished"
            yield (
                f"job {event.job_id} acked by {event.actor} at {event.time_ms}ms {how}, "
                "with no committed effect before the ack",
                [event.index],
            )


@invariant(
    id="INV_007",
    name="no-stale-write",
    statement="A write from an older lease never lands after a newer lease of the job was granted.",
    kind=SAFETY,
)
def check_no_stale_write(views: Views) -> Findings:
    # Only a job leased more than once, or written with a token older than its one lease, can hold a
    # stale write: find those first, then replay their leases and writes in history order.
    only_lease: dict[str, Event] = {}
    suspects: set[str] = set()
    for event in views.of(ev.LEASED):
        if event.job_id in only_lease:
            suspects.add(event.job_id)
        only_lease[event.job_id] = event
    for event in views.of(ev.EFFECT_COMMITTED):
        lease = only_lease.get(event.job_id)
        if lease is not None and lease.index < event.index and event.token < lease.token:
            suspects.add(event.job_id)
    if not suspects:
        return
    newest_lease: dict[str, Event] = {}
    newest_write: dict[str, Event] = {}
    for event in views.events_of(ev.LEASED, ev.EFFECT_COMMITTED):
        if event.job_id not in suspects:
            continue
        if event.kind == ev.LEASED:
            held = newest_lease.get(event.job_id)
            if held is None or event.token > held.token:
                newest_lease[event.job_id] = event
        elif event.kind == ev.EFFECT_COMMITTED:
            lease = newest_lease.get(event.job_id)
            if lease is not None and event.token < lease.token:
                write = newest_write.get(event.job_id)
                over = ""
                evidence = [lease.index, event.index]
                if write is not None and write.token > event.token:
                    over = f", overwriting {write.actor}'s newer write (token {write.token})"
                    evidence = [lease.index, write.index, event.index]
                yield (
                    f"job {event.job_id}: {event.actor}'s write with lease token {event.token} landed at "
                    f"{event.time_ms}ms after lease token {lease.token} was granted to {lease.actor} at "
                    f"{lease.time_ms}ms{over}",
                    evidence,
                )
            write = newest_write.get(event.job_id)
            if write is None or event.token > write.token:
                newest_write[event.job_id] = event
