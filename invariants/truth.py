"""The history must agree with the final state: a history that lies is itself a violation."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable
from operator import itemgetter
from typing import Any, TypeVar

from invariants.registry import SAFETY, Findings, invariant
from invariants.views import Views
from runtime.core import history as ev
from runtime.core.history import Event

T = TypeVar("T")
_TIME = itemgetter(1)  # an event's time_ms


@invariant(
    id="INV_012",
    name="history-matches-state",
    statement=(
        "The history and the final state tell one story, table by table: every ledger row has its "
        "effect_committed event and every such event its row; dead letters, business rows, the outbox, "
        "submission keys, each job's attempts and messages, and each workflow run's state likewise."
    ),
    kind=SAFETY,
)
def check_history_matches_state(views: Views) -> Findings:
    final = views.final
    rows = _count((row["job_id"], row["token"]) for row in final["ledger"])
    told = {pair: len(events) for pair, events in views.commit_events.items()}
    if rows != told:
        yield from _ledger_disagreements(views, Counter(rows), Counter(told))
    buried = _count(row[0] for row in final["dead_letters"])
    recorded = _count(event.job_id for event in views.of(ev.DEAD_LETTERED))
    for event in views.of(ev.REDRIVEN):  # a redrive takes its dead letter out of the queue
        left = recorded.get(event.get("dead_letter"), 0) - 1
        if left > 0:
            recorded[event.get("dead_letter")] = left
        else:
            recorded.pop(event.get("dead_letter"), None)
    if buried != recorded:
        differing = sorted(set(buried) ^ set(recorded) | {j for j in buried if buried[j] != recorded.get(j)})
        yield (
            f"the dead-letter queue and the dead_lettered events disagree about {', '.join(differing)}",
            [e.index for e in views.of(ev.DEAD_LETTERED) if e.job_id in differing],
        )
    committed = {event.job_id for event in views.of(ev.BUSINESS_COMMITTED)}
    if set(final["business_rows"]) != committed:
        differing = sorted(set(final["business_rows"]) ^ committed)
        yield f"the business rows and the business_committed events disagree about {', '.join(differing)}", []
    yield from _outbox_disagreements(views)
    yield from _submission_disagreements(views)
    yield from _attempt_disagreements(views)
    if views.header.get("world") == "probe":
        yield from _probe_outcome_disagreements(views)
    else:
        yield from _message_disagreements(views)
    yield from _run_disagreements(views)


def _probe_outcome_disagreements(views: Views) -> Findings:
    """A probed queue's own verdict on each job against what its handler did. The lab never sees a
    third-party queue ack or drop a message, so its messages are not replayed; its outcomes are: a job
    it calls succeeded has its effect in the ledger, and a job it calls failed did not end with a run
    that committed its effect and returned."""
    returned = {(e.job_id, e.attempt): e for e in views.of(ev.RETURNED)}
    last_attempt: dict[str, Event] = {}
    for event in views.of(ev.STARTED):
        last_attempt[event.job_id] = event
    for job_id, state in sorted(views.final["queue_states"].items()):
        if state == "succeeded" and job_id not in views.ledger_jobs:
            yield f"the queue says job {job_id} succeeded, but its effect never reached the ledger", []
        started = last_attempt.get(job_id)
        if state == "failed" and started is not None and (job_id, started.attempt) in returned:
            done = returned[(job_id, started.attempt)]
            yield (
                f"the queue marks job {job_id} failed, although its last run committed its effect and returned "
                f"({done.describe()})",
                [done.index],
            )


def _outbox_disagreements(views: Views) -> Findings:
    """Rows still in the outbox: business rows committed with one, not yet marked relayed."""
    waiting = {e.job_id for e in views.of(ev.BUSINESS_COMMITTED) if e.get("outbox")}
    waiting -= {e.job_id for e in views.of(ev.OUTBOX_RELAYED)}
    kept = set(views.final["outbox"])
    if kept != waiting:
        differing = sorted(kept ^ waiting)
        yield f"the outbox and the business_committed/outbox_relayed events disagree about {', '.join(differing)}", []


def _submission_disagreements(views: Views) -> Findings:
    """Every key the store holds names a job the history submitted under it, and every deduplicated
    submission names the key's owner."""
    keys = views.final["submissions"]
    told: dict[tuple[str, str], list[Event]] = {}
    for event in views.of(ev.SUBMITTED):
        key = event.get("key")
        if key is not None:
            told.setdefault((key, event.job_id), []).append(event)
    for event in views.of(ev.BUSINESS_COMMITTED) + views.of(ev.SUBMIT_DEDUPLICATED):
        told.setdefault((event.get("key"), event.job_id), []).append(event)
    for key, job_id in sorted(keys.items()):
        if (key, job_id) not in told and not any(k == key and j == job_id for k, j in told if k is None):
            yield f"the store gives key {key!r} to job {job_id}, which the history never submitted under it", []
    for event in views.of(ev.SUBMIT_DEDUPLICATED):
        owner = keys.get(event.get("key"))
        if owner != event.job_id:
            yield (
                f"{event.describe()} names {event.job_id} as the owner of key {event.get('key')!r}, but the store "
                f"gives it to {owner}",
                [event.index],
            )


def _attempt_disagreements(views: Views) -> Findings:
    """A job's attempts are its leases since its last redrive under its own id (which starts a fresh
    budget)."""
    counted: dict[str, int] = dict.fromkeys(views.first_submitted, 0)
    for event in views.events_of(ev.LEASED, ev.REDRIVEN):
        if event.kind == ev.REDRIVEN:
            if event.get("ids") == "keep":
                counted[event.job_id] = 0
        else:
            counted[event.job_id] = counted.get(event.job_id, 0) + 1
    stored = views.final["attempts"]
    for job_id in sorted(set(counted) | set(stored)):
        if stored.get(job_id, 0) != counted.get(job_id, 0):
            leases = [e.index for e in views.of(ev.LEASED) if e.job_id == job_id]
            yield (
                f"the queue counts {stored.get(job_id, 0)} attempt(s) of job {job_id} but the history grants "
                f"{counted.get(job_id, 0)} lease(s)",
                leases[-3:],
            )


def _message_disagreements(views: Views) -> Findings:
    """The messages left in the queue are the ones the history published and never removed: a publish
    or a retry's copy adds one; an accepted ack removes the one it leased (a lost ack puts it back); a
    worker's or the reaper's dead letter removes the leased message of that attempt, the queue's own
    (attempts exhausted, a payload refused) a message of the job waiting to be leased."""
    # Message ids as the history records them (ints in an honest history; a judge takes what it reads).
    live: dict[Any, str] = {}  # message -> its job
    held: set[Any] = set()  # messages under a lease now
    leased: dict[int, Any] = {}  # token -> message
    of_attempt: dict[tuple[str, int], Any] = {}  # (job, attempt) -> message
    acked_message: dict[int, Any] = {}  # index of an acked event -> its message
    for event in views.events_of(
        ev.SUBMITTED, ev.LEASED, ev.ACKED, ev.ACK_LOST, ev.RETRY_SCHEDULED, ev.LEASE_EXPIRED, ev.DEAD_LETTERED
    ):
        kind = event.kind
        if kind == ev.SUBMITTED or kind == ev.RETRY_SCHEDULED:
            message = event.get("message")
            live[message] = event.job_id
            held.discard(message)
        elif kind == ev.LEASED:
            message = leased[event.token] = event.get("message")
            held.add(message)
            of_attempt[(event.job_id, event.attempt)] = message
        elif kind == ev.LEASE_EXPIRED:
            held.discard(leased.get(event.token))
        elif kind == ev.ACKED:
            message = leased.get(event.token)
            acked_message[event.index] = message
            live.pop(message, None)
            held.discard(message)
        elif kind == ev.ACK_LOST:
            message = acked_message.get(event.get("cancels"))
            if message is not None:
                live[message] = event.job_id
        elif event.actor == QUEUE_ACTOR:  # the queue's own dead letter: a waiting message of the job
            waiting = sorted(m for m, job in live.items() if job == event.job_id and m not in held)
            if waiting:
                live.pop(waiting[0])
        else:  # a worker's or the reaper's: the message of that attempt's lease, if the queue still has it
            message = of_attempt.get((event.job_id, event.attempt))
            if message is None:  # no lease of that attempt in the history: a message of the job
                message = min((m for m, job in live.items() if job == event.job_id), default=None)
            live.pop(message, None)
            held.discard(message)
    told = _count(live.values())
    stored = _count(row[1] for row in views.final["messages"])
    for job_id in sorted(set(told) | set(stored)):
        if told.get(job_id, 0) != stored.get(job_id, 0):
            yield (
                f"the queue holds {stored.get(job_id, 0)} message(s) of job {job_id} but the history leaves "
                f"{told.get(job_id, 0)}",
                [],
            )


QUEUE_ACTOR = "queue"


def _run_disagreements(views: Views) -> Findings:
    """Every run the history triggered is in the final state, and one the history finished is there in
    the state (and with the task states) it finished in."""
    runs = views.final.get("runs")
    if runs is None:
        return
    triggered = {event.get("run"): event for event in views.of(ev.WORKFLOW_TRIGGERED)}
    if set(runs) != set(triggered):
        differing = sorted(set(runs) ^ set(triggered))
        yield f"the runs table and the workflow_triggered events disagree about {', '.join(differing)}", []
    for event in views.of(ev.RUN_FINISHED):
        stored = runs.get(event.get("run"))
        if stored is not None and (stored["state"], stored["tasks"]) != (event.get("state"), event.get("tasks")):
            yield (
                f"{event.describe()} says run {event.get('run')} {event.get('state')}, but the runs table has it "
                f"{stored['state']}",
                [event.index],
            )


def _count(items: Iterable[T]) -> dict[T, int]:
    counts: dict[T, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts


def _ledger_disagreements(views: Views, rows: Counter[Any], told: Counter[Any]) -> Findings:
    for (job_id, token), count in sorted((rows - told).items()):
        yield (
            f"the ledger holds {count} row(s) of job {job_id} (token {token}) that no effect_committed event records",
            [],
        )
    for job_id, token in sorted(told - rows):
        events = views.commit_events[(job_id, token)]
        yield (
            f"{events[0].actor} recorded effect_committed for job {job_id} (token {token}) but the ledger has "
            "no such row",
            [e.index for e in events],
        )


@invariant(
    id="INV_017",
    name="history-in-time",
    statement=(
        "The history keeps time: no event comes before an earlier one, and no change the store writes (in the "
        "real world, where the queue lives in the database too, no change the queue writes either) falls "
        "inside a recorded outage."
    ),
    kind=SAFETY,
)
def check_history_in_time(views: Views) -> Findings:
    events = views.events
    times = list(map(_TIME, events))
    ordered = times == sorted(times)  # the common verdict first, at C speed
    if not ordered:
        previous = events[0]
        for event in events[1:]:
            if event.time_ms < previous.time_ms:
                yield (
                    f"time runs backwards: {event.describe()} comes after {previous.describe()}",
                    [previous.index, event.index],
                )
                break
            previous = event
    outages = views.outages
    if not outages:
        return
    guarded = ev.STORE_WRITES | ev.QUEUE_WRITES if views.header.get("world") == "real" else ev.STORE_WRITES
    if views.header.get("leader_lock", "store") != "store":  # a lock kept in Redis elects without the store
        guarded = guarded - {ev.LEADER_ELECTED}
    for start, end, began in outages:  # times in order: only the events in the window are read
        window = events[bisect_right(times, start) : bisect_left(times, end)] if ordered else events
        inside = [e for e in window if e.kind in guarded and start < e.time_ms < end]
        if inside:
            shown = ", ".join(e.describe() for e in inside[:3]) + (", ..." if len(inside) > 3 else "")
            yield (
                f"{len(inside)} change(s) committed while the store was recorded away in [{start}, {end})ms: {shown}",
                [began.index, *(e.index for e in inside[:3])],
            )
