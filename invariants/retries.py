"""Invariants about retries: every retry keeps to the policy's backoff schedule and retry budget."""

from __future__ import annotations

from collections import Counter

from invariants.registry import SAFETY, invariant
from runtime.core import history as ev
from runtime.core.decisions import backoff_range_ms


@invariant(
    id="INV_011",
    name="backoff-respected",
    statement=(
        "Every retry waits the policy's backoff for its attempt (within the jitter's range), its message is "
        "not leased again before it is due, and no more retries fall due in a second than the retry budget."
    ),
    kind=SAFETY,
)
def check_backoff_respected(views):
    if not views.of(ev.RETRY_SCHEDULED):
        return  # no retry, nothing to judge
    policy = views.policy
    due: dict[int, object] = {}  # message -> its pending retry_scheduled event
    per_second: Counter = Counter()
    first_in_second: dict[int, int] = {}
    for event in views.events_of(ev.RETRY_SCHEDULED, ev.LEASED):
        if event.kind == ev.RETRY_SCHEDULED:
            first = views.first_submitted.get(event.job_id)
            payload = first.get("payload") if first is not None else None
            low, high = backoff_range_ms(policy, event.attempt, payload)
            base = f", grown from the task's {payload['backoff_ms']}ms" if payload and "backoff_ms" in payload else ""
            delay, visible_at = event.get("delay_ms"), event.get("visible_at_ms")
            if not low <= delay <= high:
                yield (
                    f"job {event.job_id}'s retry after attempt {event.attempt} waits {delay}ms; the policy's "
                    f"{policy.backoff} backoff with {policy.jitter} jitter{base} allows [{low}, {high}]ms",
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
    budget = policy.retry_budget_per_s
    if budget is not None:
        over = sorted(second for second, count in per_second.items() if count > budget)
        if over:
            second = over[0]
            yield (
                f"{per_second[second]} retries fell due in [{second * 1000}, {second * 1000 + 1000})ms, over the "
                f"retry budget of {budget}/s ({len(over)} second(s) over budget)",
                [first_in_second[second]],
            )
