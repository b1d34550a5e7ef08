"""Effects: what protocol code asks its world to do. A worker, the client and the relay are
generators that yield these records and receive the results; a driver (the simulator, or the real
world) decides how. Outcomes come back as values.

Records are NamedTuples, like history events: thousands are made per run (benchmarks/README.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from runtime.core.ports import Delivery

PAUSED = "paused"
"""What a Point answers when the process was frozen there (and has just thawed)."""


class Sleep(NamedTuple):
    """Let `ms` of the actor's time pass."""

    ms: int


class Now(NamedTuple):
    """The actor's clock, in ms -> int."""


class Until(NamedTuple):
    """Wait until the actor's clock reads `time_ms` (no wait if it already does) -> the time then."""

    time_ms: int


class Draw(NamedTuple):
    """A uniform integer in [low, high] from the actor's own random stream -> int."""

    low: int
    high: int


class Point(NamedTuple):
    """A named fault point -> None, PAUSED, or the fault that fires without killing (a lost reply).
    A crash never answers: the process is gone."""

    point: str
    job_id: str | None = None


class Hold(NamedTuple):
    """What the process holds in memory now (a Delivery or a job id; None when empty-handed)."""

    value: Any


class Quiet(NamedTuple):
    """Is there nothing left to do in the system? -> bool (a worker or relay then stops)."""


class Record(NamedTuple):
    """An event the actor itself observed (a started handler, a store error it saw)."""

    kind: str
    job_id: str | None = None
    attempt: int | None = None
    token: int | None = None
    detail: Mapping[str, Any] | None = None


# Queue port effects.
class Lease(NamedTuple):
    """-> Delivery | None. What a worker leases is what it holds until its next Lease."""


class NextJob(NamedTuple):
    """Lease the next job, polling every `poll_ms` while nothing is visible -> Delivery, or None once the
    system is quiet (the worker then stops). The poll loop is the driver's: Lease, Quiet, Sleep."""

    poll_ms: int


class NextBatch(NamedTuple):
    """Lease up to `size` jobs, polling every `poll_ms` while none is visible -> a tuple of
    Deliveries, or None once the system is quiet."""

    poll_ms: int
    size: int


class AckBatch(NamedTuple):
    """Ack every delivery in one operation -> how many the queue accepted."""

    deliveries: tuple[Delivery, ...]


class Renew(NamedTuple):
    """-> the new expiry, or None when the lease is gone."""

    delivery: Delivery


class Ack(NamedTuple):
    """-> bool: the queue accepted it."""

    delivery: Delivery
    on_receipt: bool = False


class Fail(NamedTuple):
    """Report a failed attempt: retry after `delay_ms`, or dead-letter when None -> bool accepted."""

    delivery: Delivery
    error: str
    reason: str
    delay_ms: int | None
    republish: bool
    copy: bool = False
    """Retry by publishing a delayed copy and leaving the original leased (the worker acks it next)."""


class Enqueue(NamedTuple):
    """Publish a job -> bool (False: dropped inside the dedupe window)."""

    job_id: str
    payload: Mapping[str, Any]
    duration_ms: int
    request: str
    key: str | None
    outbox: bool = False


# Store port effects.
class Commit(NamedTuple):
    """Commit a job's effect -> CommitOutcome."""

    delivery: Delivery
    effect: Mapping[str, Any]
    idempotent: bool
    fencing: bool
    requires_row: bool


class Claim(NamedTuple):
    """Claim a submission key -> (outcome, the job id that owns the key)."""

    key: str
    job_id: str


class CommitBusiness(NamedTuple):
    """Commit a business row (with its outbox row and key claim) -> (outcome, owner job id)."""

    job_id: str
    row: Mapping[str, Any]
    outbox_row: Mapping[str, Any] | None = None
    claim_key: str | None = None


class ReadOutbox(NamedTuple):
    """-> (outcome, [(job id, job)])."""


class MarkRelayed(NamedTuple):
    """-> outcome."""

    job_id: str


class OutboxPending(NamedTuple):
    """-> bool: rows wait in the outbox (a notification, not a store call)."""


class AwaitOutbox(NamedTuple):
    """Wait, polling every `poll_ms`, until rows wait in the outbox (-> True) or the system is quiet
    (-> False: the relay then stops). The poll loop is the driver's: OutboxPending, Quiet, Sleep."""

    poll_ms: int


# Workflow effects (the runs port).
class TriggerRun(NamedTuple):
    """Start run `run` of `workflow` (for a schedule's tick, by the leader of `epoch`; `fenced`: the
    store checks the epoch and the tick) -> outcome: OK, DUPLICATE_ROW (the run, or a fenced tick,
    exists), FENCED (a stale epoch) or a store error."""

    run: str
    workflow: Any
    schedule: str | None = None
    tick: int | None = None
    epoch: int | None = None
    fenced: bool = False


class AwaitNotes(NamedTuple):
    """Wait, polling every `poll_ms`, until a completion note waits (-> True) or the system is quiet
    (-> False: the dispatcher then stops). The poll loop is the driver's."""

    poll_ms: int


class TakeNote(NamedTuple):
    """Take the oldest free completion note -> (outcome, Note or None)."""


class Dispatch(NamedTuple):
    """One dispatch step for a task, in one transaction: `claim` (compare-and-set pending ->
    dispatched; DUPLICATE_ROW when it is not pending), `enqueue` its job, `mark` it dispatched -> outcome."""

    run: str
    task: str
    claim: bool
    enqueue: bool
    mark: bool


class Settle(NamedTuple):
    """Mark `skip` skipped, drop note `note`, and finish the run if every task is settled -> outcome."""

    note: int
    run: str
    skip: tuple[str, ...]


class AcquireLock(NamedTuple):
    """Take or renew the leader lock for `lease_ms` -> (outcome, the epoch led, or None)."""

    lock: str
    lease_ms: int


class LastTick(NamedTuple):
    """The newest tick of `schedule` that started a run -> (outcome, tick; 0 before the first)."""

    schedule: str


NOW, QUIET, LEASE, READ_OUTBOX, OUTBOX_PENDING = Now(), Quiet(), Lease(), ReadOutbox(), OutboxPending()
TAKE_NOTE = TakeNote()
