"""Client (the submitter) and outbox relay: how jobs enter the system.

The client retries a submit whose reply was lost; with the outbox, the relay publishes jobs
that committed together with their business row.
"""

from __future__ import annotations

from runtime import history as ev
from runtime.errors import StoreOverloadedError, StoreUnavailableError, UniqueViolationError
from runtime.faults import CLIENT_AFTER_SUBMIT, CLIENT_BEFORE_BUSINESS_COMMIT
from runtime.worker import ProcessCrashed, endure

CLIENT = "client"
RELAY = "relay"
STORE_ERRORS = (StoreUnavailableError, StoreOverloadedError)


def resubmission_id(job_id: str, copy: int) -> str:
    """The id the server gives the `copy`-th resubmission of one request: j1, j1~1, j1~2, ..."""
    return job_id if copy == 0 else f"{job_id}~{copy}"


class Client:
    def __init__(self, sim) -> None:
        self._sim = sim
        self.done = False
        self._faulty = sim.faults.has_point_faults(CLIENT)

    def run(self):
        sim = self._sim
        clock = sim.clock
        for spec in sorted(sim.scenario.jobs, key=lambda s: s.submit_at_ms):
            if spec.submit_at_ms > clock.now_ms:
                yield spec.submit_at_ms - clock.now_ms
            try:
                yield from self._submit(spec)
            except ProcessCrashed as crash:
                sim.history.record(ev.CRASHED, CLIENT, spec.job_id, point=crash.point)
                yield sim.scenario.restart_delay_ms
                sim.history.record(ev.RESTARTED, CLIENT)
        self.done = True

    def _at(self, point: str):
        """The client's fault points: a crash loses the request in flight; a pause stalls it."""
        yield from endure(self._sim, CLIENT, point)

    def _submit(self, spec):
        sim = self._sim
        policy, history, store, faults = sim.policy, sim.history, sim.store, sim.faults
        payload = dict(spec.payload)
        if spec.business_row:
            payload["business_row"] = True
        if spec.job_id in faults.poisoned:
            payload["poison"] = True
        duration_ms = faults.slow_jobs.get(spec.job_id, spec.duration_ms)
        key = spec.idempotency_key
        copy = 0
        while True:
            job_id = resubmission_id(spec.job_id, copy)
            try:
                owner = job_id
                if policy.dedupe_submissions and key is not None:
                    owner = store.claim_submission(key, job_id)
                if owner != job_id:
                    history.record(ev.SUBMIT_DEDUPLICATED, CLIENT, owner, key=key)
                elif spec.business_row:
                    yield from self._submit_with_business_row(job_id, payload, duration_ms, key)
                else:
                    sim.queue.enqueue(CLIENT, job_id, payload, duration_ms, key=key)
            except STORE_ERRORS as error:
                history.record(ev.STORE_UNAVAILABLE, CLIENT, job_id, operation="submit", error=str(error))
                yield sim.scenario.client_retry_ms
                history.record(ev.SUBMIT_RETRIED, CLIENT, job_id, reason="store error")
                continue
            if self._faulty:
                yield from self._at(CLIENT_AFTER_SUBMIT)
            if faults.take_submit_timeout(spec.job_id):
                yield sim.scenario.client_retry_ms
                history.record(ev.SUBMIT_RETRIED, CLIENT, job_id, key=key, reason="reply lost")
                copy += 1
                continue
            return

    def _submit_with_business_row(self, job_id, payload, duration_ms, key):
        """The dual write: a business row and a job. Naive: enqueue, then commit the row."""
        sim = self._sim
        policy, history, store = sim.policy, sim.history, sim.store
        if not policy.outbox:
            sim.queue.enqueue(CLIENT, job_id, payload, duration_ms, key=key)
        if self._faulty:
            yield from self._at(CLIENT_BEFORE_BUSINESS_COMMIT)
        try:
            job = {"payload": payload, "duration_ms": duration_ms, "key": key}
            store.commit_business(job_id, {"job": job_id}, outbox_row=job if policy.outbox else None)
        except (*STORE_ERRORS, UniqueViolationError) as error:
            history.record(ev.BUSINESS_ROLLED_BACK, CLIENT, job_id, error=str(error))
            return
        history.record(ev.BUSINESS_COMMITTED, CLIENT, job_id, outbox=policy.outbox)


class Relay:
    """Publishes committed outbox rows to the queue; at-least-once, the queue ignores repeats."""

    def __init__(self, sim) -> None:
        self._sim = sim

    def run(self):
        sim = self._sim
        store, queue, history = sim.store, sim.queue, sim.history
        while True:
            if store.outbox:
                try:
                    for job_id, job in store.read_outbox():
                        queue.enqueue(RELAY, job_id, job["payload"], job["duration_ms"], key=job["key"], outbox=True)
                        store.mark_relayed(job_id)
                        history.record(ev.OUTBOX_RELAYED, RELAY, job_id)
                except STORE_ERRORS as error:
                    history.record(ev.STORE_UNAVAILABLE, RELAY, None, operation="relay", error=str(error))
            elif sim.is_quiet():
                return
            yield sim.scenario.poll_ms
