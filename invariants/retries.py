"""Invariants about retries and progress: every retry keeps to the backoff schedule and retry budget
the policy promises (computed here from its fields, apart from the code that draws the delays), and
no job is refused by the system itself."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from invariants.registry import SAFETY, Findings, invariant
from invariants.views import Views
from runtime.core import history as ev
from runtime.core.history import Event


@invariant(
    id="INV_011",
    name="backoff-respected",
    statement=(
        "Every retry waits the policy's backoff for its attempt (within the jitter's range), its message is "
        "not leased again before it is due, and no more retries fall due in a second than the retry budget; "
        "a job with an ETA never starts before it."
    ),
    kind=SAFETY,
)
def check_backoff_respected(views: Views) -> Findings:
    yield from _eta_respected(views)
    if not views.of(ev.RETRY_SCHEDULED):
        return  # no retry, nothing to judge
    fields = views.header["policy"]
    due: dict[int, Event] = {}  # message -> its pending retry_scheduled event
    per_second: Counter[Any] = Counter()
    first_in_second: dict[int, int] = {}
    for event in views.events_of(ev.RETRY_SCHEDULED, ev.LEASED):
        if event.kind == ev.RETRY_SCHEDULED:
            first = views.first_submitted.get(event.job_id)
            payload = first.get("payload") if first is not None else None
            own = payload.get("backoff_ms") if isinstance(payload, dict) else None
            low, high = promised_delays_ms(fields, event.attempt, own)
            base = f", grown from the task's {own}ms" if own is not None else ""
            delay, visible_at = event.get("delay_ms"), event.get("visible_at_ms")
            if not low <= delay <= high:
                yield (
                    f"job {event.job_id}'s retry after attempt {event.attempt} waits {delay}ms; the policy's "
                    f"{fields['backoff']} backoff with {fields['jitter']} jitter{base} allows [{low}, {high}]ms",
                    [event.index],
                )
            elif visible_at < event.time_ms + delay:
                yield (
                    f"job {event.job_id}'s retry after attempt {event.attempt} is due at {visible_at}ms, before "
                    f"its {delay}ms delay has passed (scheduled at {event.time_ms}ms)",
                    [event.index],
                )
            due[event.get("message")] = event
            second = visible_at // 1000
            per_second[second] += 1
            first_in_second.setdefault(second, event.index)
        elif due:
            retry = due.pop(event.get("message"), None)
            if retry is not None and event.time_ms < retry.get("visible_at_ms"):
                yield (
                    f"job {event.job_id} was leased again at {event.time_ms}ms, before its retry was due at "
                    f"{retry.get('visible_at_ms')}ms",
                    [retry.index, event.index],
                )
    budget = fields["retry_budget_per_s"]
    if budget is not None:
        over = sorted(second for second, count in per_second.items() if count > budget)
        if over:
            second = over[0]
            yield (
                f"{per_second[second]} retries fell due in [{second * 1000}, {second * 1000 + 1000})ms, over the "
                f"retry budget of {budget}/s ({len(over)} second(s) over budget)",
                [first_in_second[second]],
            )


def promised_delays_ms(fields: Mapping[str, Any], attempt: int, task_base_ms: int | None = None) -> tuple[int, int]:
    """The retry delays a policy promises after failed attempt `attempt`, computed here from its fields
    as docs/10_policy_reference.md defines them, apart from the code that draws them: `fixed` waits
    the base; `exponential` doubles it per attempt up to backoff_max_ms; `full` jitter draws from
    [0, that], `equal` from [half, that], none waits exactly that. A workflow task's own base replaces
    backoff_base_ms."""
    base = fields["backoff_base_ms"] if task_base_ms is None else task_base_ms
    if fields["backoff"] == "exponential":
        cap = min(fields["backoff_max_ms"], base * 2 ** min(attempt - 1, 40))
    else:
        cap = base
    jitter = fields["jitter"]
    if jitter == "full":
        return 0, cap
    if jitter == "equal":
        return cap // 2, cap
    return cap, cap


def attempt_budget(fields: Mapping[str, Any], payload: Any) -> int | None:
    """The attempts a job may use, from the policy's fields and a workflow task's own `max_attempts`
    (the smaller counts); None: no budget (retry forever)."""
    own = payload.get("max_attempts") if isinstance(payload, dict) else None
    limits = [limit for limit in (fields["max_attempts"], own) if limit is not None]
    return min(limits) if limits else None


def _eta_respected(views: Views) -> Findings:
    """A delayed job (`eta_ms` in its submitted payload) starts no earlier than its ETA."""
    etas = {}
    for job_id, first in views.first_submitted.items():
        payload = first.get("payload")
        if isinstance(payload, dict) and isinstance(payload.get("eta_ms"), int):
            etas[job_id] = payload["eta_ms"]
    if not etas:
        return
    for event in views.of(ev.STARTED):
        eta = etas.get(event.job_id)
        if eta is not None and event.time_ms < eta:
            yield f"job {event.job_id} started at {event.time_ms}ms, before its ETA of {eta}ms", [event.index]


@invariant(
    id="INV_018",
    name="work-progresses",
    statement=(
        "The system never refuses its own work: a job is dead-lettered only once its attempt budget is spent "
        "since it last started afresh (its submission, or a redrive under its own id) or when its stored "
        "payload cannot be interpreted; the store fences only a write whose lease a newer lease replaced, and "
        "a worker loses only a lease that expired, was replaced, or whose renewal a stopped heartbeat failed."
    ),
    kind=SAFETY,
)
def check_work_progresses(views: Views) -> Findings:
    fields = views.header["policy"]
    leases_since: dict[str, int] = {}
    newest: dict[str, int] = {}  # job -> newest token granted so far
    expired: set[int] = set()  # tokens whose lease expired
    for event in views.events_of(
        ev.SUBMITTED,
        ev.REDRIVEN,
        ev.LEASED,
        ev.LEASE_EXPIRED,
        ev.HEARTBEAT_STOPPED,
        ev.DEAD_LETTERED,
        ev.WRITE_FENCED,
        ev.LEASE_LOST,
    ):
        kind, job_id = event.kind, event.job_id
        if kind == ev.SUBMITTED:
            leases_since.setdefault(job_id, 0)
        elif kind == ev.REDRIVEN:
            if event.get("ids") == "keep":
                leases_since[job_id] = 0
        elif kind == ev.LEASED:
            leases_since[job_id] = leases_since.get(job_id, 0) + 1
            newest[job_id] = max(newest.get(job_id, 0), event.token)
        elif kind in (ev.LEASE_EXPIRED, ev.HEARTBEAT_STOPPED):  # expired, or its renewal failed (a fault)
            expired.add(event.token)
        elif kind == ev.DEAD_LETTERED:
            if event.get("reason") == "payload":
                continue
            first = views.first_submitted.get(job_id)
            budget = attempt_budget(fields, first.get("payload") if first is not None else None)
            used = leases_since.get(job_id, 0)
            if budget is None or used < budget:
                allowed = "no attempt budget, so it retries forever" if budget is None else f"a budget of {budget}"
                yield (
                    f"job {job_id} was dead-lettered after {used} attempt(s) since it last started afresh, with "
                    f"{allowed} ({event.get('last_error')!r})",
                    [event.index],
                )
        elif kind == ev.WRITE_FENCED:
            if newest.get(job_id, 0) <= event.token:
                yield (
                    f"the store fenced {event.actor}'s write of job {job_id} (token {event.token}) although no "
                    "newer lease of the job had been granted",
                    [event.index],
                )
        elif event.token not in expired and newest.get(job_id, 0) <= event.token:  # a lost lease
            yield (
                f"{event.actor} lost its lease of job {job_id} (token {event.token}) though it had neither expired "
                "nor been replaced",
                [event.index],
            )
