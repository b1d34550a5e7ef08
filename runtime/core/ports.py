"""Ports: what the protocol needs from a queue, a store, a history sink and an injector, as
typing.Protocols. The in-memory ports (runtime.sim) and the SQL ports implement them with the same
semantics; one contract test suite (tests/contract/) runs against every implementation.

Outcomes are values, never exceptions: a store call answers with one of the constants below.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple, Protocol

# Outcomes of store calls.
OK = "ok"
COMMITTED = "committed"
DEDUPLICATED = "deduplicated"
FENCED = "fenced"
MISSING_ROW = "missing_row"
DUPLICATE_ROW = "duplicate_row"
UNAVAILABLE = "unavailable"
OVERLOADED = "overloaded"
STORE_ERRORS = (UNAVAILABLE, OVERLOADED)
ERROR_TEXT = {UNAVAILABLE: "store unavailable", OVERLOADED: "store over capacity"}
CommitOutcome = str
"""COMMITTED, DEDUPLICATED, FENCED, MISSING_ROW, UNAVAILABLE or OVERLOADED."""


class Delivery(NamedTuple):
    """What a worker holds while it works on a job: the lease it was handed (immutable)."""

    job_id: str
    message: int
    payload: Mapping[str, Any]
    duration_ms: int
    attempt: int
    token: int
    lease_expires_at_ms: int | None
    request: str
    key: str | None


class QueuePort(Protocol):
    def enqueue(
        self,
        actor: str,
        job_id: str,
        payload: Mapping[str, Any],
        duration_ms: int,
        request: str,
        key: str | None,
        outbox: bool = False,
    ) -> bool:
        """Accept a publish as a new message (or drop it inside the policy's dedupe window)."""

    def lease(self, worker: str, worker_now_ms: int) -> Delivery | None:
        """Grant the oldest visible message to `worker`, never past the attempt bound."""

    def renew(self, actor: str, delivery: Delivery) -> int | None:
        """Extend a lease still held; the new expiry, or None when it is gone."""

    def ack(self, actor: str, delivery: Delivery, on_receipt: bool = False) -> bool:
        """Forget the message if `delivery` still holds it (recorded as acked or ack_rejected)."""

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
        """A failed attempt: retry after `delay_ms`, or dead-letter when it is None; `copy`: retry as a
        delayed copy, the original left leased for the worker's ack."""

    def reap(self, actor: str, now_ms: int, margin_ms: int) -> int:
        """Reclaim every lease expired (plus margin) by `now_ms`; how many."""

    def is_idle(self) -> bool: ...

    def snapshot(self) -> dict[str, Any]:
        """The queue's part of the final state: messages, attempts, dead letters."""


class StorePort(Protocol):
    def commit_effect(
        self,
        actor: str,
        delivery: Delivery,
        effect: Mapping[str, Any],
        idempotent: bool,
        fencing: bool,
        requires_row: bool,
    ) -> CommitOutcome:
        """The effect, its ledger row (with the delivery's request and idempotency key) and, with
        `idempotent`, the job's idempotency key, in one transaction; fenced by the newest lease token."""

    def claim_submission(self, actor: str, key: str, job_id: str) -> tuple[str, str | None]: ...

    def commit_business(
        self,
        actor: str,
        job_id: str,
        row: Mapping[str, Any],
        outbox_row: Mapping[str, Any] | None = None,
        claim_key: str | None = None,
    ) -> tuple[str, str | None]: ...

    def read_outbox(self, actor: str) -> tuple[str, list[tuple[str, Mapping[str, Any]]]]: ...

    def mark_relayed(self, actor: str, job_id: str) -> str: ...

    def outbox_pending(self) -> bool:
        """Rows wait in the outbox (a notification, like LISTEN/NOTIFY: not a store call)."""

    def snapshot(self) -> dict[str, Any]:
        """The store's part of the final state: ledger, outbox, business rows, submissions, call log."""


class Note(NamedTuple):
    """A completion note: task `task` of run `run` settled (None: the run began). `ready` are the
    tasks it lets start (pending, every parent succeeded), `skip` those it rules out (an ancestor
    failed), both as read when the note was taken."""

    note: int
    run: str
    task: str | None
    ready: tuple[str, ...]
    skip: tuple[str, ...]


class RunsPort(Protocol):
    """Workflow runs, their task instances, the completion notes and the leader lock: tables of the
    store (in the SQL worlds, in the same database as the queue, so one transaction spans both)."""

    def trigger_run(
        self,
        actor: str,
        run: str,
        workflow: Any,
        schedule: str | None,
        tick: int | None,
        epoch: int | None,
        fenced: bool,
    ) -> str:
        """Create the run, one pending task instance per task, and its start note; `fenced`: only if
        `epoch` still holds the leader lock and the (schedule, tick) has no run yet."""

    def take_note(self, actor: str) -> tuple[str, Note | None]: ...

    def dispatch(self, actor: str, run: str, task: str, claim: bool, enqueue: bool, mark: bool) -> str: ...

    def settle(self, actor: str, note: int, run: str, skip: tuple[str, ...]) -> str: ...

    def release_notes(self, actor: str) -> None:
        """The notes `actor` held go back (it died): the supervisor's call, not the actor's."""

    def acquire_lock(self, actor: str, lock: str, lease_ms: int) -> tuple[str, int | None]: ...

    def last_tick(self, actor: str, schedule: str) -> tuple[str, int]: ...

    def notes_waiting(self) -> bool:
        """A completion note waits or is being handled (a notification, not a store call)."""

    def snapshot(self) -> dict[str, Any]:
        """The runs' part of the final state: each run's state and its tasks' states."""


class BrokerDelivery(NamedTuple):
    """A message a broker pushed to a consumer: its delivery tag (opaque: valid only on the channel
    that delivered it), its body, and whether the broker delivered it before (`redelivered`)."""

    tag: tuple[int, int]
    body: str
    redelivered: bool


class BrokerPort(Protocol):
    """A message broker as RabbitMQ behaves (runtime/sim/broker.py models it, runtime/real/broker.py
    drives a RabbitMQ server): one durable queue; each actor one connection and channel; consumers
    with manual acks and a prefetch; publishes with or without publisher confirms. What a broker
    can't give - attempts, fencing tokens, idempotent claims - stays in the database."""

    def publish(self, actor: str, body: str) -> bool:
        """Put `body` on the queue. With confirms: True once the broker has it, False when the
        connection was lost first (the publisher may retry). Without: True once it left the client,
        whatever became of it."""

    def get(self, actor: str) -> BrokerDelivery | None:
        """The next delivery pushed to `actor`'s consumer (the broker pushes up to the prefetch,
        unacked), or None when none comes."""

    def ack(self, actor: str, tag: tuple[int, int]) -> bool:
        """Acknowledge a delivery; False when the channel that delivered it is gone (the broker
        requeued the message, redelivered)."""

    def drop(self, actor: str) -> None:
        """`actor`'s connection is lost: every delivery it held unacked goes back to the queue."""

    def lose_next_publish(self, actor: str) -> None:
        """A fault: `actor`'s connection drops while its next publish is on the way (the publish
        answers False with confirms, True without; either way the broker never has it)."""

    def figures(self) -> dict[str, int]:
        """deliveries, redeliveries and unacked, as this side saw them (for /metrics)."""


class HistorySink(Protocol):
    def record(
        self,
        kind: str,
        actor: str,
        job_id: str | None = None,
        attempt: int | None = None,
        token: int | None = None,
        *values: Any,
    ) -> Any:
        """Append an event; its detail values come positionally, in the kind's key order
        (runtime.core.history.KEYS)."""


class Injector(Protocol):
    """What both worlds' injectors answer (each world's driver also asks its own for the time-bound
    faults it applies itself: outages, clock skews)."""

    def at(self, point: str, actor: str, job_id: str | None = None) -> Any:
        """The fault that fires for this visit of `actor` to `point` (a plan record), or None."""

    def live_points(self, actor: str) -> frozenset[str]:
        """The points where a fault can fire for `actor`: its protocol passes the others silently."""
