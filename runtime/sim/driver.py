"""The simulated world's driver: runs a protocol generator as a scheduler process, answering each
effect from the in-memory ports, the actor's random stream and the injector. Only Sleep, Until and a
pause let virtual time pass; every other effect is answered at once."""

from __future__ import annotations

import random

from runtime.core import client as cl
from runtime.core import decisions as decide
from runtime.core import effects as fx
from runtime.core import history as ev
from runtime.core.faults import (
    CLIENT_AFTER_SUBMIT,
    CLIENT_BEFORE_BUSINESS_COMMIT,
    CLIENT_REPLY,
    RELAY_AFTER_PUBLISH,
    RELAY_AFTER_READ,
    WORKER_AFTER_COMMIT,
    WORKER_AFTER_LEASE,
    WORKER_BEFORE_COMMIT,
    WORKER_HEARTBEAT,
    Pause,
    SilencedHeartbeat,
)
from runtime.core.history import Event
from runtime.core.ports import COMMITTED, ERROR_TEXT, OK, OVERLOADED, STORE_ERRORS, UNAVAILABLE
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

    def _visit(self, name: str, point: str, job_id):
        """A fast lane's fault point, answered as `process` answers a Point effect: a pause sleeps and
        is recorded, a crash ends the process (Crashed), anything else passes. Returns the answer."""
        fault = self._injector.at(point, name, job_id)
        if fault is None:
            return None
        if fault.__class__ is not Pause:
            raise Crashed(point)
        self._history.record(ev.PAUSED, name, job_id, None, None, point, fault.duration_ms)
        yield fault.duration_ms
        self._history.record(ev.RESUMED, name, job_id)
        return fx.PAUSED

    def fast_worker(self, actor: Actor):
        """The fast lane: runtime.core.worker's protocol inlined, calling the ports directly instead of
        yielding effects. It visits the fault points where a fault can fire (the injector decides; a
        pause sleeps, a crash restarts the worker through the supervisor).
        tests/test_shortcuts.py proves the histories identical to the protocol's."""
        sim, visit = self.sim, self._visit
        policy, scenario, queue, store, clock = sim.policy, sim.scenario, sim.queue, sim.store, self._clock
        record, is_quiet = self._history.record, sim.is_quiet
        name, jitter, bits = actor.name, scenario.duration_jitter_ms, actor.rng.getrandbits
        span, width = jitter + 1, (jitter + 1).bit_length()  # the jitter draw, inlined (draw_between)
        events, new_event, started = self._history.events, tuple.__new__, ev.STARTED
        poll = Poll(scenario.poll_ms)
        on_receipt, ack_after_commit = policy.ack_mode == "on_receipt", policy.ack_mode == "after_commit"
        idempotent, fencing = policy.idempotent_effects, policy.fencing
        lease, commit, ack, renew = queue.lease, store.commit_effect, queue.ack, queue.renew
        gate = self._heartbeats.get(name)
        if gate is not None:  # a heartbeat_stop planned for this worker: SilencedHeartbeat's rule

            def renew(name, delivery, send=queue.renew):
                return gate.renew(
                    clock.now_ms,
                    delivery,
                    lambda: send(name, delivery),
                    lambda: record(ev.HEARTBEAT_STOPPED, name, delivery.job_id, delivery.attempt, delivery.token),
                )

        heartbeat = policy.heartbeat_ms if policy.lease_ms is not None else None
        skew = actor.skew_ms
        # Where a fault can fire for this worker: a point with a crash or pause planned for it, or a
        # job planned to crash there. Anywhere else the injector would answer None: skip the visit.
        own, doomed = self._injector.planned_points(name), self._injector.doomed_requests
        lease_own, lease_doomed = WORKER_AFTER_LEASE in own, doomed(WORKER_AFTER_LEASE)
        before_own, before_doomed = WORKER_BEFORE_COMMIT in own, doomed(WORKER_BEFORE_COMMIT)
        after_own, after_doomed = WORKER_AFTER_COMMIT in own, doomed(WORKER_AFTER_COMMIT)
        points = bool(own or lease_doomed or before_doomed or after_doomed)  # else skip every check

        def fail(delivery, error, reason):
            if decide.is_final_attempt(delivery.attempt, policy, delivery.payload):
                delay = None
            else:
                low, high = decide.backoff_range_ms(policy, delivery.attempt, delivery.payload)
                delay = low if high == low else draw_between(bits, low, high)
            queue.report_failure(name, delivery, error=error, reason=reason, delay_ms=delay, republish=on_receipt)

        def survive(point, delivery):
            """runtime.core.worker._survive, its Point answered by the driver."""
            if (yield from visit(name, point, delivery.job_id)) is None or policy.heartbeat_ms is None:
                return True
            if renew(name, delivery) is None:
                record(ev.LEASE_LOST, name, delivery.job_id, delivery.attempt, delivery.token)
                return False
            return True

        while True:  # one lease and one attempt per turn; a crash starts the next incarnation here
            try:
                while True:
                    actor.holding = delivery = lease(name, clock.now_ms + skew)
                    if delivery is not None:
                        break
                    if is_quiet():  # nothing left to do: the run ends here
                        sim.stop_quiet()
                        break
                    yield poll
                if delivery is None:
                    return
                job_id, attempt, token, payload = delivery.job_id, delivery.attempt, delivery.token, delivery.payload
                request = delivery.request
                if (
                    points
                    and (lease_own or request in lease_doomed)
                    and not (yield from survive(WORKER_AFTER_LEASE, delivery))
                ):
                    continue
                if "eta_ms" in payload:  # runtime.core.worker: a delayed job held until due
                    wait = decide.eta_wait_ms(payload, policy, clock.now_ms)
                    if wait:
                        yield wait
                if on_receipt:
                    ack(name, delivery, True)
                events.append(new_event(Event, (len(events), clock.now_ms, started, name, job_id, attempt, token, ())))
                duration = delivery.duration_ms
                if jitter:
                    extra = bits(width)
                    while extra >= span:
                        extra = bits(width)
                    duration += extra
                if heartbeat is None:
                    yield duration
                else:
                    while duration > 0:
                        step = heartbeat if heartbeat < duration else duration
                        yield step
                        duration -= step
                        if duration > 0 and renew(name, delivery) is None:
                            record(ev.LEASE_LOST, name, job_id, attempt, token)
                            break
                    if duration > 0:
                        continue  # the lease was lost: abandon the attempt
                if (points and (before_own or request in before_doomed)) and not (
                    yield from survive(WORKER_BEFORE_COMMIT, delivery)
                ):
                    continue
                if "poison" in payload or "fail_n_times" in payload:  # else the handler cannot fail
                    error = decide.handler_error(payload, attempt)
                    if error is not None:
                        fail(delivery, error, "handler")
                        continue
                if "write" in payload:
                    effect = decide.effect_of(payload, name, attempt)
                else:
                    effect = {"effect": "charge", "amount": payload.get("amount", 1)}  # decide.effect_of, inlined
                outcome = commit(
                    name, delivery, effect, idempotent, fencing, "business_row" in payload and payload["business_row"]
                )
                if outcome is not COMMITTED:  # the common case goes straight to the ack
                    step = decide.after_commit(outcome, policy)
                    if outcome in STORE_ERRORS:
                        kind = ev.STORE_UNAVAILABLE if outcome == UNAVAILABLE else ev.STORE_OVERLOADED
                        record(kind, name, job_id, attempt, token, "commit_effect", ERROR_TEXT[outcome])
                    if step == decide.ABANDON:
                        continue
                    if step == decide.FAIL:
                        error = ERROR_TEXT.get(outcome) or f"business row for {job_id} does not exist"
                        fail(delivery, error, decide.FAILURE_REASON[outcome])
                        continue
                    if step == decide.IGNORE:
                        record(ev.ERROR_IGNORED, name, job_id, attempt, token, ERROR_TEXT[outcome])
                if (
                    points
                    and (after_own or request in after_doomed)
                    and not (yield from survive(WORKER_AFTER_COMMIT, delivery))
                ):
                    continue
                if ack_after_commit:
                    ack(name, delivery)
            except Crashed as crash:
                yield crashed(sim, actor, crash.point)
                restarted(sim, actor)

    def fast_client(self, actor: Actor):
        """The fast lane for the client: runtime.core.client's protocol inlined, calling the ports
        directly. It visits the fault points where a fault can fire (a crash or pause planned for the
        client, a lost reply planned for a request). tests/test_shortcuts.py proves the histories
        identical to the protocol's."""
        sim = self.sim
        caller, policy, scenario, queue, store, clock = (
            sim.caller,
            sim.policy,
            sim.scenario,
            sim.queue,
            sim.store,
            self._clock,
        )
        history, at, visit, name = self._history, self._injector.at, self._visit, actor.name
        record, record_detail = history.record, history.record_detail
        pace, retry_ms = scenario.client_pace_ms, scenario.client_retry_ms
        resubmits, outbox = policy.client_resubmits, policy.outbox
        dedupe = policy.dedupe_submissions
        own = self._injector.planned_points(name)
        after_submit, before_business = CLIENT_AFTER_SUBMIT in own, CLIENT_BEFORE_BUSINESS_COMMIT in own
        lost_replies = self._injector.lost_reply_requests()

        def store_error(job_id, operation, outcome):
            kind = ev.STORE_OVERLOADED if outcome == OVERLOADED else ev.STORE_UNAVAILABLE
            record(kind, name, job_id, None, None, operation, ERROR_TEXT[outcome])

        def rolled_back(job_id, outcome):
            if outcome in STORE_ERRORS:
                store_error(job_id, "commit_business", outcome)
            error = ERROR_TEXT.get(outcome, "business row already exists")
            record(ev.BUSINESS_ROLLED_BACK, name, job_id, None, None, error)

        def send_plain(spec, job_id, payload):
            """runtime.core.client.send for a request without a business row: no fault point on it."""
            request, key = spec.job_id, spec.idempotency_key
            if dedupe and key is not None:
                outcome, owner = store.claim_submission(name, key, job_id)
                if outcome != OK:
                    store_error(job_id, "claim_submission", outcome)
                    return outcome
                if owner != job_id:
                    record(ev.SUBMIT_DEDUPLICATED, name, owner, None, None, key)
                    return cl.DEDUPED
            enqueue(name, job_id, payload, spec.duration_ms, request, key)
            created(request)
            return cl.ACCEPTED

        def send_business(spec, job_id, payload):
            """runtime.core.client.send for a request with a business row (the outbox or the dual write)."""
            request, key = spec.job_id, spec.idempotency_key
            claim = key if dedupe else None
            if outbox:
                if before_business:
                    yield from visit(name, CLIENT_BEFORE_BUSINESS_COMMIT, job_id)
                job = {"payload": payload, "duration_ms": spec.duration_ms, "request": request, "key": key}
                outcome, owner = store.commit_business(name, job_id, {"job": job_id}, job, claim)
                if outcome != OK:
                    rolled_back(job_id, outcome)
                    return outcome if outcome in STORE_ERRORS else cl.ROLLED_BACK
                if owner != job_id:
                    record(ev.SUBMIT_DEDUPLICATED, name, owner, None, None, key)
                    return cl.DEDUPED
                created(request)
                return cl.ACCEPTED
            if claim is not None:
                outcome, owner = store.claim_submission(name, claim, job_id)
                if outcome != OK:
                    store_error(job_id, "claim_submission", outcome)
                    return outcome
                if owner != job_id:
                    record(ev.SUBMIT_DEDUPLICATED, name, owner, None, None, key)
                    return cl.DEDUPED
            enqueue(name, job_id, payload, spec.duration_ms, request, key)
            created(request)
            if before_business:
                yield from visit(name, CLIENT_BEFORE_BUSINESS_COMMIT, job_id)
            outcome, _ = store.commit_business(name, job_id, {"job": job_id})
            if outcome != OK:
                rolled_back(job_id, outcome)
                return cl.ROLLED_BACK
            return cl.ACCEPTED

        def submit(spec, payload, job_id=None, outcome=None):
            """runtime.core.client.submit: send until accepted, deduplicated or refused (`outcome`: the
            first send's, when the caller already sent it)."""
            request, key = spec.job_id, spec.idempotency_key
            while True:
                if outcome is None:
                    job_id = cl.resubmission_id(request, copies.get(request, 0))
                    if spec.business_row:
                        outcome = yield from send_business(spec, job_id, payload)
                    else:
                        outcome = send_plain(spec, job_id, payload)
                if outcome in STORE_ERRORS or outcome == cl.ROLLED_BACK:
                    reason = ERROR_TEXT.get(outcome, "the business transaction rolled back")
                    if not resubmits:
                        record_detail(
                            ev.REQUEST_REFUSED, name, job_id, None, None, {"request": request, "reason": reason}
                        )
                        return
                    yield retry_ms
                    record_detail(ev.SUBMIT_RETRIED, name, job_id, None, None, {"reason": "store error", "key": key})
                    outcome = None
                    continue
                if after_submit:
                    yield from visit(name, CLIENT_AFTER_SUBMIT, job_id)
                if request in lost_replies and at(CLIENT_REPLY, name, request) is not None:
                    yield retry_ms  # the reply was lost: send it again
                    record_detail(ev.SUBMIT_RETRIED, name, job_id, None, None, {"reason": "reply lost", "key": key})
                    outcome = None
                    continue
                return

        requests, copies, enqueue, created = caller.requests, caller.copies, queue.enqueue, caller.created
        plain = not dedupe  # without dedupe, no request claims its key
        while True:  # a crash starts the next incarnation here, from what the caller remembers
            try:
                while caller.position < len(requests):
                    spec = requests[caller.position]
                    due = spec.submit_at_ms
                    if pace and caller.last_sent is not None:
                        due = max(due, caller.last_sent + pace)
                    if due > clock.now_ms:
                        yield due - clock.now_ms
                    caller.last_sent = clock.now_ms
                    caller.in_flight = request = spec.job_id
                    if caller.resend:
                        caller.resend = False
                        job_id = cl.resubmission_id(request, copies.get(request, 0))
                        detail = {"reason": "crashed", "key": spec.idempotency_key}
                        record_detail(ev.SUBMIT_RETRIED, name, job_id, None, None, detail)
                    if spec.business_row:
                        yield from submit(spec, {**spec.payload, "business_row": True})
                    else:
                        # The common path, without a generator: a send that needs no retry, no point.
                        quiet_reply = not after_submit and request not in lost_replies
                        if quiet_reply and (plain or spec.idempotency_key is None) and request not in copies:
                            enqueue(name, request, spec.payload, spec.duration_ms, request, spec.idempotency_key)
                            copies[request] = 1  # send_plain, inlined: no key to claim, a first copy
                            caller.in_flight = None
                            caller.position += 1
                            continue
                        job_id = request if request not in copies else cl.resubmission_id(request, copies[request])
                        outcome = send_plain(spec, job_id, spec.payload)
                        if not (outcome is cl.ACCEPTED and quiet_reply):
                            yield from submit(spec, spec.payload, job_id, outcome)
                    caller.in_flight = None
                    caller.position += 1
                caller.finished = True
                return
            except Crashed as crash:
                yield crashed(sim, actor, crash.point)
                restarted(sim, actor)

    def fast_relay(self, actor: Actor):
        """The fast lane for the outbox relay: runtime.core.relay's protocol inlined, calling the
        ports directly and visiting its fault points where a fault can fire. tests/test_shortcuts.py
        proves the histories identical to the protocol's."""
        sim, store, queue, visit, name = self.sim, self.sim.store, self.sim.queue, self._visit, actor.name
        record, poll_ms, poll = self._history.record, sim.scenario.poll_ms, Poll(sim.scenario.poll_ms)
        own = self._injector.planned_points(name)
        after_read, after_publish = RELAY_AFTER_READ in own, RELAY_AFTER_PUBLISH in own

        def store_error(job_id, operation, outcome):
            kind = ev.STORE_OVERLOADED if outcome == OVERLOADED else ev.STORE_UNAVAILABLE
            record(kind, name, job_id, None, None, operation, ERROR_TEXT[outcome])

        while True:  # a crash starts the next incarnation here
            try:
                while True:
                    while not store.outbox_pending():  # AwaitOutbox: until rows wait, or the system is quiet
                        if sim.is_quiet():
                            return
                        yield poll
                    outcome, rows = store.read_outbox(name)
                    if outcome != OK:
                        store_error(None, "read_outbox", outcome)
                    else:
                        if after_read:
                            yield from visit(name, RELAY_AFTER_READ, None)
                        for job_id, job in rows:
                            actor.holding = job_id
                            queue.enqueue(
                                name, job_id, job["payload"], job["duration_ms"], job["request"], job["key"], True
                            )
                            if after_publish:
                                yield from visit(name, RELAY_AFTER_PUBLISH, job_id)
                            outcome = store.mark_relayed(name, job_id)
                            actor.holding = None
                            if outcome != OK:
                                store_error(job_id, "mark_relayed", outcome)
                                break
                    yield poll_ms
            except Crashed as crash:
                yield crashed(sim, actor, crash.point)
                restarted(sim, actor)

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
