"""Worker: lease -> execute -> commit the effect -> ack, as the policy says, with fault points.

A generator of effects (runtime.core.effects); it never touches a clock, a queue or a store. A crash
throws away everything it held; the supervisor starts a new one.
"""

from __future__ import annotations

from collections.abc import Callable

from runtime.core import decisions as decide
from runtime.core import history as ev
from runtime.core.effects import (
    NOW,
    PAUSED,
    Ack,
    AckBatch,
    Commit,
    Fail,
    Hold,
    NextBatch,
    NextJob,
    Point,
    Record,
    Renew,
    Sleep,
    store_error,
)
from runtime.core.faults import (
    ALL_POINTS as ALL,
)
from runtime.core.faults import (
    WORKER_AFTER_COMMIT,
    WORKER_AFTER_LEASE,
    WORKER_AFTER_RETRY,
    WORKER_BEFORE_COMMIT,
    WORKER_MID_COMMIT,
)
from runtime.core.ports import ERROR_TEXT, STORE_ERRORS

Draw = Callable[[int, int], int]
"""draw(low, high): a uniform integer in [low, high] from the actor's own random stream."""


def worker(name: str, policy, *, poll_ms: int, jitter_ms: int, draw: Draw, points: frozenset[str] = ALL):
    """Serve jobs until the system is quiet. `draw(low, high)`: a uniform integer from the worker's
    own seeded random stream (the world hands it over; it survives a crash). `points`: the fault
    points where a fault can fire for this worker (the injector knows: PlanIndex.live_points); the
    others are passed without a word."""
    if policy.batch_size > 1:
        yield from batches(name, policy, poll_ms=poll_ms, jitter_ms=jitter_ms, draw=draw, points=points)
        return
    next_job = (NextJob, poll_ms)
    while True:
        delivery = yield next_job
        if delivery is None:  # the system is quiet: nothing left to do
            return
        yield from attempt(name, policy, delivery, jitter_ms, draw, points)


def batches(name: str, policy, *, poll_ms: int, jitter_ms: int, draw: Draw, points: frozenset[str]):
    """Lease up to batch_size jobs and run them in turn; a job whose lease is gone by its turn is
    skipped. Ack each on its own, or (batch_ack="batch") the whole batch at the end, failures and all."""
    next_batch = (NextBatch, poll_ms, policy.batch_size)
    whole = policy.batch_ack == "batch"
    checks_lease = policy.heartbeat_ms is not None and policy.lease_ms is not None
    while True:
        deliveries = yield next_batch
        if deliveries is None:
            return
        done = []
        for turn, delivery in enumerate(deliveries):
            yield Hold, delivery
            if turn and checks_lease and (yield Renew, delivery) is None:
                yield Record, ev.LEASE_LOST, delivery.job_id, delivery.attempt, delivery.token, None
                continue
            if (yield from attempt(name, policy, delivery, jitter_ms, draw, points, whole)):
                done.append(delivery)
        if whole:
            yield AckBatch, tuple(done)
        yield Hold, None


def _survive(point: str, policy, delivery):
    """A worker's fault point. After a pause, a heartbeating worker checks its lease: False means it
    is lost and the attempt must be abandoned. (A crash never comes back from the point.)"""
    if (yield Point, point, delivery.job_id) != PAUSED or policy.heartbeat_ms is None:
        return True
    if (yield Renew, delivery) is None:
        yield Record, ev.LEASE_LOST, delivery.job_id, delivery.attempt, delivery.token, None
        return False
    return True


def attempt(name: str, policy, delivery, jitter_ms: int, draw: Draw, points: frozenset[str], defer: bool = False):
    """One attempt at one job. With `defer` (a batch acked as a whole) nothing is acked or reported
    here: returns True for a job the batch's ack should cover - a failed one too, its error ignored."""
    job_id, attempt_no, token = delivery.job_id, delivery.attempt, delivery.token
    if WORKER_AFTER_LEASE in points and not (yield from _survive(WORKER_AFTER_LEASE, policy, delivery)):
        return
    if "eta_ms" in delivery.payload:  # a delayed job the worker holds until due (eta_wait="worker")
        wait = decide.eta_wait_ms(delivery.payload, policy, (yield NOW))
        if wait:
            yield Sleep, wait
    if policy.ack_mode == "on_receipt":
        yield Ack, delivery, True
    yield Record, ev.STARTED, job_id, attempt_no, token, None
    duration = delivery.duration_ms
    if jitter_ms:
        duration += draw(0, jitter_ms)
    heartbeat = policy.heartbeat_ms
    if heartbeat is None or policy.lease_ms is None:
        yield Sleep, duration
    else:
        while duration > 0:
            step = min(heartbeat, duration)
            yield Sleep, step
            duration -= step
            if duration > 0 and (yield Renew, delivery) is None:
                yield Record, ev.LEASE_LOST, job_id, attempt_no, token, None
                return
    if WORKER_BEFORE_COMMIT in points and not (yield from _survive(WORKER_BEFORE_COMMIT, policy, delivery)):
        return

    error = decide.handler_error(delivery.payload, attempt_no)
    if error is not None:
        if defer:  # the batch is acked as a whole: the failure goes unreported
            yield Record, ev.ERROR_IGNORED, job_id, attempt_no, token, {"error": error}
            return True
        yield from fail(policy, delivery, error, "handler", draw, points)
        return
    effect = decide.effect_of(delivery.payload, name, attempt_no)
    if WORKER_MID_COMMIT in points and not (yield from _survive(WORKER_MID_COMMIT, policy, delivery)):
        return
    outcome = yield (
        Commit,
        delivery,
        effect,
        policy.idempotent_effects,
        policy.fencing,
        delivery.payload.get("business_row", False),
    )
    step = decide.after_commit(outcome, policy)
    if outcome in STORE_ERRORS:
        yield store_error(job_id, "commit_effect", outcome, attempt_no, token)
    if step == decide.ABANDON:
        return
    if step == decide.FAIL:
        error = ERROR_TEXT.get(outcome) or f"business row for {job_id} does not exist"
        if defer:
            yield Record, ev.ERROR_IGNORED, job_id, attempt_no, token, {"error": error}
            return True
        yield from fail(policy, delivery, error, decide.FAILURE_REASON[outcome], draw, points)
        return
    if step == decide.IGNORE:
        yield Record, ev.ERROR_IGNORED, job_id, attempt_no, token, {"error": ERROR_TEXT[outcome]}
    if WORKER_AFTER_COMMIT in points and not (yield from _survive(WORKER_AFTER_COMMIT, policy, delivery)):
        return
    if defer:
        return policy.ack_mode == "after_commit"
    if policy.ack_mode == "after_commit":
        yield Ack, delivery, False


def fail(policy, delivery, error: str, reason: str, draw: Draw, points: frozenset[str] = ALL):
    """A failed attempt: retry after the policy's backoff, or dead-letter the last error. Retrying by
    republishing takes two steps: publish a delayed copy, then ack the original."""
    if decide.is_final_attempt(delivery.attempt, policy, delivery.payload):
        delay = None
    else:
        low, high = decide.backoff_range_ms(policy, delivery.attempt, delivery.payload)
        delay = low if high == low else draw(low, high)
    on_receipt = policy.ack_mode == "on_receipt"
    copy = delay is not None and policy.retry_strategy == "republish" and not on_receipt
    yield Fail, delivery, error, reason, delay, on_receipt, copy
    if WORKER_AFTER_RETRY in points and delay is not None:
        yield Point, WORKER_AFTER_RETRY, delivery.job_id
    if copy:
        yield Ack, delivery, False
