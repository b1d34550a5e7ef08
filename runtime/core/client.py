"""Client (the submitter): sends each request, retries one whose reply was lost, and - as the
policy says - re-sends one that failed or refuses it to its caller.

The Caller holds what survives the client process: the list of requests, how far it got, how many
submissions of each request created something. The client is a generator of effects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from runtime.core import history as ev
from runtime.core.effects import Claim, CommitBusiness, Enqueue, Point, Record, Sleep, Steps, Until, store_error
from runtime.core.faults import ALL_POINTS, CLIENT_AFTER_SUBMIT, CLIENT_BEFORE_BUSINESS_COMMIT, CLIENT_REPLY
from runtime.core.ports import ERROR_TEXT, OK, STORE_ERRORS

if TYPE_CHECKING:
    from runtime.core.policy import Policy
    from runtime.core.scenario import JobSpec

ACCEPTED = "accepted"
DEDUPED = "deduped"
ROLLED_BACK = "rolled_back"  # the business transaction failed after the job was enqueued (naive order)


def resubmission_id(job_id: str, copy: int) -> str:
    """The id the server gives the `copy`-th resubmission of one request: j1, j1~1, j1~2, ..."""
    return job_id if copy == 0 else f"{job_id}~{copy}"


class Caller:
    """The upstream caller's intent: it outlives every client process (a crash loses only memory)."""

    def __init__(self, jobs: Iterable[JobSpec]) -> None:
        self.requests = sorted(jobs, key=attrgetter("submit_at_ms"))
        self.position = 0
        self.copies: dict[str, int] = {}
        self.resend = False
        self.last_sent: int | None = None
        self.in_flight: str | None = None
        self.finished = False  # set by the client that sent the last request

    @property
    def done(self) -> bool:
        return self.position >= len(self.requests)

    def client_crashed(self, resubmits: bool) -> None:
        """The in-flight request is re-sent by the caller (client_resubmits) or lost with the process."""
        if self.in_flight is not None:
            if resubmits:
                self.resend = True
            else:
                self.position += 1
        self.in_flight = None

    def created(self, request: str) -> None:
        self.copies[request] = self.copies.get(request, 0) + 1


def client(
    caller: Caller, policy: Policy, *, retry_ms: int, pace_ms: int, points: frozenset[str] = ALL_POINTS
) -> Steps[None]:
    """Send every request the caller still has, in submit order, at the caller's pace, each until it
    is accepted, deduplicated or refused. `points`: the fault points where a fault can fire for the
    client (PlanIndex.live_points)."""
    while not caller.done:
        spec = caller.requests[caller.position]
        request, key = spec.job_id, spec.idempotency_key
        due = spec.submit_at_ms
        if pace_ms and caller.last_sent is not None:
            due = max(due, caller.last_sent + pace_ms)
        if caller.last_sent is None or due > caller.last_sent:  # else that time has passed: no wait
            caller.last_sent = yield Until, due
        caller.in_flight = request
        if caller.resend:
            caller.resend = False
            job_id = resubmission_id(request, caller.copies.get(request, 0))
            yield Record, ev.SUBMIT_RETRIED, job_id, None, None, {"reason": "crashed", "key": key}
        payload = {**spec.payload, "business_row": True} if spec.business_row else spec.payload
        while True:
            job_id = resubmission_id(request, caller.copies.get(request, 0))
            outcome = yield from send(caller, policy, spec, job_id, payload, points=points)
            if outcome in STORE_ERRORS or outcome == ROLLED_BACK:
                reason = ERROR_TEXT.get(outcome, "the business transaction rolled back")
                if not policy.client_resubmits:
                    yield Record, ev.REQUEST_REFUSED, job_id, None, None, {"request": request, "reason": reason}
                    break
                yield Sleep, retry_ms
                yield Record, ev.SUBMIT_RETRIED, job_id, None, None, {"reason": "store error", "key": key}
                continue
            if CLIENT_AFTER_SUBMIT in points:
                yield Point, CLIENT_AFTER_SUBMIT, job_id
            # A lost reply: the submit worked, the client never heard; it sends the request again.
            if CLIENT_REPLY in points and (yield Point, CLIENT_REPLY, request) is not None:
                yield Sleep, retry_ms
                yield Record, ev.SUBMIT_RETRIED, job_id, None, None, {"reason": "reply lost", "key": key}
                continue
            break
        caller.in_flight = None
        caller.position += 1
    caller.finished = True


def _rolled_back(job_id: str, outcome: str) -> Steps[None]:
    if outcome in STORE_ERRORS:
        yield store_error(job_id, "commit_business", outcome)
    error = ERROR_TEXT.get(outcome, "business row already exists")
    yield Record, ev.BUSINESS_ROLLED_BACK, job_id, None, None, {"error": error}


def send(
    caller: Caller, policy: Policy, spec: JobSpec, job_id: str, payload: Mapping[str, Any], *, points: frozenset[str]
) -> Steps[str]:
    """One submission. The outbox path claims the key, writes the business row and the job in one
    transaction; the naive path enqueues first and commits the business row after (a dual write)."""
    request, key = spec.job_id, spec.idempotency_key
    claim = key if policy.dedupe_submissions else None
    if spec.business_row and policy.outbox:
        if CLIENT_BEFORE_BUSINESS_COMMIT in points:
            yield Point, CLIENT_BEFORE_BUSINESS_COMMIT, job_id
        job = {"payload": payload, "duration_ms": spec.duration_ms, "request": request, "key": key}
        outcome, owner = yield CommitBusiness, job_id, {"job": job_id}, job, claim
        if outcome != OK:
            yield from _rolled_back(job_id, outcome)
            return outcome if outcome in STORE_ERRORS else ROLLED_BACK
        if owner != job_id:
            yield Record, ev.SUBMIT_DEDUPLICATED, owner, None, None, {"key": key}
            return DEDUPED
        caller.created(request)
        return ACCEPTED
    if claim is not None:
        outcome, owner = yield Claim, claim, job_id
        if outcome != OK:
            yield store_error(job_id, "claim_submission", outcome)
            return str(outcome)
        if owner != job_id:
            yield Record, ev.SUBMIT_DEDUPLICATED, owner, None, None, {"key": key}
            return DEDUPED
    yield Enqueue, job_id, payload, spec.duration_ms, request, key, False
    caller.created(request)
    if spec.business_row:
        if CLIENT_BEFORE_BUSINESS_COMMIT in points:
            yield Point, CLIENT_BEFORE_BUSINESS_COMMIT, job_id
        outcome, _ = yield CommitBusiness, job_id, {"job": job_id}, None, None
        if outcome != OK:
            yield from _rolled_back(job_id, outcome)
            return ROLLED_BACK
    return ACCEPTED
