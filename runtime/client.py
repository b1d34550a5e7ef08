"""Client (the submitter) and outbox relay: how jobs enter the system.

The client sends each request, retries one whose reply was lost, and - as the policy says -
re-sends one that failed or refuses it to its caller. The relay publishes outbox rows (at least
once: a crash between the publish and marking the row sent publishes it again).
"""

from __future__ import annotations

from runtime import history as ev
from runtime import store as st
from runtime.faults import (
    CLIENT,
    CLIENT_AFTER_SUBMIT,
    CLIENT_BEFORE_BUSINESS_COMMIT,
    RELAY,
    RELAY_AFTER_PUBLISH,
    RELAY_AFTER_READ,
)
from runtime.supervisor import endure

ACCEPTED = "accepted"
DEDUPED = "deduped"
ROLLED_BACK = "rolled_back"  # the business transaction failed after the job was enqueued (naive order)


def resubmission_id(job_id: str, copy: int) -> str:
    """The id the server gives the `copy`-th resubmission of one request: j1, j1~1, j1~2, ..."""
    return job_id if copy == 0 else f"{job_id}~{copy}"


class Client:
    name = CLIENT

    def __init__(self, sim) -> None:
        self._sim = sim
        self.incarnation = 1
        self.done = False
        self.holding = None  # the request in flight (its job id)
        self._faulty = sim.faults.has_point_faults(CLIENT)
        self._requests = sorted(sim.scenario.jobs, key=lambda s: s.submit_at_ms)
        self._position = 0  # the caller's place in its list of requests: it survives a crash
        self._copies: dict[str, int] = {}  # submissions per request that created something
        self._resend = False
        self._last_sent: int | None = None  # when the caller last sent a request (its pace)

    def lose_memory(self) -> None:
        """The in-flight request is re-sent by the caller (client_resubmits) or lost with the process."""
        if self.holding is not None:
            if self._sim.policy.client_resubmits:
                self._resend = True
            else:
                self._position += 1
        self.holding = None

    def serve(self):
        sim = self._sim
        clock = sim.clock
        pace = sim.scenario.client_pace_ms
        while self._position < len(self._requests):
            spec = self._requests[self._position]
            due = (
                max(spec.submit_at_ms, self._last_sent + pace)
                if pace and self._last_sent is not None
                else spec.submit_at_ms
            )
            if due > clock.now_ms:
                yield due - clock.now_ms
            self._last_sent = clock.now_ms
            self.holding = spec.job_id
            if self._resend:
                self._resend = False
                sim.history.record(
                    ev.SUBMIT_RETRIED,
                    CLIENT,
                    resubmission_id(spec.job_id, self._copies.get(spec.job_id, 0)),
                    reason="crashed",
                    key=spec.idempotency_key,
                )
            yield from self._submit(spec)
            self.holding = None
            self._position += 1
        self.done = True

    def _submit(self, spec):
        sim = self._sim
        policy, history, faults = sim.policy, sim.history, sim.faults
        request, key = spec.job_id, spec.idempotency_key
        payload = dict(spec.payload)
        if spec.business_row:
            payload["business_row"] = True
        if request in faults.poisoned:
            payload["poison"] = True
        duration_ms = faults.slow_jobs.get(request, spec.duration_ms)
        while True:
            job_id = resubmission_id(request, self._copies.get(request, 0))
            outcome = yield from self._send(spec, job_id, payload, duration_ms)
            if outcome in st.STORE_ERRORS or outcome == ROLLED_BACK:
                reason = st.ERROR_TEXT.get(outcome, "the business transaction rolled back")
                if not policy.client_resubmits:
                    history.record(ev.REQUEST_REFUSED, CLIENT, job_id, request=request, reason=reason)
                    return
                yield sim.scenario.client_retry_ms
                history.record(ev.SUBMIT_RETRIED, CLIENT, job_id, reason="store error", key=key)
                continue
            if self._faulty:
                yield from endure(sim, CLIENT, CLIENT_AFTER_SUBMIT, job_id)
            if faults.take_submit_timeout(request):
                yield sim.scenario.client_retry_ms
                history.record(ev.SUBMIT_RETRIED, CLIENT, job_id, reason="reply lost", key=key)
                continue
            return

    def _created(self, request: str) -> None:
        self._copies[request] = self._copies.get(request, 0) + 1

    def _send(self, spec, job_id, payload, duration_ms):
        """One submission. The outbox path claims the key, writes the business row and the job in one
        transaction; the naive path enqueues first and commits the business row after (a dual write)."""
        sim = self._sim
        policy, history, store, queue = sim.policy, sim.history, sim.store, sim.queue
        request, key = spec.job_id, spec.idempotency_key
        claim = key if policy.dedupe_submissions else None
        if spec.business_row and policy.outbox:
            if self._faulty:
                yield from endure(sim, CLIENT, CLIENT_BEFORE_BUSINESS_COMMIT, job_id)
            job = {"payload": payload, "duration_ms": duration_ms, "request": request, "key": key}
            outcome, owner = store.commit_business(CLIENT, job_id, {"job": job_id}, outbox_row=job, claim_key=claim)
            if outcome != st.OK:
                return self._rolled_back(job_id, outcome)
            if owner != job_id:
                history.record(ev.SUBMIT_DEDUPLICATED, CLIENT, owner, key=key)
                return DEDUPED
            self._created(request)
            return ACCEPTED
        if claim is not None:
            outcome, owner = store.claim_submission(CLIENT, claim, job_id)
            if outcome != st.OK:
                self._store_error(job_id, "claim_submission", outcome)
                return outcome
            if owner != job_id:
                history.record(ev.SUBMIT_DEDUPLICATED, CLIENT, owner, key=key)
                return DEDUPED
        queue.enqueue(CLIENT, job_id, payload, duration_ms, request, key)
        self._created(request)
        if spec.business_row:
            if self._faulty:
                yield from endure(sim, CLIENT, CLIENT_BEFORE_BUSINESS_COMMIT, job_id)
            outcome, _ = store.commit_business(CLIENT, job_id, {"job": job_id})
            if outcome != st.OK:
                self._rolled_back(job_id, outcome)
                return ROLLED_BACK
        return ACCEPTED

    def _store_error(self, job_id: str, operation: str, outcome: str) -> None:
        kind = ev.STORE_OVERLOADED if outcome == st.OVERLOADED else ev.STORE_UNAVAILABLE
        self._sim.history.record(kind, CLIENT, job_id, operation=operation, error=st.ERROR_TEXT[outcome])

    def _rolled_back(self, job_id: str, outcome: str) -> str:
        if outcome in st.STORE_ERRORS:
            self._store_error(job_id, "commit_business", outcome)
        error = st.ERROR_TEXT.get(outcome, "business row already exists")
        self._sim.history.record(ev.BUSINESS_ROLLED_BACK, CLIENT, job_id, error=error)
        return outcome if outcome in st.STORE_ERRORS else ROLLED_BACK


class Relay:
    """Publishes committed outbox rows to the queue, then marks them sent: at least once."""

    name = RELAY

    def __init__(self, sim) -> None:
        self._sim = sim
        self.incarnation = 1
        self.holding = None  # the job id published but not yet marked sent
        self._faulty = sim.faults.has_point_faults(RELAY)

    def lose_memory(self) -> None:
        self.holding = None

    def serve(self):
        sim = self._sim
        store, queue, history = sim.store, sim.queue, sim.history

        def publish(job_id, job):
            queue.enqueue(RELAY, job_id, job["payload"], job["duration_ms"], job["request"], job["key"], True)

        while True:
            if store.outbox:  # a notification that rows are waiting (LISTEN/NOTIFY): not a store call
                outcome, rows = store.read_outbox(RELAY)
                if outcome != st.OK:
                    kind = ev.STORE_OVERLOADED if outcome == st.OVERLOADED else ev.STORE_UNAVAILABLE
                    history.record(kind, RELAY, None, operation="read_outbox", error=st.ERROR_TEXT[outcome])
                else:
                    if self._faulty:
                        yield from endure(sim, RELAY, RELAY_AFTER_READ)
                    for job_id, job in rows:
                        self.holding = job_id
                        publish(job_id, job)
                        if self._faulty:
                            yield from endure(sim, RELAY, RELAY_AFTER_PUBLISH, job_id)
                        outcome = store.mark_relayed(RELAY, job_id)
                        self.holding = None
                        if outcome != st.OK:
                            kind = ev.STORE_OVERLOADED if outcome == st.OVERLOADED else ev.STORE_UNAVAILABLE
                            history.record(kind, RELAY, job_id, operation="mark_relayed", error=st.ERROR_TEXT[outcome])
                            break
            elif sim.is_quiet():
                return
            yield sim.scenario.poll_ms
