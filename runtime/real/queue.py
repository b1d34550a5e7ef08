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
    EXPIRED_WHY,
    after_lease_expiry,
    attempt_limit,
    refunds_expired_attempt,
    visible_from,
)
from runtime.core.faults import QUEUE_ACK
from runtime.core.history import MISSING
from runtime.core.payload import read_stored
from runtime.core.ports import Delivery
from runtime.real.db import Database

READY, LEASED, QUEUE = "ready", "leased", "queue"
_COLUMNS = "id, job_id, payload, duration_ms, request, key, seq, state, token, attempt, owner, lease_expires_at_ms"


class SqlQueue:
    def __init__(self, db: Database, policy) -> None:
        self.db, self._policy = db, policy
        self._lease_ms, self._max_attempts = policy.lease_ms, policy.max_attempts
        self._margin_ms, self._worker_clock = policy.lease_margin_ms, policy.lease_clock == "worker"
        self._window_ms, self._budget = policy.publish_dedupe_window_ms, policy.retry_budget_per_s
        self._skip_locked = " FOR UPDATE SKIP LOCKED" if db.dialect == "postgres" else ""
        # Whether the plan can lose an ack (else an ack never asks): the plan is installed first.
        self._acks_lost = bool(db.read("SELECT 1 FROM faults_left WHERE point = ?", (QUEUE_ACK,)))
        self.refused = 0
        """Stored jobs this queue dead-lettered because it could not interpret them (a metric's source)."""

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
            previous = tx.one("SELECT time_ms, event_seq FROM published WHERE job_id = ?", (job_id,))
            if previous is not None and now - previous[0] < window:
                tx.record(ev.PUBLISH_DEDUPLICATED, actor, job_id, None, None, window, previous[1])
                return False
        message_id, seq = tx.next("message"), tx.next("seq")
        due = visible_from(payload, self._policy, now) if isinstance(payload, dict) and "eta_ms" in payload else 0
        tx.run(
            "INSERT INTO messages (id, job_id, payload, duration_ms, request, key, seq, state, visible_at_ms) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (message_id, job_id, _stored_text(payload), duration_ms, request, key, seq, READY, due if due > now else 0),
        )
        tx.run("INSERT INTO job_attempts (job_id, attempts) VALUES (?, 0) ON CONFLICT (job_id) DO NOTHING", (job_id,))
        values = (message_id, request, key, payload, outbox)
        if window is None:
            tx.record(ev.SUBMITTED, actor, job_id, None, None, *values)
        else:
            event = tx.record_seq(ev.SUBMITTED, actor, job_id, None, None, *values)
            tx.run(
                "INSERT INTO published (job_id, time_ms, event_seq) VALUES (?, ?, ?) "
                "ON CONFLICT (job_id) DO UPDATE SET time_ms = excluded.time_ms, event_seq = excluded.event_seq",
                (job_id, now, event),
            )
        return True

    # -- consumers -------------------------------------------------------------------------
    def lease(self, worker: str, worker_now_ms: int) -> Delivery | None:
        with self.db.transaction() as tx:
            now = tx.now
            if self._worker_clock:  # each worker judges expiry by its own clock
                self._reclaim(tx, worker, worker_now_ms, self._margin_ms)
            while True:
                row = tx.one(
                    "SELECT m.id, m.job_id, m.payload, m.duration_ms, m.request, m.key, "
                    "(SELECT a.attempts FROM job_attempts a WHERE a.job_id = m.job_id) FROM messages m "
                    f"WHERE m.state = ? AND m.visible_at_ms <= ? ORDER BY m.seq LIMIT 1{self._skip_locked}",
                    (READY, now),
                )
                if row is None:
                    return None
                message_id, job_id = row[0], row[1]
                attempt = (row[6] if isinstance(row[6], int) else 0) + 1
                payload, problem = read_stored(job_id, row[2], row[3], row[4], row[5])
                if problem is not None or payload is None:  # a row this version cannot run: never leased
                    self._bury(tx, QUEUE, job_id, attempt - 1, f"payload refused: {problem}", message_id, "payload")
                    tx.run("DELETE FROM messages WHERE id = ?", (message_id,))
                    self.refused += 1
                    continue
                limit = self._limit(payload)
                if limit is not None and attempt > limit:
                    self._bury(tx, QUEUE, job_id, attempt - 1, "attempts exhausted before another delivery", message_id)
                    tx.run("DELETE FROM messages WHERE id = ?", (message_id,))
                    continue
                token = tx.next("token")
                expires = None if self._lease_ms is None else now + self._lease_ms
                tx.run(
                    "INSERT INTO job_attempts (job_id, attempts) VALUES (?, ?) "
                    "ON CONFLICT (job_id) DO UPDATE SET attempts = excluded.attempts",
                    (job_id, attempt),
                )
                tx.run(
                    "UPDATE messages SET state = ?, owner = ?, attempt = ?, token = ?, lease_expires_at_ms = ? "
                    "WHERE id = ?",
                    (LEASED, worker, attempt, token, expires, message_id),
                )
                tx.run(
                    "INSERT INTO lease_tokens (job_id, token) VALUES (?, ?) "
                    "ON CONFLICT (job_id) DO UPDATE SET token = excluded.token",
                    (job_id, token),
                )
                tx.record(ev.LEASED, worker, job_id, attempt, token, message_id, expires)
                return Delivery(job_id, message_id, payload, row[3], attempt, token, expires, row[4], row[5])

    def renew(self, actor: str, delivery: Delivery) -> int | None:
        with self.db.transaction() as tx:
            row = tx.one("SELECT token, state FROM messages WHERE id = ?", (delivery.message,))
            if row is None or row[0] != delivery.token or row[1] != LEASED:
                return None
            expires = tx.now + self._lease_ms
            tx.run("UPDATE messages SET lease_expires_at_ms = ? WHERE id = ?", (expires, delivery.message))
            tx.record(ev.LEASE_RENEWED, actor, delivery.job_id, delivery.attempt, delivery.token, expires)
            return expires

    def ack(self, actor: str, delivery: Delivery, on_receipt: bool = False) -> bool:
        job_id, attempt, token = delivery.job_id, delivery.attempt, delivery.token
        with self.db.transaction() as tx:
            row = tx.one(
                f"DELETE FROM messages WHERE id = ? AND token = ? RETURNING {_COLUMNS}", (delivery.message, token)
            )
            if row is None:
                moved = tx.one("SELECT token FROM messages WHERE id = ?", (delivery.message,))
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
        with self.db.transaction() as tx:
            row = tx.one("SELECT token, state, seq FROM messages WHERE id = ?", (delivery.message,))
            held = row is not None and row[0] == token and row[1] == LEASED
            accepted = held or (row is None and republish)
            tx.record(ev.ATTEMPT_FAILED, actor, job_id, attempt, token, error, reason, accepted)
            if not accepted:
                return False
            if delay_ms is None:
                if row is not None:
                    tx.run("DELETE FROM messages WHERE id = ?", (delivery.message,))
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
        """Reclaim the leases expired by `now_ms` (None: by the transaction's time, as the real reaper does)."""
        with self.db.transaction() as tx:
            return self._reclaim(tx, actor, tx.now if now_ms is None else now_ms, margin_ms)

    def _reclaim(self, tx, actor: str, judged_now_ms: int, margin_ms: int) -> int:
        """Expire every lease whose expiry (plus margin) has passed by `judged_now_ms`, oldest grant
        first; a lease that expires on the job's final attempt dead-letters the job."""
        expired = tx.all(
            "SELECT id, job_id, attempt, token, owner, lease_expires_at_ms, payload, duration_ms, request, key "
            "FROM messages WHERE state = ? AND lease_expires_at_ms IS NOT NULL AND lease_expires_at_ms + ? <= ? "
            "ORDER BY token",
            (LEASED, margin_ms, judged_now_ms),
        )
        for message_id, job_id, attempt, token, owner, expires, *stored in expired:
            tx.record(ev.LEASE_EXPIRED, actor, job_id, attempt, token, owner, expires)
            counted = tx.one("SELECT attempts FROM job_attempts WHERE job_id = ?", (job_id,))
            attempts = counted[0] if counted is not None and isinstance(counted[0], int) else 0
            limit = self._limit(read_stored(job_id, *stored)[0])
            if after_lease_expiry(attempts, limit, self._policy) == BURY:
                self._bury(tx, actor, job_id, attempt, EXPIRED_WHY[self._policy.expired_lease], message_id)
                tx.run("DELETE FROM messages WHERE id = ?", (message_id,))
            else:
                if refunds_expired_attempt(self._policy):
                    tx.run("UPDATE job_attempts SET attempts = attempts - 1 WHERE job_id = ?", (job_id,))
                self._requeue(tx, message_id, tx.now)
        return len(expired)

    # -- bookkeeping -----------------------------------------------------------------------
    def is_idle(self) -> bool:
        return not self.db.read("SELECT 1 FROM messages LIMIT 1")

    def _budgeted(self, tx, visible_at: int) -> int:
        """At most retry_budget_per_s retries fall due in one second; a full second's retry moves to the
        same offset in the first second with room (the in-memory RetryBudget's rule)."""
        if self._budget is None:
            return visible_at
        second = visible_at // 1000
        while True:
            row = tx.one("SELECT due FROM retry_budget WHERE second = ?", (second,))
            if row is None or row[0] < self._budget:
                break
            second += 1
        tx.run(
            "INSERT INTO retry_budget (second, due) VALUES (?, 1) ON CONFLICT (second) DO UPDATE SET due = "
            "retry_budget.due + 1",
            (second,),
        )
        return max(visible_at, second * 1000 + visible_at % 1000)

    def _restore(self, tx, row) -> None:
        """Put back a deleted message row (a lost ack's redelivery, a republished copy)."""
        tx.run(
            f"INSERT INTO messages ({_COLUMNS}, visible_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
            tuple(row),
        )

    def _requeue(self, tx, message_id: int, visible_at: int, *, new_seq: bool = False) -> None:
        """Ready again from `visible_at`: at its old position, or at the tail with `new_seq`."""
        if new_seq:
            tx.run("UPDATE messages SET seq = ? WHERE id = ?", (tx.next("seq"), message_id))
        tx.run(
            "UPDATE messages SET state = ?, owner = NULL, lease_expires_at_ms = NULL, visible_at_ms = ? WHERE id = ?",
            (READY, visible_at, message_id),
        )

    def _bury(self, tx, actor: str, job_id: str, attempt: int, error: str, job, reason=MISSING) -> None:
        """Dead-letter the job with what a redrive needs: `job` is its delivery, or its message's id
        (read before the row goes); `reason` is `payload` when the queue could not interpret it."""
        if isinstance(job, int):
            row = tx.one("SELECT payload, duration_ms, request, key FROM messages WHERE id = ?", (job,))
        else:
            row = (json.dumps(job.payload, sort_keys=True), job.duration_ms, job.request, job.key)
        tx.run(
            "INSERT INTO dead_letters (job_id, attempt, error, payload, duration_ms, request, key) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (job_id, attempt, error, *row),
        )
        tx.record(ev.DEAD_LETTERED, actor, job_id, attempt, None, error, reason)

    def redrive(self, actor: str, keep_ids: bool) -> int:
        """Move every dead letter back to the queue (runtime/sim/queue.py's semantics): its own job id
        and key with a fresh attempt budget, or a new job `<id>~rN` of the same request."""
        with self.db.transaction() as tx:
            return self.redrive_in(tx, actor, keep_ids)

    def redrive_in(self, tx, actor: str, keep_ids: bool) -> int:
        rows = tx.all("SELECT id, job_id, payload, duration_ms, request, key FROM dead_letters ORDER BY id")
        if not rows:
            return 0
        round_ = tx.next("redrive")
        tx.run("DELETE FROM dead_letters WHERE id <= ?", (rows[-1][0],))
        for _, job_id, payload, duration, request, key in rows:
            new_id = job_id if keep_ids else f"{job_id}~r{round_}"
            if keep_ids:
                tx.run("UPDATE job_attempts SET attempts = 0 WHERE job_id = ?", (job_id,))
            tx.record(ev.REDRIVEN, actor, new_id, None, None, job_id, "keep" if keep_ids else "mint")
            tx.run("DELETE FROM published WHERE job_id = ?", (new_id,))  # deliberate: no dedupe window
            self.publish(tx, actor, new_id, _as_stored(payload), duration, request, key)
        return len(rows)

    def snapshot(self) -> dict[str, Any]:
        with self.db.transaction() as tx:
            now = tx.now
            messages = tx.all("SELECT id, job_id, state, visible_at_ms FROM messages ORDER BY id")
            attempts = tx.all("SELECT job_id, attempts FROM job_attempts ORDER BY job_id")
            dead = tx.all("SELECT job_id, attempt, error FROM dead_letters ORDER BY id")
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
