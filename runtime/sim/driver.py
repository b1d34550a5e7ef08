"""The simulated world's driver: runs a protocol generator as a scheduler process, answering each
effect from the in-memory ports, the actor's random stream and the injector. Only Sleep, Until and a
pause let virtual time pass; every other effect is answered at once."""

from __future__ import annotations

import random

from runtime.core import effects as fx
from runtime.core import history as ev
from runtime.core.faults import (
    WORKER_HEARTBEAT,
    Pause,
    SilencedHeartbeat,
)
from runtime.sim.scheduler import Poll
from runtime.sim.supervisor import crashed, restarted


def draw_between(getrandbits, low: int, high: int) -> int:
    """A uniform integer in [low, high]: random.Random.randint's own algorithm (rejection sampling on
    getrandbits, as CPython does), without its argument checks - the same value, drawn faster."""
    span = high - low + 1
    bits = span.bit_length()
    value = getrandbits(bits)
    while value >= span:
        value = getrandbits(bits)
    return low + value


class Crashed(Exception):
    """The process died at a fault point; the supervisor records it and starts a new incarnation."""

    def __init__(self, point: str) -> None:
        super().__init__(point)
        self.point = point


class Actor:
    """One simulated process: its protocol (a generator factory) and what the world keeps about it.
    `holding` is what the process holds in memory (a worker: its lease; the relay: a row in flight);
    `held`, when given, says instead (the client: the caller's request in flight)."""

    __slots__ = (
        "name",
        "role",
        "start",
        "on_crash",
        "held",
        "_seed",
        "_rng",
        "skew_ms",
        "holding",
        "incarnation",
        "done",
    )

    def __init__(self, name: str, role: str, start, seed: str, *, on_crash=None, held=None, skew_ms: int = 0) -> None:
        self.name, self.role, self.start, self._seed = name, role, start, seed
        self.on_crash, self.held, self.skew_ms = on_crash, held, skew_ms
        self._rng = None
        self.holding = None
        self.incarnation = 1
        self.done = False  # its protocol returned

    @property
    def rng(self) -> random.Random:
        """The actor's own random stream, seeded from `seed` on its first draw (most actors never draw)."""
        if self._rng is None:
            self._rng = random.Random(self._seed)
        return self._rng

    def in_hand(self):
        return self.held() if self.held is not None else self.holding


class Driver:
    def __init__(self, sim) -> None:
        self.sim = sim
        queue, store, history, clock = sim.queue, sim.store, sim.history, sim.clock
        self._injector = sim.injector
        self._history = history
        self._clock = clock
        record = history.record_detail
        empty: dict = {}
        heartbeats = self._heartbeats = {
            name: SilencedHeartbeat(stop, sim.policy)
            for name in sim.scenario.workers
            if (stop := self._injector.at(WORKER_HEARTBEAT, name)) is not None
        }

        def on_renew(actor, effect):
            delivery, gate = effect.delivery, heartbeats.get(actor.name)
            if gate is None:
                return queue.renew(actor.name, delivery)
            return gate.renew(
                clock.now_ms,
                delivery,
                lambda: queue.renew(actor.name, delivery),
                lambda: record(
                    ev.HEARTBEAT_STOPPED, actor.name, delivery.job_id, delivery.attempt, delivery.token, empty
                ),
            )

        def on_quiet(actor, effect):
            quiet = sim.is_quiet()
            if quiet and actor.role == "worker":
                sim.stop_quiet()
            return quiet

        def on_record(actor, effect):
            record(effect.kind, actor.name, effect.job_id, effect.attempt, effect.token, effect.detail or empty)

        def on_lease(actor, effect):
            actor.holding = delivery = queue.lease(actor.name, clock.now_ms + actor.skew_ms)
            return delivery

        def on_hold(actor, effect):
            actor.holding = effect.value

        def on_commit(actor, effect):
            delivery = effect.delivery
            return store.commit_effect(
                actor.name, delivery, effect.effect, effect.idempotent, effect.fencing, effect.requires_row
            )

        def on_fail(actor, effect):
            return queue.report_failure(
                actor.name,
                effect.delivery,
                error=effect.error,
                reason=effect.reason,
                delay_ms=effect.delay_ms,
                republish=effect.republish,
                copy=effect.copy,
            )

        self._handlers = {
            fx.Now: lambda actor, effect: clock.now_ms,
            fx.Draw: lambda actor, effect: draw_between(actor.rng.getrandbits, effect.low, effect.high),
            fx.Hold: on_hold,
            fx.Quiet: on_quiet,
            fx.Record: on_record,
            fx.Lease: on_lease,
            fx.Renew: on_renew,
            fx.Ack: lambda actor, effect: queue.ack(actor.name, effect.delivery, effect.on_receipt),
            fx.AckBatch: lambda actor, effect: sum(queue.ack(actor.name, d) for d in effect.deliveries),
            fx.Fail: on_fail,
            fx.Enqueue: lambda actor, effect: queue.enqueue(actor.name, *effect),
            fx.Commit: on_commit,
            fx.Claim: lambda actor, effect: store.claim_submission(actor.name, effect.key, effect.job_id),
            fx.CommitBusiness: lambda actor, effect: store.commit_business(actor.name, *effect),
            fx.ReadOutbox: lambda actor, effect: store.read_outbox(actor.name),
            fx.MarkRelayed: lambda actor, effect: store.mark_relayed(actor.name, effect.job_id),
            fx.OutboxPending: lambda actor, effect: store.outbox_pending(),
        }
        runs = sim.runs
        if runs is not None:
            self._handlers.update(
                {
                    fx.TriggerRun: lambda actor, effect: runs.trigger_run(actor.name, *effect),
                    fx.TakeNote: lambda actor, effect: runs.take_note(actor.name),
                    fx.Dispatch: lambda actor, effect: runs.dispatch(actor.name, *effect),
                    fx.Settle: lambda actor, effect: runs.settle(actor.name, *effect),
                    fx.AcquireLock: lambda actor, effect: runs.acquire_lock(actor.name, *effect),
                    fx.LastTick: lambda actor, effect: runs.last_tick(actor.name, effect.schedule),
                }
            )

    def close(self) -> None:
        self._handlers.clear()
        self.sim = None

    def process(self, actor: Actor):
        """The actor's scheduler process: its protocol's effects answered one by one, virtual time
        yielded to the scheduler; after a crash, the supervisor records it and a new incarnation
        starts after the restart delay."""
        handlers, clock, sim = self._handlers, self._clock, self.sim
        sleep, until, next_job, await_outbox, point = fx.Sleep, fx.Until, fx.NextJob, fx.AwaitOutbox, fx.Point
        await_notes = fx.AwaitNotes
        lease, quiet, pending = sim.queue.lease, handlers[fx.Quiet], sim.store.outbox_pending
        while True:
            protocol = actor.start()
            send_to = protocol.send
            send = None
            try:
                while True:
                    try:
                        effect = send_to(send)
                    except StopIteration:
                        actor.done = True
                        return
                    kind = effect.__class__
                    handler = handlers.get(kind)
                    if handler is not None:  # answered at once: no virtual time passes
                        send = handler(actor, effect)
                    elif kind is sleep:
                        yield effect.ms
                        send = None
                    elif kind is next_job:  # lease, or poll until a job is visible or the system is quiet
                        while True:
                            actor.holding = send = lease(actor.name, clock.now_ms + actor.skew_ms)
                            if send is not None or quiet(actor, effect):
                                break
                            yield Poll(effect.poll_ms)
                    elif kind is fx.NextBatch:  # lease up to `size`, or poll as NextJob does
                        while True:
                            batch = []
                            while len(batch) < effect.size:
                                delivery = lease(actor.name, clock.now_ms + actor.skew_ms)
                                if delivery is None:
                                    break
                                batch.append(delivery)
                            actor.holding = batch[0] if batch else None
                            send = tuple(batch) or None
                            if send is not None or quiet(actor, effect):
                                break
                            yield Poll(effect.poll_ms)
                    elif kind is until:
                        wait = effect.time_ms - clock.now_ms
                        if wait > 0:
                            yield wait
                        send = clock.now_ms
                    elif kind is await_outbox:  # until rows wait (True) or the system is quiet (False)
                        while True:
                            if pending():
                                send = True
                                break
                            if sim.is_quiet():
                                send = False
                                break
                            yield Poll(effect.poll_ms)
                    elif kind is await_notes:  # until a free note waits (True) or the system is quiet (False)
                        while True:
                            if sim.runs.free_notes():
                                send = True
                                break
                            if sim.is_quiet():
                                send = False
                                break
                            yield Poll(effect.poll_ms)
                    elif kind is point:
                        fault = self._injector.at(effect.point, actor.name, effect.job_id)
                        send = None if fault is None else (yield from self._fault(actor, effect, fault))
                    else:
                        raise TypeError(f"{actor.name} yielded {effect!r}, which is not an effect")
            except Crashed as crash:
                protocol.close()
                yield crashed(sim, actor, crash.point)
                restarted(sim, actor)

    def _fault(self, actor: Actor, effect: fx.Point, fault):
        if isinstance(fault, Pause):
            self._history.record(ev.PAUSED, actor.name, effect.job_id, None, None, effect.point, fault.duration_ms)
            yield fault.duration_ms
            self._history.record(ev.RESUMED, actor.name, effect.job_id)
            return fx.PAUSED
        if fault.kind in ("crash", "crash_job"):
            raise Crashed(effect.point)
        return fault  # a fault the actor survives and must handle (a lost reply)
