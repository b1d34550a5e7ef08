"""Invariants about jobs as a whole: none lost, attempts bounded, one per key, iff committed."""

from __future__ import annotations

from invariants.registry import LIVENESS, SAFETY, Findings, invariant
from invariants.views import Views
from runtime.core import history as ev
from runtime.core.history import Event


@invariant(
    id="INV_002",
    name="no-lost-job",
    statement=(
        "Every accepted job reaches a terminal state - its effect in the ledger and no message of it left "
        "in the queue, or dead-lettered - by the end of the run (the system quiet, or the time limit the "
        "workload allows)."
    ),
    kind=LIVENESS,
)
def check_no_lost_job(views: Views) -> Findings:
    first_submitted = views.first_submitted
    done = views.ledger_jobs | views.dead_jobs | views.minted_redrives.keys()
    if not views.pending_jobs and done.issuperset(first_submitted):
        return  # the common case, decided at once: every job done, nothing left in the queue
    ended = views.closing_phrase
    for job_id, first in first_submitted.items():
        if views.job_finished(job_id):
            continue
        last = views.last_seen[job_id]
        gone = not views.pending_jobs.get(job_id) and job_id not in done
        state = "never finished"
        if gone:
            state = "acked without its effect" if views.acked(job_id) else "left the queue without its effect"
        yield (
            f"job {job_id} {state}: last seen {last.describe()}, {ended}",
            [first.index, last.index] if last.index != first.index else [first.index],
        )


@invariant(
    id="INV_003",
    name="attempts-bounded",
    statement=(
        "No job is leased for an attempt beyond its budget (the policy's max_attempts; a policy without "
        "one is held to the lab's ceiling), however it came back: retry, lease expiry or redelivery."
    ),
    kind=SAFETY,
)
def check_attempts_bounded(views: Views) -> Findings:
    """The judge counts the leases itself, since the job last started afresh (its submission, or a
    redrive under its own id): a queue that forgets a delivery cannot talk its way under the budget."""
    bound = views.header["attempt_bound"]
    counted: dict[str, int] = {}
    over: dict[str, list[tuple[int, Event]]] = {}
    for event in views.events_of(ev.LEASED, ev.REDRIVEN):
        if event.kind == ev.REDRIVEN:
            if event.get("ids") == "keep":
                counted[event.job_id] = 0
            continue
        n = counted[event.job_id] = counted.get(event.job_id, 0) + 1
        if n > bound:
            over.setdefault(event.job_id, []).append((n, event))
    for job_id, leases in over.items():
        (n, first), (m, last) = leases[0], leases[-1]
        claimed = f" (the queue called it attempt {first.attempt})" if first.attempt != n else ""
        went = f" and kept going to attempt {m}" if last is not first else ""
        yield (
            f"job {job_id} was leased for attempt {n} (budget {bound}){claimed}{went}",
            [first.index, last.index] if last is not first else [first.index],
        )


@invariant(
    id="INV_005",
    name="one-job-per-key",
    statement="A client request with an idempotency key creates at most one job.",
    kind=SAFETY,
)
def check_one_job_per_key(views: Views) -> Findings:
    jobs_by_key: dict[str, list[Event]] = {}
    seen: set[tuple[str, str]] = set()
    operators = set(views.minted_redrives.values())  # an operator's redrive, not the client's request
    for event in views.of(ev.SUBMITTED):
        key = event.get("key")
        if key is not None and (key, event.job_id) not in seen and event.job_id not in operators:
            seen.add((key, event.job_id))
            jobs_by_key.setdefault(key, []).append(event)
    if len(jobs_by_key) == len(seen):
        return  # one job per key
    for key, events in jobs_by_key.items():
        if len(events) > 1:
            ids = ", ".join(e.job_id for e in events)
            yield f"idempotency key {key!r} created {len(events)} jobs ({ids})", [e.index for e in events]


@invariant(
    id="INV_009",
    name="job-iff-committed",
    statement=(
        "A job runs only after its business transaction committed, and every committed transaction gets its job."
    ),
    kind=SAFETY,
)
def check_job_iff_committed(views: Views) -> Findings:
    committed: dict[str, int] = {}  # job -> its first business_committed
    for event in views.of(ev.BUSINESS_COMMITTED):
        committed.setdefault(event.job_id, event.index)
    rolled_back: dict[str, int] = {}  # job -> its first business_rolled_back
    for event in views.of(ev.BUSINESS_ROLLED_BACK):
        rolled_back.setdefault(event.job_id, event.index)
    submitted: set[str] = set()
    needs_row: dict[str, int] = {}  # job -> its first submission that carries a business row
    for event in views.of(ev.SUBMITTED):
        submitted.add(event.job_id)
        if event.get("payload").get("business_row"):
            needs_row.setdefault(event.job_id, event.index)
    reported: set[str] = set()
    for event in views.of(ev.STARTED) if needs_row else ():
        job_id, index = event.job_id, event.index
        if needs_row.get(job_id, index) >= index or job_id in reported:
            continue  # no business row behind it (yet), or already reported
        if committed.get(job_id, index) < index:
            continue  # its business row committed before it ran
        reported.add(job_id)
        rollback = rolled_back.get(job_id, index)
        if rollback < index:
            yield (
                f"job {job_id} ran at {event.time_ms}ms on missing data: its business transaction rolled back "
                f"(#{rollback})",
                [rollback, index],
            )
        else:
            yield f"job {job_id} ran at {event.time_ms}ms on missing data: its business row had not committed", [index]
    for job_id, index in committed.items():
        if job_id not in submitted:
            yield f"business row for {job_id} committed (#{index}) but no job was enqueued", [index]


@invariant(
    id="INV_019",
    name="no-stranded-job",
    statement=(
        "No job is left marked running by a worker that died: when the run ends, every job the queue's own state "
        "shows as running was last started by a worker that is still alive (judged where the final state "
        "carries the queue's own job states: probes of third-party queues)."
    ),
    kind=LIVENESS,
)
def check_no_stranded_job(views: Views) -> Findings:
    states = views.final.get("queue_states")
    if not states:
        return
    last_start: dict[str, Event] = {}
    for event in views.of(ev.STARTED):
        last_start[event.job_id] = event
    deaths: dict[str, list[Event]] = {}
    for event in views.of(ev.CRASHED):
        deaths.setdefault(event.actor, []).append(event)
    for job_id, state in sorted(states.items()):
        if state != "running":
            continue
        started = last_start.get(job_id)
        if started is None:
            yield (
                f"job {job_id} is marked running in the queue but no worker ever started it, {views.closing_phrase}",
                [],
            )
            continue
        death = next((e for e in deaths.get(started.actor, ()) if e.index > started.index), None)
        if death is not None:
            yield (
                f"job {job_id} is still marked running in the queue ({views.closing_phrase}), but {started.actor}, "
                f"which started it at {started.time_ms}ms, was killed at {death.time_ms}ms: no worker will finish "
                "or retry it",
                [started.index, death.index],
            )
