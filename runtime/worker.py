"""Worker: lease -> execute -> commit the effect -> ack, as the policy says, with fault points.

A crash throws away everything the worker held in memory; the supervisor restarts it.
"""

from __future__ import annotations

from runtime import history as ev
from runtime import store as st
from runtime.faults import WORKER_AFTER_COMMIT, WORKER_AFTER_LEASE, WORKER_BEFORE_COMMIT
from runtime.supervisor import endure


class _Abandoned(Exception):
    """This attempt is over for this worker (lease lost or write fenced); take the next job."""


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
        self.rng = sim.rng_for(name)
        self._skew_ms = sim.faults.skews.get(name, 0)
        self._faulty = sim.faults.has_point_faults(name, worker=True)  # else its fault points are skipped
        self.holding = None  # the delivery in hand (lost in a crash); the run is not quiet while set

    def lose_memory(self) -> None:
        self.holding = None

    def serve(self):
        sim = self._sim
        queue, clock, poll_ms = sim.queue, sim.clock, sim.scenario.poll_ms
        while True:
            delivery = queue.lease(self.name, clock.now_ms + self._skew_ms)
            if delivery is None:
                if sim.is_quiet():
                    sim.stop_quiet()
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
        if self._sim.queue.renew(self.name, delivery) is None:
            self._sim.history.record(ev.LEASE_LOST, self.name, delivery.job_id, delivery.attempt, delivery.token)
            raise _Abandoned

    def _work(self, delivery):
        sim = self._sim
        policy, queue, history, name = sim.policy, sim.queue, sim.history, self.name
        job_id, attempt, token = delivery.job_id, delivery.attempt, delivery.token
        faulty = self._faulty
        if faulty:
            yield from self._at(WORKER_AFTER_LEASE, delivery)
        if policy.ack_mode == "on_receipt":
            queue.ack(name, delivery, on_receipt=True)
        history.record(ev.STARTED, name, job_id, attempt, token)
        duration = delivery.duration_ms
        jitter = sim.scenario.duration_jitter_ms
        if jitter:
            duration += self.rng.randint(0, jitter)
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
        outcome = sim.store.commit_effect(
            name,
            delivery,
            effect,
            request=delivery.request,
            key=delivery.key,
            idempotent=policy.idempotent_effects,
            fencing=policy.fencing,
            requires_row=delivery.payload.get("business_row", False),
        )
        if outcome in st.STORE_ERRORS:
            kind = ev.STORE_UNAVAILABLE if outcome == st.UNAVAILABLE else ev.STORE_OVERLOADED
            text = st.ERROR_TEXT[outcome]
            history.record(kind, name, job_id, attempt, token, operation="commit_effect", error=text)
            if policy.retry_on_store_error:
                self._fail(delivery, text, "store_" + outcome)
                return
            history.record(ev.ERROR_IGNORED, name, job_id, attempt, token, error=text)
        elif outcome == st.FENCED:
            raise _Abandoned
        elif outcome == st.MISSING_ROW:
            self._fail(delivery, f"business row for {job_id} does not exist", "missing_data")
            return
        if faulty:
            yield from self._at(WORKER_AFTER_COMMIT, delivery)
        if policy.ack_mode == "after_commit":
            queue.ack(name, delivery)

    def _fail(self, delivery, error: str, reason: str) -> None:
        """A failed attempt: retry after the policy's backoff, or dead-letter the last error."""
        policy = self._sim.policy
        attempt = delivery.attempt
        final = policy.max_attempts is not None and attempt >= policy.max_attempts
        delay = None if final else policy.backoff_delay_ms(attempt, self.rng)
        self._sim.queue.report_failure(
            self.name,
            delivery,
            error=error,
            reason=reason,
            delay_ms=delay,
            republish=policy.ack_mode == "on_receipt",
        )
