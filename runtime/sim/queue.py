"""The in-memory queue (a QueuePort): messages with leases, ack, failure reports, redelivery, a DLQ.

Every publish is a message of its own (a job published twice is two messages; a dedupe window is a
policy, not a silent rule). Visible messages are served in publish order; delayed ones (retry
backoff) wait in a heap until due. Each operation records its state change in the history.
"""

from __future__ import annotations

import heapq
from collections import deque
from typing import Any

from runtime.core import history as ev
from runtime.core.decisions import (
    BURY,
    EXHAUSTED,
    EXPIRED_WHY,
    after_lease_expiry,
    attempt_limit,
    claims_delivery,
    may_lease,
    refunds_expired_attempt,
    visible_from,
)
from runtime.core.faults import QUEUE_ACK
from runtime.core.history import MISSING, Event
from runtime.core.ports import Delivery

NEVER = 2**62
SUBMITTED, LEASED_EVENT, ACKED = ev.SUBMITTED, ev.LEASED, ev.ACKED
_event = _delivery = tuple.__new__
READY = "ready"
LEASED = "leased"
QUEUE = "queue"


class Message:
    """The queue's live, mutable record of one message (never leaves the queue)."""

    __slots__ = (
        "id",
        "job_id",
        "payload",
        "duration_ms",
        "request",
        "key",
        "seq",
        "state",
        "visible_at_ms",
        "epoch",
        "owner",
        "token",
        "attempt",
        "lease_expires_at_ms",
    )

    def __init__(self, message_id, job_id, payload, duration_ms, request, key, seq) -> None:
        self.id = message_id
        self.job_id = job_id
        self.payload = payload
        self.duration_ms = duration_ms
        self.request = request
        self.key = key
        self.seq = seq
        self.state = READY
        self.visible_at_ms = 0
        self.epoch = 0  # bumped on every requeue; stale heap entries carry an older epoch
        self.owner: str | None = None
        self.token = 0
        self.attempt = 0
        self.lease_expires_at_ms: int | None = None


class RetryBudget:
    """At most `per_s` retries fall due in any one second: a retry due in a full second moves to the
    same offset in the first second with room. The full seconds are linked to the next candidate
    (a union-find with path compression), so finding room costs about the same however many seconds
    are already full (tests/core/test_runtime_units.py counts the probes)."""

    __slots__ = ("per_s", "_due", "_next", "probes")

    def __init__(self, per_s: int) -> None:
        self.per_s = per_s
        self._due: dict[int, int] = {}  # second -> retries due in it
        self._next: dict[int, int] = {}  # full second -> a later second that may have room
        self.probes = 0  # seconds looked at, for the cost test

    def slot(self, visible_at: int) -> int:
        """When a retry asked for at `visible_at` falls due, and count it."""
        second = visible_at // 1000
        full, path = self._next, []
        while second in full:
            path.append(second)
            second = full[second]
        self.probes += len(path) + 1
        for passed in path:  # path compression: the next search jumps straight here
            full[passed] = second
        count = self._due[second] = self._due.get(second, 0) + 1
        if count >= self.per_s:
            full[second] = second + 1
        return max(visible_at, second * 1000 + visible_at % 1000)


class Queue:
    def __init__(self, clock, history, policy, injector, store) -> None:
        self._clock = clock
        self._history = history
        self._events = history.events  # the hot paths append their events directly
        self._policy = policy
        self._injector = injector
        self._lease_tokens = store.lease_tokens  # the lease table the store fences against
        self.messages: dict[int, Message] = {}
        self._leased: dict[int, Message] = {}
        # Visible messages, served in publish (seq) order: fresh publishes arrive with growing seqs and
        # wait in a deque (O(1)); messages that come back at their old place wait in a heap.
        self._fresh: deque[tuple[int, int]] = deque()  # (seq, message id), seqs increasing
        self._back: list[tuple[int, int]] = []  # (seq, message id), a heap
        self._delayed: list[tuple[int, int, int, int]] = []  # (visible_at, seq, epoch, message id)
        # (lease_expires_at, token, message id) of every lease and renewal, entries of leases since
        # acked or renewed left in place (skipped when read). A deque, not a heap: every lease and
        # renewal lasts lease_ms from the queue's clock, which never goes back, so entries arrive in
        # expiry order (entries with equal expiries are reclaimed in token order, see _reclaim).
        self._expiries: deque[tuple[int, int, int]] = deque()
        self._seq = 0
        self._next_message = 0
        self._next_token = 0
        budget = policy.retry_budget_per_s
        self._budget = RetryBudget(budget) if budget is not None else None
        self._published: dict[str, tuple[int, int]] = {}  # job id -> (time, index) of its last accepted publish
        self.attempts: dict[str, int] = {}
        self.dead_letters: list[tuple[str, int, str]] = []  # (job id, attempt, last error)
        self._buried: list[tuple] = []  # (payload, duration, request, key) per dead letter, for a redrive
        self._redrives = 0
        # The policy's fields the hot path reads, looked up once.
        self._lease_ms: int | None = policy.lease_ms
        self._max_attempts: int | None = policy.max_attempts
        self._margin_ms, self._worker_clock = policy.lease_margin_ms, policy.lease_clock == "worker"
        self._window_ms = policy.publish_dedupe_window_ms
        self._acks_lost = injector.acks_lost
        self.requeued: list[str] | None = None
        """The jobs a lease expiry put back, when a broker must be told (runtime/core/brokered.py)."""

    # -- producers -------------------------------------------------------------------------
    def enqueue(self, actor: str, job_id: str, payload, duration_ms: int, request: str, key, outbox=False) -> bool:
        """Accept a publish as a new message, unless the policy's dedupe window drops it (recorded)."""
        now = self._clock.now_ms
        window = self._window_ms
        if window is not None:
            previous = self._published.get(job_id)
            if previous is not None and now - previous[0] < window:
                self._history.record(ev.PUBLISH_DEDUPLICATED, actor, job_id, None, None, window, previous[1])
                return False
        message_id = self._next_message = self._next_message + 1
        seq = self._seq = self._seq + 1
        message = self.messages[message_id] = Message(message_id, job_id, payload, duration_ms, request, key, seq)
        if job_id not in self.attempts:
            self.attempts[job_id] = 0
        due = visible_from(payload, self._policy, now) if "eta_ms" in payload else now
        if due > now:  # a delayed job the queue holds until its ETA
            message.visible_at_ms = due
            heapq.heappush(self._delayed, (due, seq, message.epoch, message_id))
        else:
            self._fresh.append((seq, message_id))
        events = self._events
        index = len(events)
        events.append(
            _event(
                Event, (index, now, SUBMITTED, actor, job_id, None, None, (message_id, request, key, payload, outbox))
            )
        )
        if window is not None:
            self._published[job_id] = (now, index)
        return True

    # -- consumers -------------------------------------------------------------------------
    def lease(self, worker: str, worker_now_ms: int) -> Delivery | None:
        """Hand the oldest visible message to `worker`, or None if nothing is visible."""
        now = self._clock.now_ms
        expiries = self._expiries
        if self._worker_clock and expiries and expiries[0][0] + self._margin_ms <= worker_now_ms:
            # Each worker judges expiry by its own clock: a fast clock reclaims live leases. Entries of
            # leases since acked or renewed are stale: drop them here; reclaim only when one is live.
            leased = self._leased
            while expiries and expiries[0][0] + self._margin_ms <= worker_now_ms:
                due, token, message_id = expiries[0]
                live = leased.get(message_id)
                if live is not None and live.token == token and live.lease_expires_at_ms == due:
                    self._reclaim(worker, worker_now_ms, margin_ms=self._margin_ms)
                    break
                expiries.popleft()
        delayed, fresh, back, messages = self._delayed, self._fresh, self._back, self.messages
        while delayed and delayed[0][0] <= now:
            _, seq, epoch, message_id = heapq.heappop(delayed)
            message = messages.get(message_id)
            if message is not None and message.epoch == epoch and message.state == READY:
                heapq.heappush(back, (seq, message_id))
        while fresh or back:
            if fresh and (not back or fresh[0][0] < back[0][0]):
                _, message_id = fresh.popleft()
            else:
                _, message_id = heapq.heappop(back)
            message = messages.get(message_id)
            if message is None or message.state != READY or message.visible_at_ms > now:
                continue
            delivery = self._grant(worker, message, now)
            if delivery is not None:
                return delivery
        return None

    def claim(self, worker: str, job_id: str, redelivered: bool) -> Delivery | None:
        """A broker delivered `job_id` to `worker`: lease the job's message to it if the delivery
        claims it (runtime/core/decisions.py, claims_delivery), else None."""
        message = next((m for m in self.messages.values() if m.job_id == job_id), None)
        if message is None or not claims_delivery(message.state, redelivered):
            return None
        return self._grant(worker, message, self._clock.now_ms)

    def _grant(self, worker: str, message: Message, now: int) -> Delivery | None:
        """Lease `message` to `worker`, or bury it (None) when the attempt would pass its bound."""
        job_id = message.job_id
        message_id = message.id
        expiries = self._expiries
        attempt = self.attempts[job_id] + 1
        limit = self._max_attempts if "max_attempts" not in message.payload else self._limit(message.payload)
        if limit is not None and not may_lease(attempt, limit):
            self._remove(message)  # never lease past the bound, however the message came back
            self._bury(QUEUE, job_id, attempt - 1, EXHAUSTED, message)
            return None
        # Grant: one attempt, a fresh token (also the newest in the lease table the store fences
        # against), an expiry the reaper or the workers' clocks judge.
        self.attempts[job_id] = attempt
        token = self._next_token = self._next_token + 1
        expires = None if self._lease_ms is None else now + self._lease_ms
        message.state = LEASED
        message.owner = worker
        message.attempt = attempt
        message.token = token
        message.lease_expires_at_ms = expires
        self._leased[message_id] = message
        self._lease_tokens[job_id] = token
        if expires is not None:
            expiries.append((expires, token, message_id))
        events = self._events
        events.append(
            _event(Event, (len(events), now, LEASED_EVENT, worker, job_id, attempt, token, (message_id, expires)))
        )
        return _delivery(
            Delivery,
            (
                job_id,
                message_id,
                message.payload,
                message.duration_ms,
                attempt,
                token,
                expires,
                message.request,
                message.key,
            ),
        )

    def holds_lease(self, delivery: Delivery) -> bool:
        message = self._leased.get(delivery.message)
        return message is not None and message.token == delivery.token

    def renew(self, actor: str, delivery: Delivery) -> int | None:
        """Heartbeat: extend a lease still held; return the new expiry, or None if it is gone."""
        if not self.holds_lease(delivery):
            return None
        message = self._leased[delivery.message]
        expires = message.lease_expires_at_ms = self._clock.now_ms + self._policy.lease_ms
        self._expiries.append((expires, message.token, message.id))
        self._history.record(ev.LEASE_RENEWED, actor, delivery.job_id, delivery.attempt, delivery.token, expires)
        return expires

    def ack(self, actor: str, delivery: Delivery, on_receipt: bool = False) -> bool:
        """Forget the message if `delivery` still holds it. A lost ack (injected) redelivers it."""
        message = self.messages.get(delivery.message)
        job_id, attempt, token = delivery.job_id, delivery.attempt, delivery.token
        if message is None or message.token != token:
            reason = "the message is gone" if message is None else f"the lease moved on to token {message.token}"
            self._history.record(ev.ACK_REJECTED, actor, job_id, attempt, token, reason)
            return False
        message_id = message.id
        del self.messages[message_id]
        self._leased.pop(message_id, None)
        events = self._events
        acked = len(events)
        events.append(_event(Event, (acked, self._clock.now_ms, ACKED, actor, job_id, attempt, token, (on_receipt,))))
        if self._acks_lost and self._injector.at(QUEUE_ACK, QUEUE, job_id) is not None:
            self._history.record(ev.ACK_LOST, QUEUE, job_id, attempt, token, acked)
            self._requeue(message, self._clock.now_ms, at_head=False)
        return True

    def report_failure(
        self,
        actor: str,
        delivery: Delivery,
        *,
        error: str,
        reason: str,
        delay_ms: int | None,
        republish: bool,
        copy: bool = False,
    ) -> bool:
        """A failed attempt (a nack): retry after `delay_ms`, or dead-letter when it is None.

        Accepted only while `delivery` holds the lease; `republish` (the message was acked on
        receipt) publishes a copy instead. `copy` publishes a delayed copy and leaves the original
        leased, for the worker to ack (retry by republish-then-ack). Returns whether the queue
        accepted the report."""
        message = self.messages.get(delivery.message)
        job_id, attempt, token = delivery.job_id, delivery.attempt, delivery.token
        held = message is not None and message.token == token and message.state == LEASED
        accepted = held or (message is None and republish)
        self._history.record(ev.ATTEMPT_FAILED, actor, job_id, attempt, token, error, reason, accepted)
        if not accepted:
            return False
        if delay_ms is None:
            if message is not None:
                self._remove(message)
            self._bury(actor, job_id, attempt, error, delivery)
            return True
        visible_at = self._budgeted(self._clock.now_ms + delay_ms)
        if message is None or copy:  # acked on receipt, or republished: a copy
            self._next_message += 1
            message = Message(
                self._next_message,
                job_id,
                delivery.payload,
                delivery.duration_ms,
                delivery.request,
                delivery.key,
                0,
            )
        self._requeue(message, visible_at)
        self._history.record(ev.RETRY_SCHEDULED, actor, job_id, attempt, token, delay_ms, visible_at, message.id)
        return True

    def redrive(self, actor: str, keep_ids: bool) -> int:
        """Move every dead-lettered job back to the queue: under its own job id and key with a fresh
        attempt budget (`keep_ids`), or as a new job `<id>~rN` of the same request. How many moved."""
        moved, buried = self.dead_letters, self._buried
        self.dead_letters, self._buried = [], []
        self._redrives += 1
        for (job_id, _, _), (payload, duration, request, key) in zip(moved, buried, strict=True):
            new_id = job_id if keep_ids else f"{job_id}~r{self._redrives}"
            if keep_ids:
                self.attempts[job_id] = 0
            self._history.record(ev.REDRIVEN, actor, new_id, None, None, job_id, "keep" if keep_ids else "mint")
            self._published.pop(new_id, None)  # an operator's publish is deliberate: no dedupe window
            self.enqueue(actor, new_id, payload, duration, request, key)
        return len(moved)

    # -- lease expiry (the reaper, or workers judging by their own clocks) -----------------
    def reap(self, actor: str, now_ms: int, margin_ms: int) -> int:
        expiries = self._expiries
        if not expiries or expiries[0][0] + margin_ms > now_ms:
            return 0
        return self._reclaim(actor, now_ms, margin_ms)

    def _reclaim(self, actor: str, judged_now_ms: int, margin_ms: int) -> int:
        """Expire every lease whose expiry (plus margin) has passed by `judged_now_ms`.

        The expiry queue may hold stale entries (renewed or released leases); they are skipped.
        Expired leases are handled in grant order (token order), oldest first. A lease that
        expires on the job's final attempt dead-letters the job instead of re-queueing it.
        """
        expiries, leased = self._expiries, self._leased
        expired = []
        while expiries and expiries[0][0] + margin_ms <= judged_now_ms:
            expires, token, message_id = expiries.popleft()
            message = leased.get(message_id)
            if message is not None and message.token == token and message.lease_expires_at_ms == expires:
                expired.append(message)
        expired.sort(key=lambda m: m.token)
        max_attempts = self._policy.max_attempts
        for message in expired:
            self._history.record(
                ev.LEASE_EXPIRED,
                actor,
                message.job_id,
                message.attempt,
                message.token,
                message.owner,
                message.lease_expires_at_ms,
            )
            limit = max_attempts if "max_attempts" not in message.payload else self._limit(message.payload)
            if after_lease_expiry(self.attempts[message.job_id], limit, self._policy) == BURY:
                self._remove(message)
                self._bury(actor, message.job_id, message.attempt, EXPIRED_WHY[self._policy.expired_lease], message)
            else:
                if refunds_expired_attempt(self._policy):
                    self.attempts[message.job_id] -= 1
                self._requeue(message, self._clock.now_ms)
                if self.requeued is not None:
                    self.requeued.append(message.job_id)
        return len(expired)

    # -- bookkeeping -----------------------------------------------------------------------
    def next_change_ms(
        self, horizon_ms: int = NEVER, max_skew_ms: int = 0, reaped_at=None, brokered: bool = False
    ) -> int | None:
        """When, before `horizon_ms` (else `horizon_ms`), a lease could next find something without
        anyone publishing: a delayed message due, or an expired lease reclaimed - by the reaper
        (`reaped_at(t)`: its first pass at or after t) under the store's clock, or by a worker's
        clock up to `max_skew_ms` fast. None when a message is visible now. `brokered`: a broker
        hands the messages out (runtime/core/brokered.py), so only the leases' expiries count."""
        if (self._fresh or self._back) and not brokered:
            return None
        change = horizon_ms
        if self._delayed and self._delayed[0][0] < change:
            change = self._delayed[0][0]
        expiries = self._expiries
        # Entries of leases since acked, renewed or reclaimed are stale (reap skips them): drop them
        # here, or every ack would pin the next change to an expiry that can no longer happen.
        leased = self._leased
        while expiries:
            expires, token, message_id = expiries[0]
            live = leased.get(message_id)
            if live is not None and live.token == token and live.lease_expires_at_ms == expires:
                due = expires + self._margin_ms
                if self._worker_clock:
                    due -= max(0, max_skew_ms)
                elif reaped_at is not None and due < change:
                    due = reaped_at(due)
                return due if due < change else change
            expiries.popleft()
        return change

    def is_idle(self) -> bool:
        return not self.messages

    def _limit(self, payload) -> int | None:
        return attempt_limit(self._policy, payload)

    def _budgeted(self, visible_at: int) -> int:
        return visible_at if self._budget is None else self._budget.slot(visible_at)

    def _requeue(self, message: Message, visible_at: int, *, at_head: bool = True) -> None:
        """Make `message` ready again, visible from `visible_at`: at its old position (as a broker
        that requeues at the head does), or at the tail (a redelivery after a lost ack)."""
        if not at_head or message.seq == 0:
            self._seq += 1
            message.seq = self._seq
        self.messages[message.id] = message
        self._leased.pop(message.id, None)
        message.state, message.owner, message.lease_expires_at_ms = READY, None, None
        message.visible_at_ms = visible_at
        message.epoch += 1
        if visible_at <= self._clock.now_ms:
            heapq.heappush(self._back, (message.seq, message.id))
        else:
            heapq.heappush(self._delayed, (visible_at, message.seq, message.epoch, message.id))

    def _remove(self, message: Message) -> None:
        self.messages.pop(message.id, None)
        self._leased.pop(message.id, None)

    def _bury(self, actor: str, job_id: str, attempt: int, error: str, job) -> None:
        """Dead-letter the job; `job` (its message or delivery) is kept for a redrive."""
        self.dead_letters.append((job_id, attempt, error))
        self._buried.append((job.payload, job.duration_ms, job.request, job.key))
        self._history.record(ev.DEAD_LETTERED, actor, job_id, attempt, None, error, MISSING)

    def snapshot(self) -> dict[str, Any]:
        """The queue's part of the final state."""
        return {
            "messages": [
                [m.id, m.job_id, m.state if m.state == LEASED or m.visible_at_ms <= self._clock.now_ms else "delayed"]
                for m in sorted(self.messages.values(), key=lambda m: m.id)
            ],
            "attempts": self.attempts,  # JSON sorts the keys
            "dead_letters": [list(row) for row in self.dead_letters],
        }
