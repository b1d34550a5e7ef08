"""Decisions: what follows each outcome under a policy, as tables and pure functions (h11 style).

Protocol code only looks these up; tests/core/test_decisions.py checks them alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from runtime.core import history as ev

if TYPE_CHECKING:
    from runtime.core.policy import Policy
from runtime.core.ports import COMMITTED, DEDUPLICATED, FENCED, MISSING_ROW, OVERLOADED, STORE_ERRORS, UNAVAILABLE

STORE_ERROR_EVENT: dict[str, str] = {UNAVAILABLE: ev.STORE_UNAVAILABLE, OVERLOADED: ev.STORE_OVERLOADED}
"""The event an actor records when the store refuses its call, by the store's answer."""

# What a worker does with the store's answer to its commit.
ACK = "ack"  # the effect is durable: ack (unless the policy acked on receipt)
FAIL = "fail"  # report a failed attempt: retry after backoff, or dead-letter the last error
IGNORE = "ignore"  # swallow the store error and ack anyway (the naive draft)
ABANDON = "abandon"  # the lease moved on (fenced): drop the attempt, ack nothing

AFTER_COMMIT: dict[str, str] = {COMMITTED: ACK, DEDUPLICATED: ACK, FENCED: ABANDON, MISSING_ROW: FAIL}
FAILURE_REASON: dict[str, str] = {
    MISSING_ROW: "missing_data",
    UNAVAILABLE: "store_unavailable",
    OVERLOADED: "store_overloaded",
}


def after_commit(outcome: str, policy: Policy) -> str:
    """The step after a commit's outcome: a store error is failed or ignored as the policy says."""
    if outcome in STORE_ERRORS:
        return FAIL if policy.retry_on_store_error else IGNORE
    try:
        return AFTER_COMMIT[outcome]
    except KeyError:
        raise ValueError(f"unknown commit outcome {outcome!r} (known: {', '.join(AFTER_COMMIT)})") from None


EXHAUSTED = "attempts exhausted before another delivery"
"""The dead letter's last error when a queue refuses to lease a job past its attempt budget."""


def may_lease(attempt: int, limit: int | None) -> bool:
    """The grant rule: a queue hands out attempt number `attempt` only within the job's budget (a
    message that comes back past it - a lost ack on the final attempt - is buried, EXHAUSTED)."""
    return limit is None or attempt <= limit


REFUSED_COMMIT_EVENT: dict[str, str] = {
    FENCED: ev.WRITE_FENCED,
    MISSING_ROW: ev.MISSING_DATA,
    DEDUPLICATED: ev.EFFECT_DEDUPLICATED,
}
"""The event a store records when it refuses to apply an effect, by its verdict."""


def commit_verdict(
    *, fencing: bool, token: int, newest: int, requires_row: bool, has_row: bool, idempotent: bool, done: bool
) -> str:
    """Whether a store applies a job's effect, its checks in their order: a newer lease fences the
    write (under `fencing`), then a missing business row refuses it, then the job's idempotency key
    dedupes it (under `idempotent`). COMMITTED, or the verdict that refuses it."""
    if fencing and token < newest:
        return FENCED
    if requires_row and not has_row:
        return MISSING_ROW
    if idempotent and done:
        return DEDUPLICATED
    return COMMITTED


def attempt_limit(policy: Policy, payload: Mapping[str, Any] | None = None) -> int | None:
    """The job's attempt budget: the policy's max_attempts, or a workflow task's own retry setting
    (`max_attempts` in its payload) when that is smaller. None: retry forever."""
    limit = policy.max_attempts
    own = payload.get("max_attempts") if payload else None
    if own is not None and (limit is None or own < limit):
        return int(own)
    return limit


def is_final_attempt(attempt: int, policy: Policy, payload: Mapping[str, Any] | None = None) -> bool:
    """A failure on this attempt dead-letters the job instead of retrying it."""
    limit = attempt_limit(policy, payload) if payload else policy.max_attempts
    return limit is not None and attempt >= limit


REQUEUE = "requeue"  # an expired lease: the job goes back to the queue for another attempt
BURY = "bury"  # an expired lease: the job is dead-lettered
EXPIRED_WHY = {
    "retry": "lease expired on the final attempt",
    "bury": "lease expired: the worker is presumed dead and its job failed",
}
"""The dead letter's last error when an expired lease buries a job, by `expired_lease`."""


def after_lease_expiry(attempts: int, limit: int | None, policy: Policy) -> str:
    """What the queue does with a job whose lease expired (its worker died or stalled): dead-letter it
    when its attempt budget is spent - or, under `expired_lease="bury"`, always (a dead worker's job
    treated as failed, its retries forgotten); otherwise requeue it. Under `expiry_counts_attempt=false`
    the expired attempt is refunded first (see `refunds_expired_attempt`)."""
    counted = attempts if policy.expiry_counts_attempt else attempts - 1
    if policy.expired_lease == "bury" or (limit is not None and counted >= limit):
        return BURY
    return REQUEUE


def refunds_expired_attempt(policy: Policy) -> bool:
    """Whether a requeued expired lease gives its attempt back (the queue forgets a delivery whose worker
    died: a job that kills its worker is then redelivered forever)."""
    return not policy.expiry_counts_attempt


def visible_from(payload: Mapping[str, Any], policy: Policy, now_ms: int) -> int:
    """When a newly published job becomes visible: at its ETA when the queue holds delayed jobs
    (`eta_wait="queue"`), else at once."""
    eta = payload.get("eta_ms") if payload else None
    return int(eta) if eta is not None and eta > now_ms and policy.eta_wait == "queue" else now_ms


def eta_wait_ms(payload: Mapping[str, Any], policy: Policy, now_ms: int) -> int:
    """How long a worker that leased a job holds it before running it: until its ETA when the worker
    waits for ETAs (`eta_wait="worker"`), else not at all."""
    eta = payload.get("eta_ms") if payload else None
    return int(eta) - now_ms if eta is not None and eta > now_ms and policy.eta_wait == "worker" else 0


def backoff_range_ms(policy: Policy, attempt: int, payload: Mapping[str, Any] | None = None) -> tuple[int, int]:
    """The retry delays allowed after failed attempt `attempt`: the policy's backoff, grown from a
    workflow task's own `backoff_ms` (in its payload) when it has one."""
    base = payload.get("backoff_ms") if payload else None
    return policy.backoff_range_ms(attempt, base)


def handler_error(payload: Mapping[str, Any], attempt: int) -> str | None:
    """The job handler: returns an error message when this attempt fails."""
    if payload.get("poison"):
        return "handler error: payload can never be processed"
    failing = payload.get("fail_n_times", 0)
    if attempt <= failing:
        return f"handler error: simulated failure {attempt} of {failing}"
    return None


def effect_of(payload: Mapping[str, Any], worker: str, attempt: int) -> dict[str, Any]:
    """The side effect a successful attempt commits: a charge, or a write of the result key."""
    if "write" in payload:
        return {"effect": "write", "key": payload["write"], "value": f"{worker}@attempt{attempt}"}
    return {"effect": "charge", "amount": payload.get("amount", 1)}


def claims_delivery(state: str | None, redelivered: bool) -> bool:
    """Whether a broker's delivery of a job becomes a lease (a new attempt, a fresh token) in the
    database, by the state of the job's message there (None: done or dead-lettered, nothing to do).
    A ready message is claimed. A leased one only on a redelivery: the broker took it back from a
    consumer whose connection it lost (or whose delivery timed out), so the holder's lease is
    superseded - fenced, if the policy fences. A first delivery of a job another worker holds is a
    second copy of one publish (a publish retried after a lost confirm): dropped."""
    if state is None:
        return False
    return state == "ready" or (state == "leased" and redelivered)
