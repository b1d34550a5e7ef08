"""Workflow runs as people read them: one row per task (state, attempts, when it was dispatched,
ran and finished, on which workers), a rich table for the terminal, and the DAG as SVG (for the HTML
report and docs/12_workflows.md). Read from the RunRecord alone, as the judges are."""

from __future__ import annotations

from html import escape

from rich.table import Table

from runtime.core import history as ev

STATE_COLORS = {
    "succeeded": "#2e7d32",
    "failed": "#c62828",
    "skipped": "#9e9e9e",
    "dispatched": "#1565c0",
    "pending": "#616161",
}
NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 170, 48, 60, 18, 12


def runs_of(record) -> list[dict]:
    """Each triggered run: its id, workflow, how it started, its final state, and its task rows."""
    events = record.events
    final_runs = record.final.get("runs", {}) if events[-1].kind == ev.RUN_ENDED else {}
    attempts = record.final.get("attempts", {}) if events[-1].kind == ev.RUN_ENDED else {}
    by_job: dict[str, list] = {}
    for event in events:
        if event.job_id is not None and event.kind in (
            ev.TASK_DISPATCHED,
            ev.STARTED,
            ev.EFFECT_COMMITTED,
            ev.EFFECT_DEDUPLICATED,
            ev.DEAD_LETTERED,
            ev.CRASHED,
        ):
            by_job.setdefault(event.job_id, []).append(event)
    runs = []
    for triggered in (e for e in events if e.kind == ev.WORKFLOW_TRIGGERED):
        run = triggered.get("run")
        parents = triggered.get("tasks") or {}
        final = final_runs.get(run, {})
        finished = next((e for e in events if e.kind == ev.RUN_FINISHED and e.get("run") == run), None)
        rows = []
        depth = _layers(parents)  # parents first, whatever order the history's JSON kept
        for task, its_parents in sorted(parents.items(), key=lambda item: depth[item[0]]):
            job_id = f"{run}:{task}"
            seen = by_job.get(job_id, [])
            rows.append(
                {
                    "task": task,
                    "depends_on": list(its_parents),
                    "state": final.get("tasks", {}).get(task, "pending"),
                    "attempts": attempts.get(job_id, 0),
                    "dispatched_ms": [e.time_ms for e in seen if e.kind == ev.TASK_DISPATCHED],
                    "started": [(e.time_ms, e.actor, e.attempt) for e in seen if e.kind == ev.STARTED],
                    "committed_ms": [e.time_ms for e in seen if e.kind == ev.EFFECT_COMMITTED],
                    "crashes": [(e.time_ms, e.actor) for e in seen if e.kind == ev.CRASHED],
                    "dead_ms": [e.time_ms for e in seen if e.kind == ev.DEAD_LETTERED],
                }
            )
        runs.append(
            {
                "run": run,
                "workflow": triggered.get("workflow"),
                "triggered_ms": triggered.time_ms,
                "by": triggered.actor,
                "schedule": triggered.get("schedule"),
                "tick": triggered.get("tick"),
                "state": final.get("state", "running"),
                "finished_ms": finished.time_ms if finished is not None else None,
                "tasks": rows,
            }
        )
    return runs


def _times(values) -> str:
    return ", ".join(str(v) for v in values) or "-"


def task_table(run: dict) -> Table:
    """One run's tasks, a row each, in the spec's order."""
    how = f"tick {run['tick']} of {run['schedule']}" if run["schedule"] else "on demand"
    end = f", finished at {run['finished_ms']} ms" if run["finished_ms"] is not None else ""
    table = Table(
        title=f"run {run['run']} of {run['workflow']}: {run['state']} ({how}, by {run['by']} at "
        f"{run['triggered_ms']} ms{end})",
        title_justify="left",
    )
    for column in ("task", "after", "state", "attempts", "dispatched (ms)", "ran (ms, worker)", "committed (ms)"):
        table.add_column(column, overflow="fold")
    for row in run["tasks"]:
        ran = ", ".join(f"{t} {actor}" for t, actor, _ in row["started"]) or "-"
        if row["crashes"]:
            ran += " · crashed: " + ", ".join(f"{actor} at {t}" for t, actor in row["crashes"])
        table.add_row(
            row["task"],
            ", ".join(row["depends_on"]) or "-",
            row["state"],
            str(row["attempts"]),
            _times(row["dispatched_ms"]),
            ran,
            _times(row["committed_ms"]),
        )
    return table


def _layers(parents: dict[str, list[str]]) -> dict[str, int]:
    """Each task's column: the length of the longest path to it from a root."""
    depth: dict[str, int] = {}

    def of(task: str) -> int:
        if task not in depth:
            depth[task] = 1 + max((of(p) for p in parents[task]), default=-1)
        return depth[task]

    for task in parents:
        of(task)
    return depth


def dag_svg(run: dict) -> str:
    """The run's DAG, left to right: a box per task (its state's colour, its attempts), an arrow per
    dependency."""
    rows = run["tasks"]
    parents = {row["task"]: row["depends_on"] for row in rows}
    depth = _layers(parents)
    columns: dict[int, list[str]] = {}
    for task in parents:
        columns.setdefault(depth[task], []).append(task)
    height = max(len(tasks) for tasks in columns.values()) * (NODE_H + GAP_Y) - GAP_Y + 2 * PAD
    width = len(columns) * (NODE_W + GAP_X) - GAP_X + 2 * PAD
    place = {}
    for column, tasks in columns.items():
        top = (height - (len(tasks) * (NODE_H + GAP_Y) - GAP_Y)) / 2
        for n, task in enumerate(tasks):
            place[task] = (PAD + column * (NODE_W + GAP_X), top + n * (NODE_H + GAP_Y))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="dag" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="run {escape(run["run"])}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#777"/></marker></defs>',
    ]
    for task, its_parents in parents.items():
        x2, y2 = place[task]
        for parent in its_parents:
            x1, y1 = place[parent]
            sx, sy, ex, ey = x1 + NODE_W, y1 + NODE_H / 2, x2, y2 + NODE_H / 2
            mid = (sx + ex) / 2
            parts.append(
                f'<path d="M {sx:.0f} {sy:.0f} C {mid:.0f} {sy:.0f}, {mid:.0f} {ey:.0f}, {ex:.0f} {ey:.0f}" '
                'fill="none" stroke="#777" stroke-width="1.5" marker-end="url(#arrow)"/>'
            )
    for row in rows:
        x, y = place[row["task"]]
        color = STATE_COLORS.get(row["state"], "#616161")
        tries = f"{row['attempts']} attempt{'s' if row['attempts'] != 1 else ''}"
        parts.append(
            f'<g><rect x="{x:.0f}" y="{y:.0f}" width="{NODE_W}" height="{NODE_H}" rx="8" fill="#fff" '
            f'stroke="{color}" stroke-width="2.5"/>'
            f'<text x="{x + 10:.0f}" y="{y + 20:.0f}" font-family="sans-serif" font-size="13" '
            f'font-weight="bold" fill="#222">{escape(row["task"])}</text>'
            f'<text x="{x + 10:.0f}" y="{y + 38:.0f}" font-family="sans-serif" font-size="11" '
            f'fill="{color}">{escape(row["state"])} · {tries}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def workflow_html(record, limit: int = 4) -> str:
    """The report's section: each run's DAG (the first `limit` runs), or nothing without a workflow."""
    runs = runs_of(record)
    if not runs:
        return ""
    blocks = []
    for run in runs[:limit]:
        how = f"tick {run['tick']} of {run['schedule']}" if run["schedule"] else "on demand"
        blocks.append(
            f'<p class="meta">run <b>{escape(run["run"])}</b> of {escape(str(run["workflow"]))}: '
            f"<b>{escape(run['state'])}</b> ({escape(how)})</p>{dag_svg(run)}"
        )
    more = f'<p class="meta">… and {len(runs) - limit} more run(s).</p>' if len(runs) > limit else ""
    return "<h2>Workflow runs</h2>" + "".join(blocks) + more
