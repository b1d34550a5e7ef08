"""The simulated world's driver: runs a protocol generator as a scheduler process, answering each
effect from the in-memory ports, the actor's random stream and the injector. Only Sleep, Until and a
pause let virtual time pass; every other effect is answered at once."""

from __future__ import annotations

from runtime.core import decisions as decide
from runtime.core import effects as fx
from runtime.core import history as ev
from runtime.core.faults import Pause
from runtime.core.ports import ERROR_TEXT, STORE_ERRORS, UNAVAILABLE
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

    __slots__ = ("name", "role", "start", "on_crash", "held", "rng", "skew_ms", "holding", "incarnation", "fast")

    def __init__(self, name: str, role: str, start, rng, *, on_crash=None, held=None, skew_ms: int = 0) -> None:
        self.name, self.role, self.start, self.rng = name, role, start, rng
        self.on_crash, self.held, self.skew_ms = on_crash, held, skew_ms
        self.holding = None
        self.incarnation = 1
        self.fast = False

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
                actor.name,
                delivery,
                effect.effect,
                request=delivery.request,
                key=delivery.key,
                idempotent=effect.idempotent,
                fencing=effect.fencing,
                requires_row=effect.requires_row,
            )

        def on_fail(actor, effect):
            return queue.report_failure(
                actor.name,
                effect.delivery,
                error=effect.error,
                reason=effect.reason,
                delay_ms=effect.delay_ms,
                republish=effect.republish,
            )

        self._handlers = {
            fx.Now: lambda actor, effect: clock.now_ms,
            fx.Draw: lambda actor, effect: actor.rng.randint(effect.low, effect.high),
            fx.Hold: on_hold,
            fx.Quiet: on_quiet,
            fx.Record: on_record,
            fx.Lease: on_lease,
            fx.Renew: lambda actor, effect: queue.renew(actor.name, effect.delivery),
            fx.Ack: lambda actor, effect: queue.ack(actor.name, effect.delivery, effect.on_receipt),
            fx.Fail: on_fail,
            fx.Enqueue: lambda actor, effect: queue.enqueue(actor.name, *effect),
            fx.Commit: on_commit,
            fx.Claim: lambda actor, effect: store.claim_submission(actor.name, effect.key, effect.job_id),
            fx.CommitBusiness: lambda actor, effect: store.commit_business(actor.name, *effect),
            fx.ReadOutbox: lambda actor, effect: store.read_outbox(actor.name),
            fx.MarkRelayed: lambda actor, effect: store.mark_relayed(actor.name, effect.job_id),
            fx.OutboxPending: lambda actor, effect: store.outbox_pending(),
        }

    def fast_worker(self, actor: Actor):
        """The fast lane: runtime.core.worker's protocol, inlined for a worker that no fault can reach
        (check_points=False). It calls the ports
        directly instead of yielding effects; tests/test_fast_lane.py proves the histories identical."""
        sim = self.sim
        policy, scenario, queue, store, clock = sim.policy, sim.scenario, sim.queue, sim.store, self._clock
        record, empty, quiet = self._history.record_detail, {}, self._handlers[fx.Quiet]
        name, poll_ms, jitter, randint = actor.name, scenario.poll_ms, scenario.duration_jitter_ms, actor.rng.randint
        on_receipt, ack_after_commit = policy.ack_mode == "on_receipt", policy.ack_mode == "after_commit"
        idempotent, fencing = policy.idempotent_effects, policy.fencing
        lease, commit, ack, renew = queue.lease, store.commit_effect, queue.ack, queue.renew
        heartbeat = policy.heartbeat_ms if policy.lease_ms is not None else None

        def fail(delivery, error, reason):
            if decide.is_final_attempt(delivery.attempt, policy):
                delay = None
            else:
                low, high = policy.backoff_range_ms(delivery.attempt)
                delay = low if high == low else low + randint(0, high - low)
            queue.report_failure(name, delivery, error=error, reason=reason, delay_ms=delay, republish=on_receipt)

        while True:
            while True:
                actor.holding = delivery = lease(name, clock.now_ms + actor.skew_ms)
                if delivery is not None or quiet(actor, None):
                    break
                yield poll_ms
            if delivery is None:
                return
            job_id, attempt, token, payload = delivery.job_id, delivery.attempt, delivery.token, delivery.payload
            if on_receipt:
                ack(name, delivery, True)
            record(ev.STARTED, name, job_id, attempt, token, empty)
            duration = delivery.duration_ms + randint(0, jitter) if jitter else delivery.duration_ms
            if heartbeat is None:
                yield duration
            else:
                while duration > 0:
                    step = heartbeat if heartbeat < duration else duration
                    yield step
                    duration -= step
                    if duration > 0 and renew(name, delivery) is None:
                        record(ev.LEASE_LOST, name, job_id, attempt, token, empty)
                        break
                if duration > 0:
                    continue  # the lease was lost: abandon the attempt
            error = decide.handler_error(payload, attempt)
            if error is not None:
                fail(delivery, error, "handler")
                continue
            effect = decide.effect_of(payload, name, attempt)
            outcome = commit(
                name,
                delivery,
                effect,
                request=delivery.request,
                key=delivery.key,
                idempotent=idempotent,
                fencing=fencing,
                requires_row=payload.get("business_row", False),
            )
            step = decide.after_commit(outcome, policy)
            if outcome in STORE_ERRORS:
                kind = ev.STORE_UNAVAILABLE if outcome == UNAVAILABLE else ev.STORE_OVERLOADED
                record(kind, name, job_id, attempt, token, {"operation": "commit_effect", "error": ERROR_TEXT[outcome]})
            if step == decide.ABANDON:
                continue
            if step == decide.FAIL:
                fail(
                    delivery,
                    ERROR_TEXT.get(outcome) or f"business row for {job_id} does not exist",
                    decide.FAILURE_REASON[outcome],
                )
                continue
            if step == decide.IGNORE:
                record(ev.ERROR_IGNORED, name, job_id, attempt, token, {"error": ERROR_TEXT[outcome]})
            if ack_after_commit:
                ack(name, delivery)

    def process(self, actor: Actor):
        """The actor's scheduler process: its protocol's effects answered one by one, virtual time
        yielded to the scheduler; after a crash, the supervisor records it and a new incarnation
        starts after the restart delay."""
        handlers, clock, sim = self._handlers, self._clock, self.sim
        sleep, until, next_job, await_outbox, point = fx.Sleep, fx.Until, fx.NextJob, fx.AwaitOutbox, fx.Point
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
                            yield effect.poll_ms
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
                            yield effect.poll_ms
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
            self._history.record(
                ev.PAUSED, actor.name, effect.job_id, point=effect.point, duration_ms=fault.duration_ms
            )
            yield fault.duration_ms
            self._history.record(ev.RESUMED, actor.name, effect.job_id)
            return fx.PAUSED
        if fault.kind in ("crash", "crash_job"):
            raise Crashed(effect.point)
        return fault  # a fault the actor survives and must handle (a lost reply)
