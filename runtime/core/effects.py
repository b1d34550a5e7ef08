"""Effects: what protocol code asks its world to do. A worker, the client and the relay are
generators that yield effects and receive the results; a driver (the simulator, or the real world)
decides how. Outcomes come back as values.

An effect is a plain tuple: its kind (one of the classes below) first, then the kind's fields in
the order its `fields` lists them, every field given: `yield Ack, delivery, False`. Plain tuples
because a run makes thousands: a tuple display costs a tenth of a NamedTuple's constructor, and a
driver answers an effect by looking its kind up in a table (benchmarks/README.md, "One copy").
`show(effect)` prints one with its field names.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any, ClassVar, TypeVar

from runtime.core.decisions import STORE_ERROR_EVENT
from runtime.core.ports import ERROR_TEXT

PAUSED = "paused"
"""What a Point answers when the process was frozen there (and has just thawed)."""

Effect = tuple[Any, ...]
"""(kind, *fields): what a protocol generator yields."""

T = TypeVar("T")
Steps = Generator[Effect, Any, T]
"""A protocol generator: yields effects, is sent each one's answer, returns a T at the end."""


class Kind:
    """An effect's kind: its name, its fields (in tuple order after the kind) and what it answers."""

    fields: ClassVar[tuple[str, ...]] = ()


def show(effect: Any) -> str:
    """`Ack(delivery=..., on_receipt=False)`: an effect with its field names (errors, debugging)."""
    kind = effect[0] if isinstance(effect, tuple) and effect else None
    if not (isinstance(kind, type) and issubclass(kind, Kind)) or len(effect) != len(kind.fields) + 1:
        return repr(effect)
    values = ", ".join(f"{name}={value!r}" for name, value in zip(kind.fields, effect[1:], strict=True))
    return f"{kind.__name__}({values})"


def store_error(
    job_id: str | None, operation: str, outcome: str, attempt: int | None = None, token: int | None = None
) -> Effect:
    """The Record of a store error the actor saw: which event, with the operation and the error."""
    detail = {"operation": operation, "error": ERROR_TEXT[outcome]}
    return (Record, STORE_ERROR_EVENT[outcome], job_id, attempt, token, detail)


def store_answers(actor: str, store: Any, runs: Any) -> dict[type[Kind], Callable[[Effect], Any]]:
    """How the store and runs ports answer their effects, the same in every world (each call is one
    transaction of its own): kind -> answer(effect). `runs` is None without a workflow."""
    answers: dict[type[Kind], Callable[[Effect], Any]] = {
        Commit: lambda effect: store.commit_effect(actor, effect[1], effect[2], effect[3], effect[4], effect[5]),
        Claim: lambda effect: store.claim_submission(actor, effect[1], effect[2]),
        CommitBusiness: lambda effect: store.commit_business(actor, effect[1], effect[2], effect[3], effect[4]),
        ReadOutbox: lambda effect: store.read_outbox(actor),
        MarkRelayed: lambda effect: store.mark_relayed(actor, effect[1]),
        OutboxPending: lambda effect: store.outbox_pending(),
    }
    if runs is not None:
        answers |= {
            TriggerRun: lambda effect: runs.trigger_run(actor, *effect[1:]),
            TakeNote: lambda effect: runs.take_note(actor),
            Dispatch: lambda effect: runs.dispatch(actor, *effect[1:]),
            Settle: lambda effect: runs.settle(actor, *effect[1:]),
            AcquireLock: lambda effect: runs.acquire_lock(actor, *effect[1:]),
            LastTick: lambda effect: runs.last_tick(actor, effect[1]),
        }
    return answers


class Sleep(Kind):
    """Let `ms` of the actor's time pass."""

    fields = ("ms",)


class Now(Kind):
    """The actor's clock, in ms -> int."""


class Until(Kind):
    """Wait until the actor's clock reads `time_ms` (no wait if it already does) -> the time then."""

    fields = ("time_ms",)


class Point(Kind):
    """A named fault point -> None, PAUSED, or the fault that fires without killing (a lost reply).
    A crash never answers: the process is gone."""

    fields = ("point", "job_id")


class Hold(Kind):
    """What the process holds in memory now (a Delivery or a job id; None when empty-handed)."""

    fields = ("value",)


class Quiet(Kind):
    """Is there nothing left to do in the system? -> bool (a worker or relay then stops)."""


class Record(Kind):
    """An event the actor itself observed (a started handler, a store error it saw)."""

    fields = ("kind", "job_id", "attempt", "token", "detail")


# Queue port effects.
class Lease(Kind):
    """-> Delivery | None. What a worker leases is what it holds until its next Lease."""


class NextJob(Kind):
    """Lease the next job, polling every `poll_ms` while nothing is visible -> Delivery, or None once the
    system is quiet (the worker then stops). The poll loop is the driver's: Lease, Quiet, Sleep."""

    fields = ("poll_ms",)


class NextBatch(Kind):
    """Lease up to `size` jobs, polling every `poll_ms` while none is visible -> a tuple of
    Deliveries, or None once the system is quiet."""

    fields = ("poll_ms", "size")


class AckBatch(Kind):
    """Ack every delivery in one operation -> how many the queue accepted."""

    fields = ("deliveries",)


class Renew(Kind):
    """-> the new expiry, or None when the lease is gone."""

    fields = ("delivery",)


class Ack(Kind):
    """-> bool: the queue accepted it."""

    fields = ("delivery", "on_receipt")


class Fail(Kind):
    """Report a failed attempt: retry after `delay_ms`, or dead-letter when None -> bool accepted."""

    # copy: Retry by publishing a delayed copy and leaving the original leased (the worker acks it next).

    fields = ("delivery", "error", "reason", "delay_ms", "republish", "copy")


class Enqueue(Kind):
    """Publish a job -> bool (False: dropped inside the dedupe window)."""

    fields = ("job_id", "payload", "duration_ms", "request", "key", "outbox")


# Store port effects.
class Commit(Kind):
    """Commit a job's effect -> CommitOutcome."""

    fields = ("delivery", "effect", "idempotent", "fencing", "requires_row")


class Claim(Kind):
    """Claim a submission key -> (outcome, the job id that owns the key)."""

    fields = ("key", "job_id")


class CommitBusiness(Kind):
    """Commit a business row (with its outbox row and key claim) -> (outcome, owner job id)."""

    fields = ("job_id", "row", "outbox_row", "claim_key")


class ReadOutbox(Kind):
    """-> (outcome, [(job id, job)])."""


class MarkRelayed(Kind):
    """-> outcome."""

    fields = ("job_id",)


class OutboxPending(Kind):
    """-> bool: rows wait in the outbox (a notification, not a store call)."""


class AwaitOutbox(Kind):
    """Wait, polling every `poll_ms`, until rows wait in the outbox (-> True) or the system is quiet
    (-> False: the relay then stops). The poll loop is the driver's: OutboxPending, Quiet, Sleep."""

    fields = ("poll_ms",)


# Workflow effects (the runs port).
class TriggerRun(Kind):
    """Start run `run` of `workflow` (for a schedule's tick, by the leader of `epoch`; `fenced`: the
    store checks the epoch and the tick) -> outcome: OK, DUPLICATE_ROW (the run, or a fenced tick,
    exists), FENCED (a stale epoch) or a store error."""

    fields = ("run", "workflow", "schedule", "tick", "epoch", "fenced")


class AwaitNotes(Kind):
    """Wait, polling every `poll_ms`, until a completion note waits (-> True) or the system is quiet
    (-> False: the dispatcher then stops). The poll loop is the driver's."""

    fields = ("poll_ms",)


class TakeNote(Kind):
    """Take the oldest free completion note -> (outcome, Note or None)."""


class Dispatch(Kind):
    """One dispatch step for a task, in one transaction: `claim` (compare-and-set pending ->
    dispatched; DUPLICATE_ROW when it is not pending), `enqueue` its job, `mark` it dispatched -> outcome."""

    fields = ("run", "task", "claim", "enqueue", "mark")


class Settle(Kind):
    """Mark `skip` skipped, drop note `note`, and finish the run if every task is settled -> outcome."""

    fields = ("note", "run", "skip")


class AcquireLock(Kind):
    """Take or renew the leader lock for `lease_ms` -> (outcome, the epoch led, or None)."""

    fields = ("lock", "lease_ms")


class LastTick(Kind):
    """The newest tick of `schedule` that started a run -> (outcome, tick; 0 before the first)."""

    fields = ("schedule",)


NOW, QUIET, LEASE, READ_OUTBOX = (Now,), (Quiet,), (Lease,), (ReadOutbox,)
OUTBOX_PENDING, TAKE_NOTE = (OutboxPending,), (TakeNote,)
"""The effects without fields, built once."""
