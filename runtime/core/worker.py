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
    Steps,
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
from runtime.core.policy import Policy
from runtime.core.ports import ERROR_TEXT, STORE_ERRORS, Delivery

Draw = Callable[[int, int], int]
"""draw(low, high): a uniform integer in [low, high] from the actor's own random stream."""


def worker(
    name: str, policy: Policy, *, poll_ms: int, jitter_ms: int, draw: Draw, points: frozenset[str] = ALL
) -> Steps[None]:
    """Serve jobs until the system is quiet. `draw(low, high)`: a uniform integer from the worker's
    own seeded random stream (the world hands it over; it survives a crash). `points`: the fault
    points where a fault can fire for this worker (the injector knows: PlanIndex.live_points); the
    others are passed without a word."""
    return Worker(name, policy, jitter_ms=jitter_ms, draw=draw, points=points).serve(poll_ms)


class Worker:
    """One worker incarnation's protocol, with what it reads of its policy looked up once."""

    __slots__ = (
        "name",
        "policy",
        "jitter_ms",
        "draw",
        "points",
        "on_receipt",
        "acks_after_commit",
        "heartbeat_ms",
        "idempotent",
        "fencing",
        "at_lease",
        "before_commit",
        "mid_commit",
        "after_commit",
    )

    def __init__(self, name: str, policy: Policy, *, jitter_ms: int, draw: Draw, points: frozenset[str]) -> None:
        self.name, self.policy, self.jitter_ms, self.draw, self.points = name, policy, jitter_ms, draw, points
        self.on_receipt = policy.ack_mode == "on_receipt"
        self.acks_after_commit = policy.ack_mode == "after_commit"
        self.heartbeat_ms = policy.heartbeat_ms if policy.lease_ms is not None else None
        self.idempotent, self.fencing = policy.idempotent_effects, policy.fencing
        self.at_lease, self.before_commit = WORKER_AFTER_LEASE in points, WORKER_BEFORE_COMMIT in points
        self.mid_commit, self.after_commit = WORKER_MID_COMMIT in points, WORKER_AFTER_COMMIT in points

    def serve(self, poll_ms: int) -> Steps[None]:
        """Lease and attempt jobs one by one (or in batches) until the system is quiet."""
        if self.policy.batch_size > 1:
            yield from self.batches(poll_ms)
            return
        next_job, attempt = (NextJob, poll_ms), self.attempt
        while True:
            delivery = yield next_job
            if delivery is None:  # the system is quiet: nothing left to do
                return
            yield from attempt(delivery)

    def batches(self, poll_ms: int) -> Steps[None]:
        """Lease up to batch_size jobs and run them in turn; a job whose lease is gone by its turn is
        skipped. Ack each on its own, or (batch_ack="batch") the whole batch at the end, failures and all."""
        policy = self.policy
        next_batch = (NextBatch, poll_ms, policy.batch_size)
        whole = policy.batch_ack == "batch"
        checks_lease = self.heartbeat_ms is not None
        while True:
            deliveries = yield next_batch
            if deliveries is None:
                return
            done: list[Delivery] = []
            for turn, delivery in enumerate(deliveries):
                yield Hold, delivery
                if turn and checks_lease and (yield Renew, delivery) is None:
                    yield Record, ev.LEASE_LOST, delivery.job_id, delivery.attempt, delivery.token, None
                    continue
                if (yield from self.attempt(delivery, whole)):
                    done.append(delivery)
            if whole:
                yield AckBatch, tuple(done)
            yield Hold, None

    def survive(self, point: str, delivery: Delivery) -> Steps[bool]:
        """A worker's fault point. After a pause, a heartbeating worker checks its lease: False means it
        is lost and the attempt must be abandoned. (A crash never comes back from the point.)"""
        if (yield Point, point, delivery.job_id) != PAUSED or self.policy.heartbeat_ms is None:
            return True
        if (yield Renew, delivery) is None:
            yield Record, ev.LEASE_LOST, delivery.job_id, delivery.attempt, delivery.token, None
            return False
        return True

    def attempt(self, delivery: Delivery, defer: bool = False) -> Steps[bool]:
        """One attempt at one job. With `defer` (a batch acked as a whole) nothing is acked or reported
        here: returns True for a job the batch's ack should cover - a failed one too, its error ignored."""
        job_id, attempt_no, token, payload = delivery.job_id, delivery.attempt, delivery.token, delivery.payload
        if self.at_lease and not (yield from self.survive(WORKER_AFTER_LEASE, delivery)):
            return False
        if "eta_ms" in payload:  # a delayed job the worker holds until due (eta_wait="worker")
            wait = decide.eta_wait_ms(payload, self.policy, (yield NOW))
            if wait:
                yield Sleep, wait
        if self.on_receipt:
            yield Ack, delivery, True
        yield Record, ev.STARTED, job_id, attempt_no, token, None
        duration = delivery.duration_ms + (self.draw(0, self.jitter_ms) if self.jitter_ms else 0)
        if self.heartbeat_ms is None:
            yield Sleep, duration
        elif not (yield from self.heartbeats(delivery, duration)):
            return False
        if self.before_commit and not (yield from self.survive(WORKER_BEFORE_COMMIT, delivery)):
            return False
        error = decide.handler_error(payload, attempt_no)
        if error is not None:
            if defer:  # the batch is acked as a whole: the failure goes unreported
                yield Record, ev.ERROR_IGNORED, job_id, attempt_no, token, {"error": error}
                return True
            yield from self.fail(delivery, error, "handler")
            return False
        effect = decide.effect_of(payload, self.name, attempt_no)
        if self.mid_commit and not (yield from self.survive(WORKER_MID_COMMIT, delivery)):
            return False
        requires_row = "business_row" in payload and payload["business_row"]
        outcome = yield Commit, delivery, effect, self.idempotent, self.fencing, requires_row
        step = decide.after_commit(outcome, self.policy)
        if step != decide.ACK and not (yield from self.after_refusal(delivery, outcome, step, defer)):
            return defer and step != decide.ABANDON
        if self.after_commit and not (yield from self.survive(WORKER_AFTER_COMMIT, delivery)):
            return False
        if defer:
            return self.acks_after_commit
        if self.acks_after_commit:
            yield Ack, delivery, False
        return False

    def heartbeats(self, delivery: Delivery, duration: int) -> Steps[bool]:
        """The handler runs `duration` while the worker renews its lease every heartbeat. False: the
        lease was lost meanwhile, and the attempt is abandoned."""
        heartbeat = self.heartbeat_ms
        assert heartbeat is not None  # called only for a heartbeating worker
        while duration > 0:
            step = min(heartbeat, duration)
            yield Sleep, step
            duration -= step
            if duration > 0 and (yield Renew, delivery) is None:
                yield Record, ev.LEASE_LOST, delivery.job_id, delivery.attempt, delivery.token, None
                return False
        return True

    def after_refusal(self, delivery: Delivery, outcome: str, step: str, defer: bool) -> Steps[bool]:
        """The commit was not applied as asked (a store error, fenced, a missing row): record what the
        worker saw and fail, ignore or abandon as the step says. True: carry on to the ack."""
        job_id, attempt_no, token = delivery.job_id, delivery.attempt, delivery.token
        if outcome in STORE_ERRORS:
            yield store_error(job_id, "commit_effect", outcome, attempt_no, token)
        if step == decide.ABANDON:
            return False
        if step == decide.FAIL:
            error = ERROR_TEXT.get(outcome) or f"business row for {job_id} does not exist"
            if defer:
                yield Record, ev.ERROR_IGNORED, job_id, attempt_no, token, {"error": error}
                return False
            yield from self.fail(delivery, error, decide.FAILURE_REASON[outcome])
            return False
        if step == decide.IGNORE:
            yield Record, ev.ERROR_IGNORED, job_id, attempt_no, token, {"error": ERROR_TEXT[outcome]}
        return True

    def fail(self, delivery: Delivery, error: str, reason: str) -> Steps[None]:
        """A failed attempt: retry after the policy's backoff, or dead-letter the last error. Retrying by
        republishing takes two steps: publish a delayed copy, then ack the original."""
        policy = self.policy
        if decide.is_final_attempt(delivery.attempt, policy, delivery.payload):
            delay = None
        else:
            low, high = decide.backoff_range_ms(policy, delivery.attempt, delivery.payload)
            delay = low if high == low else self.draw(low, high)
        copy = delay is not None and policy.retry_strategy == "republish" and not self.on_receipt
        yield Fail, delivery, error, reason, delay, self.on_receipt, copy
        if WORKER_AFTER_RETRY in self.points and delay is not None:
            yield Point, WORKER_AFTER_RETRY, delivery.job_id
        if copy:
            yield Ack, delivery, False
