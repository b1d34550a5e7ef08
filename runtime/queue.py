"""Queue: one message per job, leases (visibility timeout), ack/retry, redelivery and a DLQ.

Visible messages are served in their original enqueue order, as a broker that requeues at the
head does; delayed messages (retry backoff) wait in a heap until they are due.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from typing import Any, NamedTuple

from runtime import history as ev

READY = "ready"
LEASED = "leased"


class Delivery(NamedTuple):
    """What a worker holds while it works on a job: the lease it was handed (immutable)."""

    job_id: str
    payload: Mapping[str, Any]
    duration_ms: int
    attempt: int
    token: int
    lease_expires_at_ms: int | None


class Message:
    """The queue's live, mutable record of one job's message (never leaves the queue)."""

    __slots__ = (
        "job_id",
        "payload",
        "duration_ms",
        "seq",
        "state",
        "visible_at_ms",
        "epoch",
        "owner",
        "token",
        "lease_expires_at_ms",
    )

    def __init__(self, job_id: str, payload: Mapping[str, Any], duration_ms: int, seq: int) -> None:
        self.job_id, self.payload, self.duration_ms, self.seq = job_id, payload, duration_ms, seq
        self.state = READY
        self.visible_at_ms = 0
        self.epoch = 0  # bumped on every requeue; stale heap entries carry an older epoch
        self.owner: str | None = None
        self.token = 0
        self.lease_expires_at_ms: int | None = None


class Queue:
    def __init__(self, clock, history, policy, faults) -> None:
        self._clock = clock
        self._history = history
        self._policy = policy
        self._faults = faults
        self.messages: dict[str, Message] = {}
        self._leased: dict[str, Message] = {}
        self._visible: list[tuple[int, str]] = []  # (seq, job_id)
        self._delayed: list[tuple[int, int, int, str]] = []  # (visible_at, seq, epoch, job_id)
        self._expiries: list[tuple[int, int, str]] = []  # (lease_expires_at, token, job_id), lazy
        self._seq = 0
        self._next_token = 0
        self._retries_due: dict[int, int] = {}  # second -> retries due in it (retry budget)
        self.attempts: dict[str, int] = {}
        self.dead_letters: dict[str, str] = {}  # job_id -> last error

    # -- producers -------------------------------------------------------------------------
    def enqueue(self, actor: str, job_id: str, payload: Mapping[str, Any], duration_ms: int, **detail) -> bool:
        """Accept a job. A job id the queue already knows is ignored (the relay may resend)."""
        if job_id in self.attempts:  # every job the queue ever accepted has an attempts entry
            return False
        self._seq += 1
        message = Message(job_id, payload, duration_ms, self._seq)
        self.messages[job_id] = message
        self.attempts[job_id] = 0
        heapq.heappush(self._visible, (message.seq, job_id))
        self._history.record(ev.SUBMITTED, actor, job_id, payload=payload, **detail)
        return True

    # -- consumers -------------------------------------------------------------------------
    def lease(self, worker: str, worker_now_ms: int) -> Delivery | None:
        """Hand the oldest visible message to `worker`, or None if nothing is visible."""
        now = self._clock.now_ms
        policy = self._policy
        expiries = self._expiries
        if expiries and policy.lease_clock == "worker" and expiries[0][0] + policy.lease_margin_ms <= worker_now_ms:
            # Each worker judges expiry by its own clock: a fast clock reclaims live leases.
            self._reclaim(worker, worker_now_ms, margin_ms=policy.lease_margin_ms)
        delayed, visible = self._delayed, self._visible
        while delayed and delayed[0][0] <= now:
            _, seq, epoch, job_id = heapq.heappop(delayed)
            message = self.messages.get(job_id)
            if message is not None and message.epoch == epoch and message.state == READY:
                heapq.heappush(visible, (seq, job_id))
        while visible:
            _, job_id = heapq.heappop(visible)
            message = self.messages.get(job_id)
            if message is None or message.state != READY or message.visible_at_ms > now:
                continue
            return self._grant(message, worker, now)
        return None

    def _grant(self, message: Message, worker: str, now: int) -> Delivery:
        attempt = self.attempts[message.job_id] + 1
        self.attempts[message.job_id] = attempt
        self._next_token += 1
        expires = None if self._policy.lease_ms is None else now + self._policy.lease_ms
        message.state, message.owner = LEASED, worker
        message.token, message.lease_expires_at_ms = self._next_token, expires
        self._leased[message.job_id] = message
        if expires is not None:
            heapq.heappush(self._expiries, (expires, message.token, message.job_id))
        self._history.record(ev.LEASED, worker, message.job_id, attempt, message.token, lease_expires_at_ms=expires)
        return Delivery(message.job_id, message.payload, message.duration_ms, attempt, message.token, expires)

    def holds_lease(self, delivery: Delivery) -> bool:
        message = self._leased.get(delivery.job_id)
        return message is not None and message.token == delivery.token

    def renew(self, delivery: Delivery) -> int | None:
        """Heartbeat: extend a lease still held; return the new expiry, or None if it is gone."""
        if not self.holds_lease(delivery):
            return None
        message = self._leased[delivery.job_id]
        expires = message.lease_expires_at_ms = self._clock.now_ms + self._policy.lease_ms
        heapq.heappush(self._expiries, (expires, message.token, message.job_id))
        return expires

    def ack(self, delivery: Delivery) -> bool:
        """Forget the message if `delivery` still holds it. A lost ack (injected) redelivers."""
        message = self.messages.get(delivery.job_id)
        if message is None or message.token != delivery.token:
            return False
        self._remove(message)
        if self._faults.take_duplicate(delivery.job_id):
            self._history.record(ev.REDELIVERED, "queue", delivery.job_id, reason="ack lost")
            self._requeue_new(message, self._clock.now_ms)
        return True

    def retry(self, delivery: Delivery, delay_ms: int) -> int:
        """Put the job back, visible after `delay_ms` (bounded by the retry budget)."""
        now = self._clock.now_ms
        visible_at = self._budgeted(now + delay_ms)
        message = self.messages.get(delivery.job_id)
        if message is None:  # acked on receipt: the message must be published again
            self._requeue_new(
                Message(delivery.job_id, delivery.payload, delivery.duration_ms, 0),
                visible_at,
            )
        elif message.token == delivery.token:
            self._make_ready(message, visible_at)
        return visible_at

    def dead_letter(self, actor: str, delivery: Delivery, error: str) -> None:
        message = self.messages.get(delivery.job_id)
        if message is not None:
            self._remove(message)
        self._bury(actor, delivery.job_id, delivery.attempt, error)

    # -- lease expiry (the reaper, or workers judging by their own clocks) -----------------
    def reap(self, actor: str, now_ms: int, margin_ms: int) -> int:
        expiries = self._expiries
        if not expiries or expiries[0][0] + margin_ms > now_ms:
            return 0
        return self._reclaim(actor, now_ms, margin_ms)

    def _reclaim(self, actor: str, judged_now_ms: int, margin_ms: int) -> int:
        """Expire every lease whose expiry (plus margin) has passed by `judged_now_ms`.

        The expiry heap may hold stale entries (renewed or released leases); they are skipped.
        Expired leases are handled in grant order (token order), oldest first.
        """
        expiries, leased = self._expiries, self._leased
        expired = []
        while expiries and expiries[0][0] + margin_ms <= judged_now_ms:
            expires, token, job_id = heapq.heappop(expiries)
            message = leased.get(job_id)
            if message is not None and message.token == token and message.lease_expires_at_ms == expires:
                expired.append(message)
        expired.sort(key=lambda m: m.token)
        max_attempts = self._policy.max_attempts
        for message in expired:
            attempt = self.attempts[message.job_id]
            self._history.record(
                ev.LEASE_EXPIRED,
                actor,
                message.job_id,
                attempt,
                message.token,
                owner=message.owner,
                lease_expires_at_ms=message.lease_expires_at_ms,
            )
            if max_attempts is not None and attempt >= max_attempts:
                self._remove(message)
                self._bury(actor, message.job_id, attempt, "lease expired on the final attempt")
            else:
                self._make_ready(message, self._clock.now_ms)
        return len(expired)

    # -- bookkeeping -----------------------------------------------------------------------
    def is_idle(self) -> bool:
        return not self.messages

    def _budgeted(self, visible_at: int) -> int:
        budget = self._policy.retry_budget_per_s
        if budget is None:
            return visible_at
        second = visible_at // 1000
        while self._retries_due.get(second, 0) >= budget:
            second += 1
        self._retries_due[second] = self._retries_due.get(second, 0) + 1
        return max(visible_at, second * 1000 + visible_at % 1000)

    def _make_ready(self, message: Message, visible_at: int) -> None:
        self._leased.pop(message.job_id, None)
        message.state, message.owner, message.lease_expires_at_ms = READY, None, None
        message.visible_at_ms = visible_at
        message.epoch += 1
        if visible_at <= self._clock.now_ms:
            heapq.heappush(self._visible, (message.seq, message.job_id))
        else:
            heapq.heappush(self._delayed, (visible_at, message.seq, message.epoch, message.job_id))

    def _requeue_new(self, message: Message, visible_at: int) -> None:
        self._seq += 1
        message.seq = self._seq
        self.messages[message.job_id] = message
        self._make_ready(message, visible_at)

    def _remove(self, message: Message) -> None:
        self.messages.pop(message.job_id, None)
        self._leased.pop(message.job_id, None)

    def _bury(self, actor: str, job_id: str, attempt: int, error: str) -> None:
        self.dead_letters[job_id] = error
        self._history.record(ev.DEAD_LETTERED, actor, job_id, attempt, last_error=error)
