"""Invariants about jobs as a whole: none lost, attempts bounded, one per key, iff committed."""

from __future__ import annotations

from invariants.registry import LIVENESS, SAFETY, invariant
from runtime import history as ev

LAB_ATTEMPT_CEILING = 10
"""The attempt budget a policy without max_attempts is judged against."""


@invariant(
    id="INV_002",
    name="no-lost-job",
    statement=(
        "Every accepted job reaches a terminal state - its effect durable and acked, or "
        "dead-lettered - once faults stop and the system is quiet."
    ),
    kind=LIVENESS,
)
def check_no_lost_job(result):
    submitted: dict[str, int] = {}
    last_seen: dict[str, object] = {}
    durable: set[str] = set()
    acked: set[str] = set()
    buried: set[str] = set()
    for event in result.events:
        job_id = event.job_id
        if job_id is None:
            continue
        kind = event.kind
        if kind == ev.SUBMITTED:
            submitted.setdefault(job_id, event.index)
        elif kind in (ev.EFFECT_COMMITTED, ev.EFFECT_DEDUPLICATED):
            durable.add(job_id)
        elif kind == ev.ACKED and not event.detail.get("stale"):
            acked.add(job_id)
        elif kind == ev.DEAD_LETTERED:
            buried.add(job_id)
        last_seen[job_id] = event
    for job_id, first in submitted.items():
        if job_id in buried or (job_id in durable and job_id in acked):
            continue
        last = last_seen[job_id]
        state = "acked without its effect" if job_id in acked else "never finished"
        yield (
            f"job {job_id} {state}: last seen {last.describe()}, run ended at {result.end_ms}ms",
            [first, last.index] if last.index != first else [first],
        )


@invariant(
    id="INV_003",
    name="attempts-bounded",
    statement=(
        "No job is retried after it used its attempt budget (the policy's max_attempts; a "
        f"policy without one is held to the lab's ceiling of {LAB_ATTEMPT_CEILING})."
    ),
    kind=SAFETY,
)
def check_attempts_bounded(result):
    budget = result.policy.max_attempts or LAB_ATTEMPT_CEILING
    over: dict[str, list] = {}
    for event in result.events:
        if event.kind == ev.RETRY_SCHEDULED and event.attempt >= budget:
            over.setdefault(event.job_id, []).append(event)
    for job_id, events in over.items():
        first, last = events[0], events[-1]
        yield (
            f"job {job_id} was retried after attempt {first.attempt} (budget {budget}) and kept "
            f"going to attempt {last.attempt + 1}",
            [first.index, last.index] if last is not first else [first.index],
        )


@invariant(
    id="INV_005",
    name="one-job-per-key",
    statement="A client request with an idempotency key creates at most one job.",
    kind=SAFETY,
)
def check_one_job_per_key(result):
    jobs_by_key: dict[str, list] = {}
    for event in result.events:
        if event.kind == ev.SUBMITTED and event.detail.get("key") is not None:
            jobs = jobs_by_key.setdefault(event.detail["key"], [])
            if all(e.job_id != event.job_id for e in jobs):
                jobs.append(event)
    for key, events in jobs_by_key.items():
        if len(events) > 1:
            ids = ", ".join(e.job_id for e in events)
            yield (
                f"idempotency key {key!r} created {len(events)} jobs ({ids})",
                [e.index for e in events],
            )


@invariant(
    id="INV_009",
    name="job-iff-committed",
    statement=(
        "A job runs only after its business transaction committed, and every committed transaction gets its job."
    ),
    kind=SAFETY,
)
def check_job_iff_committed(result):
    committed: dict[str, int] = {}
    rolled_back: dict[str, int] = {}
    submitted: set[str] = set()
    needs_row: set[str] = set()
    reported: set[str] = set()
    for event in result.events:
        kind, job_id = event.kind, event.job_id
        if kind == ev.BUSINESS_COMMITTED:
            committed.setdefault(job_id, event.index)
        elif kind == ev.BUSINESS_ROLLED_BACK:
            rolled_back.setdefault(job_id, event.index)
        elif kind == ev.SUBMITTED:
            submitted.add(job_id)
            if event.detail["payload"].get("business_row"):
                needs_row.add(job_id)
        elif kind == ev.STARTED and job_id in needs_row and job_id not in committed and job_id not in reported:
            reported.add(job_id)
            why = (
                f"its business transaction rolled back (#{rolled_back[job_id]})"
                if job_id in rolled_back
                else "its business row had not committed"
            )
            evidence = [rolled_back[job_id], event.index] if job_id in rolled_back else [event.index]
            yield f"job {job_id} ran at {event.time_ms}ms on missing data: {why}", evidence
    for job_id, index in committed.items():
        if job_id not in submitted:
            yield f"business row for {job_id} committed (#{index}) but no job was enqueued", [index]
