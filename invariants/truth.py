"""The history must agree with the final state: a history that lies is itself a violation."""

from __future__ import annotations

from collections import Counter

from invariants.registry import SAFETY, invariant
from runtime.core import history as ev


@invariant(
    id="INV_012",
    name="history-matches-state",
    statement=(
        "The history and the final state tell one story: every ledger row has its effect_committed event and "
        "every such event its row; dead letters and business rows likewise."
    ),
    kind=SAFETY,
)
def check_history_matches_state(views):
    final = views.final
    rows = _count((row["job_id"], row["token"]) for row in final["ledger"])
    told = {pair: len(events) for pair, events in views.commit_events.items()}
    if rows != told:
        yield from _ledger_disagreements(views, Counter(rows), Counter(told))
    buried = _count(row[0] for row in final["dead_letters"])
    recorded = _count(event.job_id for event in views.of(ev.DEAD_LETTERED))
    for event in views.of(ev.REDRIVEN):  # a redrive takes its dead letter out of the queue
        left = recorded.get(event.get("dead_letter"), 0) - 1
        if left > 0:
            recorded[event.get("dead_letter")] = left
        else:
            recorded.pop(event.get("dead_letter"), None)
    if buried != recorded:
        differing = sorted(set(buried) ^ set(recorded) | {j for j in buried if buried[j] != recorded.get(j)})
        yield (
            f"the dead-letter queue and the dead_lettered events disagree about {', '.join(differing)}",
            [e.index for e in views.of(ev.DEAD_LETTERED) if e.job_id in differing],
        )
    committed = {event.job_id for event in views.of(ev.BUSINESS_COMMITTED)}
    if set(final["business_rows"]) != committed:
        differing = sorted(set(final["business_rows"]) ^ committed)
        yield f"the business rows and the business_committed events disagree about {', '.join(differing)}", []


def _count(items) -> dict:
    counts: dict = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts


def _ledger_disagreements(views, rows: Counter, told: Counter):
    for (job_id, token), count in sorted((rows - told).items()):
        yield (
            f"the ledger holds {count} row(s) of job {job_id} (token {token}) that no effect_committed event records",
            [],
        )
    for job_id, token in sorted(told - rows):
        events = views.commit_events[(job_id, token)]
        yield (
            f"{events[0].actor} recorded effect_committed for job {job_id} (token {token}) but the ledger has "
            "no such row",
            [e.index for e in events],
        )
