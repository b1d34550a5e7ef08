"""The simulated world's driver: runs a protocol generator as a scheduler process, answering each
effect from the in-memory ports, the actor's random stream and the injector. Only Sleep, Until and a
pause let virtual time pass; every other effect is answered at once."""

from __future__ import annotations

import random
from functools import partial
from typing import Any

from runtime.core import effects as fx
from runtime.core import history as ev
from runtime.core.faults import (
    WORKER_HEARTBEAT,
    Pause,
    SilencedHeartbeat,
)
from runtime.core.ports import Delivery
from runtime.sim.scheduler import Poll
from runtime.sim.supervisor import crashed, restarted


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
        self._rng: random.Random | None = None
        self.holding: Any = None
        self.incarnation = 1
        self.done = False  # its protocol returned

    @property
    def rng(self) -> random.Random:
        """The actor's own random stream, seeded from `seed` on its first draw (most actors never draw)."""
        rng = self._rng
        if rng is None:
            rng = self._rng = random.Random(self._seed)
        return rng

    def draw(self, low: int, high: int) -> int:
        """A uniform integer in [low, high] from the actor's own stream: random.Random.randint's own
        algorithm (rejection sampling on getrandbits, as CPython does) without its argument checks -
        the same value, drawn faster."""
        bits, span = self.rng.getrandbits, high - low + 1
        width = span.bit_length()
        value = bits(width)
        while value >= span:
            value = bits(width)
        return low + value

    def in_hand(self):
        return self.held() if self.held is not None else self.holding


class Driver:
    """Answers the effects of every actor of one run. An effect that takes no virtual time is looked
    up in the actor's table of answers (bound to its name once, when its process starts); Sleep,
    NextJob, Until and Point are the loop's own; the other waiting effects are small generators."""

    def __init__(self, sim) -> None:
        self.sim = sim
        self._injector = sim.injector
        self._history = sim.history
        self._clock = sim.clock
        self._heartbeats = {
            name: SilencedHeartbeat(stop, sim.policy)
            for name in sim.scenario.workers
            if (stop := self._injector.at(WORKER_HEARTBEAT, name)) is not None
        }
        self._waits = {
            fx.NextBatch: self._next_batch,
            fx.AwaitOutbox: lambda actor, effect: self._until_ready(sim.store.outbox_pending, effect[1]),
            fx.AwaitNotes: lambda actor, effect: self._until_ready(sim.runs.free_notes, effect[1]),
        }

    def close(self) -> None:
        self._waits.clear()
        self.sim = None

    def answers(self, actor: Actor) -> dict:
        """The effects `actor`'s protocol may yield that are answered at once: kind -> answer(effect)."""
        sim, clock, name = self.sim, self._clock, actor.name
        queue, store, runs = sim.queue, sim.store, sim.runs
        record, ack, enqueue = self._history.record_detail, queue.ack, queue.enqueue
        gate = self._heartbeats.get(name)

        def renew(effect):
            delivery = effect[1]
            if gate is None:
                return queue.renew(name, delivery)
            return gate.renew(
                clock.now_ms,
                delivery,
                lambda: queue.renew(name, delivery),
                lambda: record(ev.HEARTBEAT_STOPPED, name, delivery.job_id, delivery.attempt, delivery.token, None),
            )

        def quiet(effect):
            return self._quiet(actor)

        def lease(effect):
            actor.holding = delivery = queue.lease(name, clock.now_ms + actor.skew_ms)
            return delivery

        def hold(effect):
            actor.holding = effect[1]

        table: dict[type, Any] = {
            fx.Now: lambda effect: clock.now_ms,
            fx.Hold: hold,
            fx.Quiet: quiet,
            fx.Record: partial(self._history.record_effect, name),
            fx.Lease: lease,
            fx.Renew: renew,
            fx.Ack: lambda effect: ack(name, effect[1], effect[2]),
            fx.AckBatch: lambda effect: sum(ack(name, delivery) for delivery in effect[1]),
            fx.Fail: lambda effect: queue.report_failure(
                name,
                effect[1],
                error=effect[2],
                reason=effect[3],
                delay_ms=effect[4],
                republish=effect[5],
                copy=effect[6],
            ),
            fx.Enqueue: lambda effect: enqueue(name, effect[1], effect[2], effect[3], effect[4], effect[5], effect[6]),
            **fx.store_answers(name, store, runs),
        }
        return table

    def _quiet(self, actor: Actor) -> bool:
        """Is the system quiet? A worker that finds it so ends the run."""
        quiet = self.sim.is_quiet()
        if quiet and actor.role == "worker":
            self.sim.stop_quiet()
        return quiet

    def process(self, actor: Actor):
        """The actor's scheduler process: its protocol's effects answered one by one, virtual time
        yielded to the scheduler; after a crash, the supervisor records it and a new incarnation
        starts after the restart delay."""
        sim, clock, name = self.sim, self._clock, actor.name
        answer_of, waits, at = self.answers(actor).get, self._waits, self._injector.at
        lease = sim.queue.lease
        sleep, next_job, until, point = fx.Sleep, fx.NextJob, fx.Until, fx.Point
        while True:
            protocol = actor.start()
            send = protocol.send
            answer = None
            try:
                while True:
                    try:
                        effect = send(answer)
                    except StopIteration:
                        actor.done = True
                        return
                    kind = effect[0]
                    handler = answer_of(kind)
                    if handler is not None:  # answered at once: no virtual time passes
                        answer = handler(effect)
                    elif kind is sleep:
                        yield effect[1]
                        answer = None
                    elif kind is next_job:  # lease, or poll until a job is visible or the system is quiet
                        actor.holding = answer = lease(name, clock.now_ms + actor.skew_ms)
                        if answer is None:
                            answer = yield from self._poll_job(actor, effect[1])
                    elif kind is until:
                        wait = effect[1] - clock.now_ms
                        if wait > 0:
                            yield wait
                        answer = clock.now_ms
                    elif kind is point:
                        fault = at(effect[1], name, effect[2])
                        answer = None if fault is None else (yield from self._fault(actor, effect, fault))
                    elif kind in waits:
                        answer = yield from waits[kind](actor, effect)
                    else:
                        raise TypeError(f"{name} yielded {fx.show(effect)}, which is not an effect")
            except Crashed as crash:
                protocol.close()
                yield crashed(sim, actor, crash.point)
                restarted(sim, actor)

    def _poll_job(self, actor: Actor, poll_ms: int):
        """No job was visible: poll until one is (-> it) or the system is quiet (-> None)."""
        lease, clock, poll = self.sim.queue.lease, self._clock, Poll(poll_ms)
        while not self._quiet(actor):
            yield poll
            actor.holding = delivery = lease(actor.name, clock.now_ms + actor.skew_ms)
            if delivery is not None:
                return delivery
        return None

    def _next_batch(self, actor: Actor, effect):
        """Lease up to `size` jobs, or poll as NextJob does."""
        _, poll_ms, size = effect
        lease, clock = self.sim.queue.lease, self._clock
        while True:
            batch: list[Delivery] = []
            while len(batch) < size:
                delivery = lease(actor.name, clock.now_ms + actor.skew_ms)
                if delivery is None:
                    break
                batch.append(delivery)
            actor.holding = batch[0] if batch else None
            if batch:
                return tuple(batch)
            if self._quiet(actor):
                return None
            yield Poll(poll_ms)

    def _until_ready(self, ready, poll_ms: int):
        """Poll until `ready()` (True: rows wait in the outbox, a free note waits) or the system is
        quiet (False): the one poll-until-quiet loop of AwaitOutbox and AwaitNotes."""
        while not ready():
            if self.sim.is_quiet():
                return False
            yield Poll(poll_ms)
        return True

    def _fault(self, actor: Actor, effect, fault):
        point, job_id = effect[1], effect[2]
        if isinstance(fault, Pause):
            self._history.record(ev.PAUSED, actor.name, job_id, None, None, point, fault.duration_ms)
            yield fault.duration_ms
            self._history.record(ev.RESUMED, actor.name, job_id)
            return fx.PAUSED
        if fault.kind in ("crash", "crash_job"):
            raise Crashed(point)
        return fault  # a fault the actor survives and must handle (a lost reply)
