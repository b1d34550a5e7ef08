"""Terminal and JSON rendering of a run: timeline, verdict per invariant, how to replay it."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from invariants import all_invariants

HIDDEN_DETAIL = frozenset({"payload", "request", "message", "final", "policy", "plan", "requests", "workers"})
"""Detail keys too long (or too obvious) for a one-line timeline cell; the JSON keeps them all."""

TIMELINE_LIMIT = 60
"""Longer histories show their start, the evidence with context, and their end."""


def _detail_text(event) -> str:
    parts = []
    if event.attempt is not None:
        parts.append(f"attempt={event.attempt}")
    if event.token is not None:
        parts.append(f"token={event.token}")
    for key in sorted(event.detail):
        value = event.detail[key]
        if value is None or value is False or key in HIDDEN_DETAIL:
            continue
        parts.append(key if value is True else f"{key}={value}")
    return " ".join(parts)


def _visible_indexes(events, evidence: set[int]) -> list[int | None]:
    """Indexes to print; None marks an elided stretch."""
    total = len(events)
    if total <= TIMELINE_LIMIT:
        return list(range(total))
    keep = set(range(20)) | set(range(total - 10, total))
    for index in evidence:
        keep.update(range(max(0, index - 2), min(total, index + 3)))
    shown: list[int | None] = []
    previous = -1
    for index in sorted(keep):
        if index != previous + 1:
            shown.append(None)
        shown.append(index)
        previous = index
    return shown


def timeline_table(result, evidence: set[int], title: str = "timeline (virtual time)") -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title=title, title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("t(ms)", justify="right")
    table.add_column("actor")
    table.add_column("event")
    table.add_column("job")
    table.add_column("detail", overflow="fold")
    for index in _visible_indexes(result.events, evidence):
        if index is None:
            table.add_row("…", "", "", Text("(events elided)", style="dim"), "", "")
            continue
        event = result.events[index]
        style = "bold red" if index in evidence else None
        marker = "◀ " if index in evidence else ""
        table.add_row(
            str(index),
            str(event.time_ms),
            event.actor,
            marker + event.kind,
            event.job_id or "",
            _detail_text(event),
            style=style,
        )
    return table


def verdict_table(violations) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="verdict", title_justify="left")
    table.add_column("invariant")
    table.add_column("result")
    table.add_column("evidence", overflow="fold")
    by_id: dict[str, list] = {}
    for violation in violations:
        by_id.setdefault(violation.invariant, []).append(violation)
    for inv in all_invariants():
        found = by_id.get(inv.id)
        label = f"{inv.id} {inv.name}"
        if not found:
            table.add_row(label, Text("holds", style="green"), "")
            continue
        for position, violation in enumerate(found):
            events = ", ".join(f"#{i}" for i in violation.events)
            table.add_row(
                label if position == 0 else "",
                Text("VIOLATED", style="bold red") if position == 0 else "",
                f"{violation.message} (events {events})",
            )
    return table


def print_run(
    console: Console,
    *,
    header: str,
    result,
    violations,
    replay: str,
    fix_hint: str | None,
    timeline_title: str = "timeline (virtual time)",
) -> None:
    evidence = {i for v in violations for i in v.events}
    console.print(Text(header, style="bold"))
    console.print(
        f"seed {result.seed} · {len(result.events)} events · ended at {result.end_ms}ms · digest {result.digest[:16]}"
    )
    console.print(timeline_table(result, evidence, timeline_title))
    console.print(verdict_table(violations))
    if violations:
        names = ", ".join(sorted({v.invariant for v in violations}))
        console.print(Text(f"✗ {names} violated.", style="bold red"))
    else:
        console.print(Text("✓ every invariant holds.", style="bold green"))
    console.print(f"replay: {replay}", soft_wrap=True, markup=False)  # never wrapped mid-command
    if fix_hint:
        console.print(fix_hint, soft_wrap=True, markup=False)


def run_json(*, fm_id: str | None, policy_label: str, result, violations) -> dict:
    return {
        "fm": fm_id,
        "policy": policy_label,
        "seed": result.seed,
        "digest": result.digest,
        "events": [event.to_json_dict() for event in result.events],
        "violations": [v.to_json_dict() for v in violations],
    }
