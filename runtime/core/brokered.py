"""The queue port with a broker delivering (RabbitMQ, `broker="rabbitmq"`): both worlds wrap their
queue in it, so its rules have one copy.

The world's queue keeps what a broker can't: each job's message, attempts, lease tokens, acks and
dead letters, in the database. The broker decides which job a worker gets and when: its deliveries
(up to the prefetch), and its redeliveries - at once - after a consumer's connection is lost. A
publish puts the job's id on the broker after the queue has its message (retried while the broker
says it did not get it: publisher confirms). A delivery becomes a lease only if it claims the job's
message (runtime/core/decisions.py, claims_delivery); a delivery of finished work is acked away. An
ack goes to the queue first, then to the broker: a broker ack lost with its connection only
redelivers a job that is already done.

Not built yet, and refused by the scenario's check: retries (a broker has no delay; the queue's
backoff would be skipped), batches, acks on receipt and the outbox relay.
"""

from __future__ import annotations

from typing import Any

from runtime.core import history as ev
from runtime.core.faults import BROKER_PUBLISH
from runtime.core.ports import Delivery

PUBLISH_TRIES = 5
"""A publish the broker did not confirm is sent again, up to this many times in all."""


class BrokeredQueue:
    def __init__(self, queue: Any, broker: Any, policy: Any, record: Any, injector: Any = None) -> None:
        """`record(kind, actor, job_id, attempt, token, *values)`: the world's history (an actor's own
        event); `injector`: the world's, asked whether a publish is lost on the way (lost_publish)."""
        self.inner, self.broker, self._record, self._injector = queue, broker, record, injector
        self._on_claim = policy.broker_ack == "on_claim"
        if self._on_claim:  # the database's lease brings jobs back: the broker hears of each
            queue.requeued = []
        self._tags: dict[tuple[str, int, int], tuple[int, int]] = {}  # (worker, message, token) -> delivery tag

    def __getattr__(self, name: str) -> Any:  # the rest of the world's queue (its policy, its snapshot, ...)
        return getattr(self.inner, name)

    # -- producers -------------------------------------------------------------------------
    def enqueue(
        self,
        actor: str,
        job_id: str,
        payload: Any,
        duration_ms: int,
        request: str,
        key: str | None,
        outbox: bool = False,
    ) -> bool:
        if not self.inner.enqueue(actor, job_id, payload, duration_ms, request, key, outbox):
            return False
        self.announce(actor, job_id)
        return True

    def announce(self, actor: str, job_id: str) -> None:
        """Publish `job_id`, whose message the queue has, to the broker (sent again while unconfirmed).
        The enqueue's own step; a dispatcher calls it once the transaction that enqueued the job is
        committed (for real: a dispatcher that dies in between leaves the job in the database only)."""
        injector = self._injector
        losing = injector is not None and injector.at(BROKER_PUBLISH, actor, job_id) is not None
        for _ in range(PUBLISH_TRIES):
            if losing:
                self.broker.lose_next_publish(actor)
            published = self.broker.publish(actor, job_id)
            if losing:  # the lab says what the publisher may never learn
                self._record(ev.PUBLISH_LOST, actor, job_id, None, None, not published)
                losing = False
            if published:
                return

    # -- consumers -------------------------------------------------------------------------
    def lease(self, worker: str, worker_now_ms: int) -> Delivery | None:
        """The next delivery that claims its job, or None when the broker has none for `worker`."""
        self.expire()
        while True:
            pushed = self.broker.get(worker)
            if pushed is None:
                return None
            if pushed.redelivered:  # the broker took it back from a consumer it lost: say so
                self._record(ev.REDELIVERED, worker, pushed.body, None, None)
            delivery: Delivery | None = self.inner.claim(worker, pushed.body, pushed.redelivered)
            if delivery is None or self._on_claim:  # finished work, a second copy, or the lease takes over
                self.broker.ack(worker, pushed.tag)
            if delivery is None:
                continue
            if not self._on_claim:
                self._tags[(worker, delivery.message, delivery.token)] = pushed.tag
            return delivery

    def _settle(self, actor: str, delivery: Delivery) -> None:
        tag = self._tags.pop((actor, delivery.message, delivery.token), None)
        if tag is not None:
            self.broker.ack(actor, tag)  # False: the broker requeued it; its next delivery finds it done

    def ack(self, actor: str, delivery: Delivery, on_receipt: bool = False) -> bool:
        acked: bool = self.inner.ack(actor, delivery, on_receipt)
        self._settle(actor, delivery)
        return acked

    def report_failure(self, actor: str, delivery: Delivery, **report: Any) -> bool:
        accepted: bool = self.inner.report_failure(actor, delivery, **report)
        self._settle(actor, delivery)
        if accepted and report.get("delay_ms") is not None:
            self.broker.publish(actor, delivery.job_id)
        return accepted

    def reap(self, actor: str, now_ms: int | None, margin_ms: int) -> int:
        """The queue's lease expiry; with the broker acked on claim, each job it puts back is published
        again (else no delivery would ever bring it to a worker)."""
        reclaimed: int = self.inner.reap(actor, now_ms, margin_ms)
        requeued = self.inner.requeued
        while requeued:
            self.announce(actor, requeued.pop(0))
        return reclaimed

    def expire(self) -> None:
        """(The simulator's broker) The delivery timeout, judged when anyone next asks the broker for
        work, as RabbitMQ judges it on a timer of its own; for real it is the run's broker that closes
        the channel (runtime/real/broker.py)."""
        expire = getattr(self.broker, "expire", None)
        if expire is not None:
            for actor, job_id in expire():
                self._record(ev.DELIVERY_TIMED_OUT, actor, job_id, None, None)

    def connection_lost(self, actor: str) -> None:
        """`actor`'s process died (the simulator's supervisor says so; for real, its socket closes)."""
        self.broker.drop(actor)

    def next_change_ms(self, horizon_ms: int, max_skew_ms: int = 0, reaped_at: Any = None) -> int | None:
        """(The simulator's) When a lease could next find something: now while the broker has a
        message waiting, else when a lease in the queue expires or a delivery times out (or nothing
        before `horizon_ms`, unless someone publishes or a connection drops)."""
        if self.broker.waiting():
            return None
        change: int = self.inner.next_change_ms(horizon_ms, max_skew_ms, reaped_at, brokered=True)
        due = self.broker.next_timeout_ms()
        return change if due is None or due >= change else due
