"""The SQL queue (a QueuePort) with the in-memory queue's semantics (runtime/sim/queue.py): every
publish a message of its own, visible messages leased oldest first (FOR UPDATE SKIP LOCKED on
Postgres), fresh fencing tokens, the attempt bound at grant time, lease expiry judged by the store's
clock (the reaper) or a worker's, retries with backoff and a retry budget, a dead-letter table.

Each call is one transaction with its history rows (runtime/real/db.py)."""

from __future__ import annotations

import json
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
from runtime.core.history import MISSING
from runtime.core.payload import read_stored
from runtime.core.ports import Delivery
from runtime.real.db import ANY_JOB, Database, retry
from runtime.real.queries import queries

SQL = queries("queue")

READY, LEASED, QUEUE = "ready", "leased", "queue"


class SqlQueue:
    def __init__(self, db: Database, policy) -> None:
        self.db, self._policy = db, policy
        self._lease_ms, self._max_attempts = policy.lease_ms, policy.max_attempts
        self._margin_ms, self._worker_clock = policy.lease_margin_ms, policy.lease_clock == "worker"
        self._window_ms, self._budget = policy.publish_dedupe_window_ms, policy.retry_budget_per_s
        self._lease_next = SQL.of("lease_next", db.dialect)
        self._reclaim_select = SQL.of("reclaim_select_messages", db.dialect)
        # Whether the plan can lose an ack (else an ack never asks): the plan is installed first.
        self._acks_lost = bool(db.read(SQL.acks_lost_planned, (QUEUE_ACK,)))
        self.refused = 0
        """Stored jobs this queue dead-lettered because it could not interpret them (a metric's source)."""
        self.requeued: list[str] | None = None
        """The jobs a lease expiry put back, when a broker must be told (runtime/core/brokered.py)."""

    @property
    def policy(self):
        return self._policy

    def _limit(self, payload: dict | None) -> int | None:
        """The job's attempt budget: the policy's, or a workflow task's own when smaller (its payload);
        the policy's for a payload the queue cannot interpret."""
        if payload is None or "max_attempts" not in payload:
            return self._max_attempts
        return attempt_limit(self._policy, payload)

    # -- producers -------------------------------------------------------------------------
    def enqueue(self, actor: str, job_id: str, payload, duration_ms: int, request: str, key, outbox=False) -> bool:
        with self.db.transaction() as tx:
            return self.publish(tx, actor, job_id, payload, duration_ms, request, key, outbox)

    def publish(self, tx, actor: str, job_id: str, payload, duration_ms: int, request: str, key, outbox=False) -> bool:
        """`enqueue` inside a transaction the caller holds (the job service claims the key in it too)."""
        now, window = tx.now, self._window_ms
        if window is not None:
            previous = tx.one(SQL.publish_select_published, (job_id,))
            if previous is not None and now - previous[0] < window:
                tx.record(ev.PUBLISH_DEDUPLICATED, actor, job_id, None, None, window, previous[1])
                return False
        message_id, seq = tx.next("message"), tx.next("seq")
        due = visible_from(payload, self._policy, now) if isinstance(payload, dict) and "eta_ms" in payload else 0
        tx.run(
            SQL.publish_insert_messages,
            (message_id, job_id, _stored_text(payload), duration_ms, request, key, seq, READY, due if due > now else 0),
        )
        tx.run(SQL.publish_insert_job_attempts, (job_id,))
        if not due > now:
            tx.wake_workers()
        values = (message_id, request, key, payload, outbox)
        if window is None:
            tx.record(ev.SUBMITTED, actor, job_id, None, None, *values)
        else:
            event = tx.record_seq(ev.SUBMITTED, actor, job_id, None, None, *values)
            tx.run(
                SQL.publish_insert_published,
                (job_id, now, event),
            )
        return True

    # -- consumers -------------------------------------------------------------------------
    def lease(self, worker: str, worker_now_ms: int) -> Delivery | None:
        """The oldest visible message's job, leased. A worker that judges expiry by its own clock first
        reclaims every lease it sees expired, in the writers' turn; else the lease is a transaction
        about the job it finds (its turn taken once the message row is held: a job whose turn another
        transaction holds is not leased now, and the worker looks again at its next poll)."""
        batch = self.lease_batch(worker, worker_now_ms, 1)
        return batch[0] if batch else None

    def lease_batch(self, worker: str, worker_now_ms: int, size: int) -> list[Delivery]:
        """Up to `size` leases (`lease`'s, each job in its own turn and with its own history row) in one
        transaction: a batch policy's worker takes its batch in one round of the database."""
        with self.db.transaction(None if self._worker_clock else ANY_JOB) as tx:
            if self._worker_clock:  # each worker judges expiry by its own clock
                self._reclaim(tx, worker, worker_now_ms, self._margin_ms)
            batch: list[Delivery] = []
            while len(batch) < size:
                delivery = self._lease_in(tx, worker)
                if delivery is None:
                    break
                batch.append(delivery)
            return batch

    def _lease_in(self, tx, worker: str) -> Delivery | None:
        """The next lease inside the caller's transaction."""
        while True:
            row = tx.one(
                self._lease_next,
                (READY, tx.look),
            )
            if row is None:
                return None
            job_id = row[1]
            # The attempts count as it stands once the job's turn is held, and a fencing token.
            turned = tx.try_turn(job_id, (SQL.reclaim_select_job_attempts, (job_id,)), tx.next_of("token"))
            if turned is None:
                return None
            counted, (token,) = turned
            delivery = self._grant_in(tx, worker, row, counted, token)
            if delivery is not None:
                return delivery

    def claim(self, worker: str, job_id: str, redelivered: bool) -> Delivery | None:
        """A broker delivered `job_id` to `worker`: lease the job's message to it if the delivery
        claims it (runtime/core/decisions.py, claims_delivery), else None - in the job's turn."""

        def body() -> Delivery | None:
            with self.db.transaction(job_id) as tx:
                row = tx.one(SQL.claim_select_messages, (job_id,))
                if row is None or not claims_delivery(row[6], redelivered):
                    return None
                counted = tx.one(SQL.reclaim_select_job_attempts, (job_id,))
                (token,) = tx.one(*tx.next_of("token"))
                return self._grant_in(tx, worker, row, counted, token)

        answer: Delivery | None = retry(self.db, body)
        return answer

    def _grant_in(self, tx, worker: str, row, counted, token: int) -> Delivery | None:
        """Lease the message `row` (id, job id, payload, duration, request, key) to `worker` with
        `token`, its attempt one past `counted` (the job's attempts row); None when it is buried
        instead (a payload this version can't run, or an attempt past its bound)."""
        message_id, job_id = row[0], row[1]
        attempt = (counted[0] if counted is not None and isinstance(counted[0], int) else 0) + 1
        payload, problem = read_stored(job_id, row[2], row[3], row[4], row[5])
        if problem is not None or payload is None:  # a row this version cannot run: never leased
            self._bury(tx, QUEUE, job_id, attempt - 1, f"payload refused: {problem}", message_id, "payload")
            tx.run(SQL.delete_message, (message_id,))
            self.refused += 1
            return None
        limit = self._limit(payload)
        if not may_lease(attempt, limit):
            self._bury(tx, QUEUE, job_id, attempt - 1, EXHAUSTED, message_id)
            tx.run(SQL.delete_message, (message_id,))
            return None
        expires = None if self._lease_ms is None else tx.now + self._lease_ms
        tx.run(SQL.lease_insert_job_attempts, (job_id, attempt))
        tx.run(SQL.lease_update_messages, (LEASED, worker, attempt, token, expires, message_id))
        tx.run(SQL.lease_insert_lease_tokens, (job_id, token))
        tx.record(ev.LEASED, worker, job_id, attempt, token, message_id, expires)
        return Delivery(job_id, message_id, payload, row[3], attempt, token, expires, row[4], row[5])

    def renew(self, actor: str, delivery: Delivery) -> int | None:
        with self.db.transaction(delivery.job_id) as tx:
            row = tx.one(SQL.renew_select_messages, (delivery.message,))
            if row is None or row[0] != delivery.token or row[1] != LEASED:
                return None
            expires = tx.now + self._lease_ms
            tx.run(SQL.renew_update_messages, (expires, delivery.message))
            tx.record(ev.LEASE_RENEWED, actor, delivery.job_id, delivery.attempt, delivery.token, expires)
            return expires

    def ack(self, actor: str, delivery: Delivery, on_receipt: bool = False) -> bool:
        with self.db.transaction(delivery.job_id) as tx:
            return self.ack_in(tx, actor, delivery, on_receipt)

    def ack_in(self, tx, actor: str, delivery: Delivery, on_receipt: bool = False) -> bool:
        """`ack` inside a transaction the caller holds (a worker acking on receipt writes down, in the
        same transaction, that it still holds the job)."""
        job_id, attempt, token = delivery.job_id, delivery.attempt, delivery.token
        row = tx.one(SQL.take_message, (delivery.message, token))
        if row is None:
            moved = tx.one(SQL.ack_select_messages, (delivery.message,))
            reason = "the message is gone" if moved is None else f"the lease moved on to token {moved[0]}"
            tx.record(ev.ACK_REJECTED, actor, job_id, attempt, token, reason)
            return False
        if not self._acks_lost:
            tx.record(ev.ACKED, actor, job_id, attempt, token, on_receipt)
            return True
        acked = tx.record_seq(ev.ACKED, actor, job_id, attempt, token, on_receipt)
        if tx.take_fault(QUEUE_ACK, job_id):  # the ack is lost: the broker redelivers at the tail
            tx.record(ev.ACK_LOST, QUEUE, job_id, attempt, token, acked)
            self._restore(tx, row)
            self._requeue(tx, row[0], tx.now, new_seq=True)
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
        job_id, attempt, token = delivery.job_id, delivery.attempt, delivery.token
        # A retry budget is one count for every job (the second a retry falls due): a failure reported
        # under it waits for the one before it, in the writers' turn.
        with self.db.transaction(job_id if self._budget is None else None) as tx:
            row = tx.one(SQL.report_failure_select_messages, (delivery.message,))
            held = row is not None and row[0] == token and row[1] == LEASED
            accepted = held or (row is None and republish)
            tx.record(ev.ATTEMPT_FAILED, actor, job_id, attempt, token, error, reason, accepted)
            if not accepted:
                return False
            if delay_ms is None:
                if row is not None:
                    tx.run(SQL.delete_message, (delivery.message,))
                self._bury(tx, actor, job_id, attempt, error, delivery)
                return True
            visible_at = self._budgeted(tx, tx.now + delay_ms)
            message_id, new_seq = delivery.message, False
            if row is None or copy:  # acked on receipt, or republished: a copy
                message_id, new_seq = tx.next("message"), True
                self._restore(
                    tx,
                    (message_id, job_id, json.dumps(delivery.payload, sort_keys=True), delivery.duration_ms)
                    + (delivery.request, delivery.key, 0, READY, token, attempt, None, None),
                )
            self._requeue(tx, message_id, visible_at, new_seq=new_seq)
            tx.record(ev.RETRY_SCHEDULED, actor, job_id, attempt, token, delay_ms, visible_at, message_id)
            return True

    # -- lease expiry ----------------------------------------------------------------------
    def reap(self, actor: str, now_ms: int | None, margin_ms: int) -> int:
        """Reclaim the leases expired by `now_ms`. None: by the database's clock, as the real reaper
        does, each job in its own turn (a job whose turn another transaction holds - a renewal in
        flight - waits for the next pass); else in the writers' turn."""
        if now_ms is not None:
            with self.db.transaction() as tx:
                return self._reclaim(tx, actor, now_ms, margin_ms)
        with self.db.transaction(ANY_JOB) as tx:
            return self._reclaim(tx, actor, tx.look, margin_ms)

    def _reclaim(self, tx, actor: str, judged_now_ms: int, margin_ms: int) -> int:
        """Expire every lease whose expiry (plus margin) has passed by `judged_now_ms`, oldest grant
        first; a lease that expires on the job's final attempt dead-letters the job."""
        expired = tx.all(
            self._reclaim_select,
            (LEASED, margin_ms, judged_now_ms),
        )
        reclaimed = 0
        for message_id, job_id, attempt, token, owner, expires, *stored in expired:
            turned = tx.try_turn(job_id, (SQL.reclaim_select_job_attempts, (job_id,)))
            if turned is None:
                continue
            reclaimed += 1
            tx.record(ev.LEASE_EXPIRED, actor, job_id, attempt, token, owner, expires)
            counted = turned[0]
            attempts = counted[0] if counted is not None and isinstance(counted[0], int) else 0
            limit = self._limit(read_stored(job_id, *stored)[0])
            if after_lease_expiry(attempts, limit, self._policy) == BURY:
                self._bury(tx, actor, job_id, attempt, EXPIRED_WHY[self._policy.expired_lease], message_id)
                tx.run(SQL.delete_message, (message_id,))
            else:
                if refunds_expired_attempt(self._policy):
                    tx.run(SQL.reclaim_update_job_attempts, (job_id,))
                self._requeue(tx, message_id, tx.now)
                if self.requeued is not None:
                    self.requeued.append(job_id)
        return reclaimed

    # -- bookkeeping -----------------------------------------------------------------------
    def is_idle(self) -> bool:
        return not self.db.read(SQL.any_message)

    def size(self) -> int:
        """The messages in the queue: waiting, delayed and leased."""
        return int(self.db.read(SQL.message_count)[0][0])

    def _budgeted(self, tx, visible_at: int) -> int:
        """At most retry_budget_per_s retries fall due in one second; a full second's retry moves to the
        same offset in the first second with room (the in-memory RetryBudget's rule)."""
        if self._budget is None:
            return visible_at
        second = visible_at // 1000
        while True:
            row = tx.one(SQL.budgeted_select_retry_budget, (second,))
            if row is None or row[0] < self._budget:
                break
            second += 1
        tx.run(
            SQL.budgeted_insert_retry_budget,
            (second,),
        )
        return max(visible_at, second * 1000 + visible_at % 1000)

    def _restore(self, tx, row) -> None:
        """Put back a deleted message row (a lost ack's redelivery, a republished copy)."""
        tx.run(
            SQL.restore_message,
            tuple(row),
        )

    def _requeue(self, tx, message_id: int, visible_at: int, *, new_seq: bool = False) -> None:
        """Ready again from `visible_at`: at its old position, or at the tail with `new_seq`."""
        if new_seq:
            tx.run(SQL.requeue_update_messages, (tx.next("seq"), message_id))
        tx.run(
            SQL.requeue_update_messages_2,
            (READY, visible_at, message_id),
        )
        if visible_at <= tx.now:
            tx.wake_workers()

    def _bury(self, tx, actor: str, job_id: str, attempt: int, error: str, job, reason=MISSING) -> None:
        """Dead-letter the job with what a redrive needs: `job` is its delivery, or its message's id
        (read before the row goes); `reason` is `payload` when the queue could not interpret it."""
        if isinstance(job, int):
            row = tx.one(SQL.bury_select_messages, (job,))
        else:
            row = (json.dumps(job.payload, sort_keys=True), job.duration_ms, job.request, job.key)
        tx.run(
            SQL.bury_insert_dead_letters,
            (job_id, attempt, error, *row),
        )
        tx.record(ev.DEAD_LETTERED, actor, job_id, attempt, None, error, reason)

    def redrive(self, actor: str, keep_ids: bool) -> int:
        """Move every dead letter back to the queue (runtime/sim/queue.py's semantics): its own job id
        and key with a fresh attempt budget, or a new job `<id>~rN` of the same request."""
        with self.db.transaction() as tx:
            return self.redrive_in(tx, actor, keep_ids)

    def redrive_in(self, tx, actor: str, keep_ids: bool) -> int:
        rows = tx.all(SQL.redrive_in_select_dead_letters)
        if not rows:
            return 0
        round_ = tx.next("redrive")
        tx.run(SQL.redrive_in_delete_dead_letters, (rows[-1][0],))
        for _, job_id, payload, duration, request, key in rows:
            new_id = job_id if keep_ids else f"{job_id}~r{round_}"
            if keep_ids:
                tx.run(SQL.redrive_in_update_job_attempts, (job_id,))
            tx.record(ev.REDRIVEN, actor, new_id, None, None, job_id, "keep" if keep_ids else "mint")
            tx.run(SQL.redrive_in_delete_published, (new_id,))  # deliberate: no dedupe window
            self.publish(tx, actor, new_id, _as_stored(payload), duration, request, key)
        return len(rows)

    def snapshot(self) -> dict[str, Any]:
        with self.db.transaction() as tx:
            now = tx.now
            messages = tx.all(SQL.snapshot_select_messages)
            attempts = tx.all(SQL.snapshot_select_job_attempts)
            dead = tx.all(SQL.snapshot_select_dead_letters)
        return {
            "messages": [
                [mid, job, state if state == LEASED or visible <= now else "delayed"]
                for mid, job, state, visible in messages
            ],
            "attempts": dict(attempts),
            "dead_letters": [list(row) for row in dead],
        }


def _stored_text(payload) -> str:
    """A payload as the messages table keeps it: JSON, or the text a refused row held (a redrive puts
    back what it buried, and the queue refuses it again at lease, with the reason)."""
    return payload if isinstance(payload, str) else json.dumps(payload, sort_keys=True)


def _as_stored(text):
    """A dead letter's payload back as a payload: the JSON object it was, else its text as it is."""
    try:
        payload = json.loads(text)
    except (TypeError, ValueError, RecursionError):
        return text
    return payload if isinstance(payload, dict) else text
