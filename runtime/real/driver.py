"""The real world's driver: runs a protocol generator (runtime.core worker, client or relay) inside
one OS process, answering its effects from the SQL ports, the wall clock and the injector.

- Sleep is a real sleep (virtual ms times the run's scale); Now is the run's clock plus the
  worker's planned skew.
- A planned crash makes the process SIGKILL itself at the point (after writing down what it held,
  so that the supervisor can say it: a killed process can't speak).
- A planned pause makes the process record `paused` and SIGSTOP itself; the supervisor sends
  SIGCONT when the pause is over (a real zombie: the lease runs out while it is frozen).
- The queue lives in the same database as the store, but the protocol models a broker that stays
  up during a store outage: a queue call the database refuses is retried until it is back.
"""

from __future__ import annotations

import json
import os
import random
import signal
import time

from runtime.core import decisions as decide
from runtime.core import effects as fx
from runtime.core import history as ev
from runtime.core.client import Caller
from runtime.core.faults import (
    WORKER_AFTER_COMMIT,
    WORKER_CLOCK,
    WORKER_HEARTBEAT,
    WORKER_MID_COMMIT,
    Pause,
    SilencedHeartbeat,
)
from runtime.core.history import detail_values
from runtime.core.ports import STORE_ERRORS
from runtime.real.db import Database, retry
from runtime.real.queries import queries
from runtime.real.runs import UNSYNCED

SQL = queries("driver")

RANK_GAP_S = 0.012  # wide enough that a loaded machine keeps the order


def kill() -> None:
    """SIGKILL this process now (a crash at a fault point: it can't say anything more)."""
    os.kill(os.getpid(), signal.SIGKILL)


QUIET = SQL.quiet
QUIET_WITH_WORK = SQL.quiet_with_work.format(quiet=QUIET, unsynced=UNSYNCED)


def is_quiet(db: Database, quiet_after_ms: int, more_work: bool = False) -> bool:
    """Nothing left to do: no time-bound fault still due, the caller finished, no message in the
    queue, no outbox row, nobody holding anything (a frozen zombie still holds its job). With
    `more_work` (a workflow, or a planned redrive): no busy trigger, scheduler or operator, and no
    completion note waiting or due. The supervisor asks every few ms: the plain question stays cheap."""
    if db.now_ms() < quiet_after_ms:  # the cheap condition first (a service is never quiet)
        return False
    row = db.read(QUIET_WITH_WORK if more_work else QUIET)[0]
    state, messages, outbox, holding = row[:4]
    busy = row[4] if more_work else 0
    return (
        state is not None
        and json.loads(state)["finished"]
        and messages == 0
        and outbox == 0
        and holding == 0
        and busy == 0
    )


def save_caller(db: Database, caller) -> None:
    state = {
        "position": caller.position,
        "copies": caller.copies,
        "resend": caller.resend,
        "last_sent": caller.last_sent,
        "in_flight": caller.in_flight,
        "finished": caller.finished,
    }
    retry(
        db,
        lambda: db.transaction_write(
            SQL.save_caller_insert_caller,
            (json.dumps(state, sort_keys=True),),
        ),
    )


def load_caller(db: Database, caller) -> None:
    rows = db.read(SQL.load_caller_select_caller)
    if rows:
        for name, value in json.loads(rows[0][0]).items():
            setattr(caller, name, value)


class RealDriver:
    def __init__(
        self,
        db: Database,
        queue,
        store,
        injector,
        *,
        name: str,
        seed: str,
        quiet_after_ms: int,
        rank: int = 0,
        runs=None,
    ) -> None:
        self.db, self.queue, self.store, self.injector, self.runs = db, queue, store, injector, runs
        self.name, self.quiet_after_ms, self.rank = name, quiet_after_ms, rank
        self.rng = random.Random(seed)
        skew = injector.at(WORKER_CLOCK, name)
        stop = injector.at(WORKER_HEARTBEAT, name)
        self.heartbeat = SilencedHeartbeat(stop, queue.policy) if stop is not None else None
        self.skew_ms = skew.skew_ms if skew is not None else 0
        self.more_work = False  # a workflow or a planned redrive: quiet asks about them too (is_quiet)
        self.caller: Caller | None = None  # the client's Caller, saved before every point where it may die
        self.pauses = "."  # the folder where a pausing process leaves its pause's duration (the supervisor's)
        self.first_poll_on_grid = False  # a worker's first incarnation starts polling on the grid
        self._holding: list | None = None  # what the actors table says this process holds (written when it matters)
        self._delivery = None  # the worker's current lease
        self._acked: tuple | None = None  # (token, answer) of an ack made in its commit's transaction
        self.wait = time.sleep
        """How an idle worker waits for its next poll: a sleep, or (the job service's pool on Postgres)
        a wait that a new message ends early (Database.listener)."""
        self._answers = self._table()
        if self._acks_with_commit():
            self._answers[fx.Commit] = self._commit_and_ack
            self._answers[fx.Ack] = self._ack

    # -- time ------------------------------------------------------------------------------
    def now(self) -> int:
        return self.db.now_ms() + self.skew_ms

    def sleep(self, ms: int) -> None:
        if ms > 0:
            time.sleep(ms * self.db.scale / 1000)

    def poll_wait(self, poll_ms: int) -> None:
        """Wait for the next poll: on the run's grid of `poll_ms`, workers in the scenario's order
        (RANK_GAP_S apart), as the simulator's idle workers poll at the same instants in that order.
        Without it, which idle worker leases a new job is a race, and a fault planned for the
        worker that loses it never fires."""
        now = self.db.now_ms()
        wait_ms = (now // poll_ms + 1) * poll_ms - now
        self.wait(wait_ms * self.db.scale / 1000 + self.rank * RANK_GAP_S)

    # -- what the process holds ------------------------------------------------------------
    @staticmethod
    def _held(value) -> list | None:
        """What the actors table says a process holds: [job id, attempt, token], or None."""
        if value is not None and hasattr(value, "job_id"):
            return [value.job_id, value.attempt, value.token]
        return [value, None, None] if value is not None else None

    def hold(self, value) -> None:
        value = self._held(value)
        if value != self._holding:
            self._holding = value
            held = None if value is None else json.dumps(value)
            retry(
                self.db,
                lambda: self.db.transaction_write(SQL.hold_update_actors, (held, self.name)),
            )

    def lease_held(self, delivery) -> None:
        """A worker's lease is written down only while it matters to others: when the worker dies or
        freezes holding it (the supervisor says what a dead process held; a frozen zombie keeps the
        run from being quiet), or when it acked on receipt (the queue no longer has the job). A lease
        held the ordinary way is in the queue's own row."""
        self._delivery = delivery
        if self._holding is not None:
            self.hold(delivery)

    def outlive_lease(self, ms: int) -> None:
        """A worker about to work (or wait) past its lease's expiry writes down what it holds: the queue
        may give the job to another worker meanwhile, and until this one is done the run is not quiet
        (its late write is part of the story)."""
        delivery = self._delivery
        if delivery is None or self._holding is not None:
            return
        expires = getattr(delivery, "lease_expires_at_ms", None)
        if expires is not None and self.now() + ms > expires:
            self.hold(delivery)

    def die(self, point: str) -> None:
        """SIGKILL this process at `point`, with the point, the moment and what it held written down for
        the supervisor (which records the crash at that moment: a killed process can't speak)."""
        if self.caller is not None:
            save_caller(self.db, self.caller)
        if self._delivery is not None:
            self.hold(self._delivery)

        self.write_down(point)
        kill()

    def write_down(self, point: str) -> None:
        """Where and when this process dies, for the supervisor."""

        def write() -> None:
            with self.db.transaction() as tx:
                tx.run(SQL.write_down_update_actors, (point, tx.now, self.name))

        retry(self.db, write)

    def pause(self, point: str, job_id, fault: Pause):
        """Freeze here for the planned time: say so (kept for later if the database is away), leave the
        duration where the supervisor reads it without the database (a file named by this pid), and
        SIGSTOP; the supervisor sends SIGCONT when the pause is over."""
        from runtime.core import history as ev

        self.db.record_event(ev.PAUSED, self.name, job_id, None, None, point, fault.duration_ms)
        if self._delivery is not None:  # a frozen zombie keeps the run from being quiet
            self.hold(self._delivery)
        with open(os.path.join(self.pauses, str(os.getpid())), "w", encoding="ascii") as note:
            note.write(str(fault.duration_ms))
        self.db.close()  # a frozen process keeps no transaction or connection open
        os.kill(os.getpid(), signal.SIGSTOP)
        self.db.record_event(ev.RESUMED, self.name, job_id)
        return fx.PAUSED

    def point(self, point: str, job_id):
        if self.caller is not None:
            save_caller(self.db, self.caller)
        fault = self.injector.at(point, self.name, job_id)
        if fault is None:
            return None
        if isinstance(fault, Pause):
            return self.pause(point, job_id, fault)
        if fault.kind in ("crash", "crash_job"):
            if point == WORKER_MID_COMMIT:  # die inside the next commit, its transaction open
                if self._delivery is not None:
                    self.hold(self._delivery)
                self.write_down(point)
                self.store.mid_call = kill
                return None
            self.die(point)
        return fault  # survived: a lost reply

    # -- the effect loop -------------------------------------------------------------------
    def run(self, protocol) -> None:
        send = None
        while True:
            try:
                effect = protocol.send(send)
            except StopIteration:
                return
            send = self.answer(effect)

    def answer(self, effect):
        """Answer one effect through the table of answers (kind -> method), as the simulator does."""
        try:
            answer = self._answers[effect[0]]
        except (KeyError, TypeError, IndexError):
            raise TypeError(f"{self.name} yielded {fx.show(effect)}, which is not an effect") from None
        return answer(effect)

    def _table(self) -> dict:
        """Effect kind -> the method that answers it."""
        return {
            fx.Sleep: self._sleep,
            fx.Now: lambda effect: self.now(),
            fx.Until: self._until,
            fx.Point: lambda effect: self.point(effect[1], effect[2]),
            fx.Hold: lambda effect: self.hold(effect[1]),
            fx.Quiet: lambda effect: self.quiet(),
            fx.Record: self._record,
            fx.Lease: lambda effect: self.lease(),
            fx.NextJob: self._next_job,
            fx.NextBatch: self._next_batch,
            fx.AckBatch: lambda effect: sum(self.ack(delivery, False) for delivery in effect[1]),
            fx.AwaitOutbox: lambda effect: self.wait_for(self.store.outbox_pending, effect[1], on_grid=False),
            fx.Renew: self._renew,
            fx.Ack: lambda effect: self.ack(effect[1], effect[2]),
            fx.Fail: self._fail,
            fx.Enqueue: lambda effect: retry(self.db, lambda: self.queue.enqueue(self.name, *effect[1:])),
            fx.AwaitNotes: lambda effect: self.wait_for(self.runs.free_notes, effect[1], on_grid=True),
            **fx.store_answers(self.name, self.store, self.runs),
        }

    def _acks_with_commit(self) -> bool:
        """Whether this worker's ack after a commit goes in the commit's own transaction: the queue and
        the store share one database here, the policy acks after the commit, job by job, and no fault
        is planned between the two (a crash there is what FM_001 is about, so a plan that puts one there
        keeps them apart). The worker's protocol is the same either way: it yields Commit, then Ack."""
        policy = self.queue.policy
        return (
            policy.ack_mode == "after_commit"
            and not (policy.batch_size > 1 and policy.batch_ack == "batch")
            and WORKER_AFTER_COMMIT not in self.injector.live_points(self.name)
            and getattr(self.queue, "db", None) is self.db
            and getattr(self.store, "db", None) is self.db
            and getattr(self.queue, "broker", None) is None  # a broker's ack is a message of its own
        )

    def _commit_and_ack(self, effect):
        """Commit the effect and, when its outcome leads to the ack (decisions.after_commit), ack in the
        same transaction; the worker's Ack that follows is answered with that ack's answer."""
        _, delivery, job_effect, idempotent, fencing, requires_row = effect
        policy, queue, name = self.queue.policy, self.queue, self.name

        def ack_too(tx, outcome) -> None:
            if decide.after_commit(outcome, policy) == decide.ACK:
                self._acked = (delivery.token, queue.ack_in(tx, name, delivery, False))

        self._acked = None
        outcome = self.store.commit_effect(name, delivery, job_effect, idempotent, fencing, requires_row, ack_too)
        if outcome in STORE_ERRORS:  # refused: nothing of the transaction committed, the ack neither
            self._acked = None
        return outcome

    def _ack(self, effect):
        _, delivery, on_receipt = effect
        acked = self._acked
        if acked is not None and not on_receipt and acked[0] == delivery.token:
            self._acked = None
            return acked[1]
        return self.ack(delivery, on_receipt)

    def _sleep(self, effect) -> None:
        self.outlive_lease(effect[1])
        self.sleep(effect[1])

    def _until(self, effect) -> int:
        self.sleep(effect[1] - self.now())
        return self.now()

    def _record(self, effect) -> None:
        _, kind, job_id, attempt, token, detail = effect
        values = detail_values(kind, detail)
        if kind == ev.STARTED:  # with the worker's next transaction, at the time it started
            self.db.later(kind, self.name, job_id, attempt, token, *values)
        else:
            self.db.record_event(kind, self.name, job_id, attempt, token, *values)

    def quiet(self) -> bool:
        db = self.db
        return retry(db, lambda: is_quiet(db, self.quiet_after_ms, self.more_work))

    def lease(self):
        delivery = retry(self.db, lambda: self.queue.lease(self.name, self.now()))  # waits out an outage
        self.lease_held(delivery)
        return delivery

    def ack(self, delivery, on_receipt: bool) -> bool:
        if not on_receipt:
            return retry(self.db, lambda: self.queue.ack(self.name, delivery, False))
        # The queue forgets the job while this worker still runs it: the worker says it holds the job in
        # the ack's own transaction, so that no look in between (is the run quiet? is a drill settled?)
        # finds the job in nobody's hands.
        held = self._held(delivery)

        def ack_and_hold() -> bool:
            with self.db.transaction() as tx:
                acked = self.queue.ack_in(tx, self.name, delivery, True)
                tx.run(SQL.hold_update_actors, (json.dumps(held), self.name))
                return acked

        acked = retry(self.db, ack_and_hold)
        self._holding = held
        return acked

    def first_poll(self, poll_ms: int) -> None:
        """A worker's (or dispatcher's) first incarnation starts polling on the grid."""
        if self.first_poll_on_grid:
            self.first_poll_on_grid = False
            self.poll_wait(poll_ms)

    def wait_for(self, ready, poll_ms: int, *, on_grid: bool) -> bool:
        """Until `ready()` (True) or the system is quiet (False), looking every `poll_ms` (on the run's
        grid when `on_grid`, as polling workers and dispatchers do)."""
        if on_grid:
            self.first_poll(poll_ms)
        while True:
            if ready():
                return True
            if self.quiet():
                return False
            if on_grid:
                self.poll_wait(poll_ms)
            else:
                self.sleep(poll_ms)

    def _next_job(self, effect):
        self.first_poll(effect[1])
        while True:
            delivery = self.lease()
            if delivery is not None or self.quiet():
                return delivery
            self.poll_wait(effect[1])

    def _next_batch(self, effect):
        _, poll_ms, size = effect
        self.first_poll(poll_ms)
        while True:
            batch = retry(self.db, lambda: self.queue.lease_batch(self.name, self.now(), size))
            self.lease_held(batch[0] if batch else None)
            if batch or self.quiet():
                return tuple(batch) or None
            self.poll_wait(poll_ms)

    def _renew(self, effect):
        d, db, name, q = effect[1], self.db, self.name, self.queue
        if self.heartbeat is None:
            renewed = retry(db, lambda: q.renew(name, d))
        else:
            renewed = self.heartbeat.renew(
                db.now_ms(),
                d,
                lambda: retry(db, lambda: q.renew(name, d)),
                lambda: db.record_event(ev.HEARTBEAT_STOPPED, name, d.job_id, d.attempt, d.token),
            )
        held = self._delivery
        if isinstance(renewed, int) and not isinstance(renewed, bool) and held is not None and held.token == d.token:
            self._delivery = held._replace(lease_expires_at_ms=renewed)  # outlive_lease reads the new expiry
        return renewed

    def _fail(self, effect):
        _, delivery, error, reason, delay_ms, republish, copy = effect
        return retry(
            self.db,
            lambda: self.queue.report_failure(
                self.name, delivery, error=error, reason=reason, delay_ms=delay_ms, republish=republish, copy=copy
            ),
        )
