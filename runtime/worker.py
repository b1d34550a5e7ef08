"""Worker: lease -> execute -> commit the effect -> ack, as the policy says, with fault points.

A crash throws away everything the worker held in memory; it restarts as a new incarnation.
"""

from __future__ import annotations

from runtime import history as ev
from runtime.errors import (
    FencedWriteError,
    StoreOverloadedError,
    StoreUnavailableError,
)
from runtime.faults import WORKER_AFTER_COMMIT, WORKER_AFTER_LEASE, WORKER_BEFORE_COMMIT, Crash
from runtime.store import COMMITTED, MissingRowError


class ProcessCrashed(Exception):
    def __init__(self, point: str) -> None:
        super().__init__(point)
        self.point = point


class _Abandoned(Exception):
    """This attempt is over for this worker (lease lost or write fenced); take the next job."""


def endure(sim, actor: str, point: str, job_id: str | None = None):
    """A fault point: ask the injector; a crash raises ProcessCrashed, a pause sleeps (recorded).
    Returns the fault that fired, if any. Shared by workers and the client."""
    fault = sim.faults.hit(point, actor)
    if isinstance(fault, Crash):
        raise ProcessCrashed(point)
    if fault is not None:
        sim.history.record(ev.PAUSED, actor, job_id, point=point, duration_ms=fault.duration_ms)
        yield fault.duration_ms
        sim.history.record(ev.RESUMED, actor, job_id)
    return fault


def handler_error(payload, attempt: int) -> str | None:
    """The job handler: returns an error message when this attempt fails."""
    if payload.get("poison"):
        return "handler error: payload can never be processed"
    failing = payload.get("fail_n_times", 0)
    if attempt <= failing:
        return f"handler error: simulated failure {attempt} of {failing}"
    return None


def effect_of(payload, worker: str, attempt: int) -> dict:
    if "write" in payload:
        return {"effect": "write", "key": payload["write"], "value": f"{worker}@attempt{attempt}"}
    return {"effect": "charge", "amount": payload.get("amount", 1)}


class Worker:
    def __init__(self, name: str, sim) -> None:
        self.name = name
        self.incarnation = 1
        self._sim = sim
        self._skew_ms = sim.faults.skews.get(name, 0)
        self._faulty = sim.faults.has_point_faults(name)  # else its fault points can be skipped
        self.holding = None  # the delivery in hand (lost in a crash); the run is not quiet while set

    def run(self):
        sim, history = self._sim, self._sim.history
        while True:
            try:
                yield from self._serve()
                return
            except ProcessCrashed as crash:
                held = self.holding
                history.record(
                    ev.CRASHED,
                    self.name,
                    held.job_id if held else None,
                    held.attempt if held else None,
                    held.token if held else None,
                    point=crash.point,
                    incarnation=self.incarnation,
                )
                self.holding = None  # memory is gone
                yield sim.scenario.restart_delay_ms
                self.incarnation += 1
                history.record(ev.RESTARTED, self.name, incarnation=self.incarnation)

    def _serve(self):
        sim = self._sim
        queue, clock, poll_ms = sim.queue, sim.clock, sim.scenario.poll_ms
        while True:
            delivery = queue.lease(self.name, clock.now_ms + self._skew_ms)
            if delivery is None:
                if sim.is_quiet():
                    sim.scheduler.stop()
                    return
                yield poll_ms
                continue
            self.holding = delivery
            try:
                yield from self._work(delivery)
            except _Abandoned:
                pass
            self.holding = None

    def _at(self, point: str, delivery):
        """A worker's fault point; after a pause, a heartbeating worker re-checks its lease."""
        paused = yield from endure(self._sim, self.name, point, delivery.job_id)
        if paused is not None and self._sim.policy.heartbeat_ms is not None:
            self._check_lease(delivery)

    def _check_lease(self, delivery) -> None:
        expires = self._sim.queue.renew(delivery)
        if expires is None:
            self._sim.history.record(ev.LEASE_LOST, self.name, delivery.job_id, delivery.attempt, delivery.token)
            raise _Abandoned
        self._sim.history.record(
            ev.LEASE_RENEWED,
            self.name,
            delivery.job_id,
            delivery.attempt,
            delivery.token,
            lease_expires_at_ms=expires,
        )

    def _work(self, delivery):
        sim = self._sim
        policy, queue, history, name = sim.policy, sim.queue, sim.history, self.name
        job_id, attempt, token = delivery.job_id, delivery.attempt, delivery.token
        faulty = self._faulty
        if faulty:
            yield from self._at(WORKER_AFTER_LEASE, delivery)
        if policy.ack_mode == "on_receipt":
            queue.ack(delivery)
            history.record(ev.ACKED, name, job_id, attempt, token, on_receipt=True)
        history.record(ev.STARTED, name, job_id, attempt, token)
        duration = delivery.duration_ms
        jitter = sim.scenario.duration_jitter_ms
        if jitter:
            # Same draw as rng.randint(0, jitter), without randint's argument checks (hot path).
            duration += sim.rng._randbelow(jitter + 1)
        heartbeat = policy.heartbeat_ms
        if heartbeat is None or policy.lease_ms is None:
            yield duration
        else:
            while duration > 0:
                step = min(heartbeat, duration)
                yield step
                duration -= step
                if duration > 0:
                    self._check_lease(delivery)
        if faulty:
            yield from self._at(WORKER_BEFORE_COMMIT, delivery)

        error = handler_error(delivery.payload, attempt)
        if error is not None:
            self._fail(delivery, error, "handler")
            return
        effect = effect_of(delivery.payload, name, attempt)
        try:
            outcome = sim.store.commit_effect(
                job_id,
                token,
                effect,
                idempotent=policy.idempotent_effects,
                fencing=policy.fencing,
                requires_row=delivery.payload.get("business_row", False),
            )
        except (StoreUnavailableError, StoreOverloadedError) as store_error:
            unavailable = isinstance(store_error, StoreUnavailableError)
            kind = ev.STORE_UNAVAILABLE if unavailable else ev.STORE_OVERLOADED
            history.record(kind, name, job_id, attempt, token, operation="commit_effect")
            if policy.retry_on_store_error:
                self._fail(delivery, str(store_error), "store_unavailable" if unavailable else "store_overloaded")
                return
            history.record(ev.ERROR_IGNORED, name, job_id, attempt, token, error=str(store_error))
        except FencedWriteError as fenced:
            history.record(ev.WRITE_FENCED, name, job_id, attempt, token, reason=str(fenced))
            raise _Abandoned from None
        except MissingRowError as missing:
            history.record(ev.MISSING_DATA, name, job_id, attempt, token)
            self._fail(delivery, str(missing), "missing_data")
            return
        else:
            kind = ev.EFFECT_COMMITTED if outcome == COMMITTED else ev.EFFECT_DEDUPLICATED
            history.record(kind, name, job_id, attempt, token, **effect)
        if faulty:
            yield from self._at(WORKER_AFTER_COMMIT, delivery)
        if policy.ack_mode == "after_commit":
            accepted = queue.ack(delivery)
            history.record(ev.ACKED, name, job_id, attempt, token, stale=not accepted)

    def _fail(self, delivery, error: str, reason: str) -> None:
        """A failed attempt: retry after the policy's backoff, or dead-letter the last error."""
        sim = self._sim
        policy, queue, history = sim.policy, sim.queue, sim.history
        job_id, attempt, token = delivery.job_id, delivery.attempt, delivery.token
        history.record(ev.ATTEMPT_FAILED, self.name, job_id, attempt, token, error=error, reason=reason)
        if policy.ack_mode == "after_commit" and not queue.holds_lease(delivery):
            return  # the lease moved on to another worker; the retry is theirs to decide
        if policy.max_attempts is not None and attempt >= policy.max_attempts:
            queue.dead_letter(self.name, delivery, error)
            return
        delay = policy.backoff_delay_ms(attempt, sim.rng)
        visible_at = queue.retry(delivery, delay)
        history.record(
            ev.RETRY_SCHEDULED,
            self.name,
            job_id,
            attempt,
            token,
            delay_ms=visible_at - sim.clock.now_ms,
            visible_at_ms=visible_at,
        )
