"""Invariants about side effects: once per job, acked only when durable, never overwritten stale."""

from __future__ import annotations

from invariants.registry import SAFETY, invariant
from runtime import history as ev

DURABLE = (ev.EFFECT_COMMITTED, ev.EFFECT_DEDUPLICATED)


@invariant(
    id="INV_001",
    name="effect-once",
    statement="A job's side effect is committed at most once, however often the job runs.",
    kind=SAFETY,
)
def check_effect_once(result):
    commits: dict[str, list] = {}
    for event in result.events:
        if event.kind == ev.EFFECT_COMMITTED:
            commits.setdefault(event.job_id, []).append(event)
    for job_id, events in commits.items():
        if len(events) > 1:
            who = ", ".join(f"{e.actor} at {e.time_ms}ms" for e in events)
            yield (
                f"job {job_id}'s effect committed {len(events)} times ({who}); at most once allowed",
                [e.index for e in events],
            )


@invariant(
    id="INV_004",
    name="acked-implies-committed",
    statement="A job is acknowledged only after its effect is durable in the store.",
    kind=SAFETY,
)
def check_acked_implies_committed(result):
    durable: set[str] = set()
    reported: set[str] = set()
    for event in result.events:
        if event.kind in DURABLE:
            durable.add(event.job_id)
        elif (
            event.kind == ev.ACKED
            and not event.detail.get("stale")
            and event.job_id not in durable
            and event.job_id not in reported
        ):
            reported.add(event.job_id)
            how = "on receipt" if event.detail.get("on_receipt") else "after the store call failed"
            yield (
                f"job {event.job_id} acked by {event.actor} at {event.time_ms}ms {how}, "
                "with no committed effect before the ack",
                [event.index],
            )


@invariant(
    id="INV_007",
    name="no-stale-write",
    statement="A write from an older lease never lands after a write from a newer lease.",
    kind=SAFETY,
)
def check_no_stale_write(result):
    newest: dict[str, object] = {}
    for event in result.events:
        if event.kind != ev.EFFECT_COMMITTED:
            continue
        previous = newest.get(event.job_id)
        if previous is not None and event.token < previous.token:
            yield (
                f"job {event.job_id}: {event.actor}'s write with lease token {event.token} "
                f"landed at {event.time_ms}ms after {previous.actor}'s write with newer token "
                f"{previous.token}, overwriting the newer result",
                [previous.index, event.index],
            )
        else:
            newest[event.job_id] = event
