"""A self-contained HTML report of one run: an SVG swimlane timeline in virtual time with the
violated invariant's evidence highlighted, the verdict, the metrics and the replay command.

No scripts, no network, no external assets: the file opens anywhere and renders to PNG.
"""

from __future__ import annotations

import bisect
from html import escape
from typing import Any

from faultline.present.render import _detail_text, _visible_indexes
from faultline.present.trace import tracks
from faultline.present.workflow_runs import workflow_html
from invariants import all_invariants
from invariants.views import Views
from runtime.core import history as ev

WIDTH, LEFT, RIGHT, LANE, TOP = 1160, 86, 30, 44, 40
PALETTE = ("#4e79a7", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#bab0ac", "#86bcb6", "#8cd17d")
MARKS = {
    ev.SUBMITTED: ("circle", "#555"),
    ev.EFFECT_COMMITTED: ("circle", "#1b7a1b"),
    ev.EFFECT_DEDUPLICATED: ("circle", "#8cd17d"),
    ev.ACKED: ("tick", "#333"),
    ev.CRASHED: ("cross", "#d62728"),
    ev.LEASE_EXPIRED: ("diamond", "#ff7f0e"),
    ev.ACK_LOST: ("diamond", "#d62728"),
    ev.ACK_REJECTED: ("tick", "#ff7f0e"),
    ev.REQUEST_REFUSED: ("cross", "#b07aa1"),
    ev.DEAD_LETTERED: ("square", "#111"),
    ev.STORE_UNAVAILABLE: ("tick", "#d62728"),
    ev.STORE_OVERLOADED: ("tick", "#ff7f0e"),
    ev.WRITE_FENCED: ("square", "#ff7f0e"),
    ev.ERROR_IGNORED: ("cross", "#ff7f0e"),
    ev.MISSING_DATA: ("cross", "#b07aa1"),
    ev.LEASE_LOST: ("cross", "#ff7f0e"),
    ev.RESTARTED: ("circle", "#d62728"),
    ev.BUSINESS_ROLLED_BACK: ("cross", "#d62728"),
    ev.BUSINESS_COMMITTED: ("circle", "#1b7a1b"),
}
LANE_OF = {
    ev.LEASE_EXPIRED: "queue",
    ev.ACK_LOST: "queue",
    ev.STORE_UNAVAILABLE: "store",
    ev.STORE_OVERLOADED: "store",
}

CSS = """
body { font: 14px/1.45 -apple-system, 'Segoe UI', 'DejaVu Sans', sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 22px 0 8px; }
.meta { color: #555; } .bad { color: #c62828; font-weight: 600; } .good { color: #2e7d32; font-weight: 600; }
table { border-collapse: collapse; font-size: 12.5px; } td, th { padding: 2px 10px 2px 0; text-align: left; }
tr.evidence td { color: #c62828; font-weight: 600; } code, pre { background: #f4f4f4; padding: 2px 5px; }
svg text { font: 11px 'DejaVu Sans', sans-serif; } .lane-label { font-weight: 600; }
.violation { border-left: 4px solid #c62828; padding: 4px 10px; margin: 6px 0; background: #fff3f3; }
.legend span { margin-right: 14px; font-size: 12px; white-space: nowrap; display: inline-block; }
svg.timeline { width: 100%; max-width: 1160px; height: auto; display: block; }
td, .violation, p { overflow-wrap: anywhere; } pre { white-space: pre-wrap; overflow-wrap: anywhere; }
table.metrics { column-count: 2; column-gap: 28px; display: block; max-width: 1160px; }
table.metrics tr { break-inside: avoid; } .zero { color: #aaa; }
"""


GAP_PX = 46  # width of a compressed idle stretch
TOP_VIOLATIONS = 3  # shown above the timeline; all of them are listed under Verdict


class TimeScale:
    """Virtual time -> x. Idle stretches longer than 15% of the run (and over 500 ms) are drawn
    as a fixed-width break, so a stuck run's 30 s of nothing does not squash its first second."""

    def __init__(self, times: list[int], end_ms: int) -> None:
        points = sorted({0, end_ms, *times})
        threshold = max(500, end_ms * 0.15)
        pairs = list(zip(points, points[1:], strict=False))
        self.gaps = [(a, b) for a, b in pairs if b - a > threshold]
        live_ms = max(1, end_ms - sum(b - a for a, b in self.gaps))
        px_per_ms = (WIDTH - LEFT - RIGHT - GAP_PX * len(self.gaps)) / live_ms
        self.knots_t, self.knots_x = [0], [float(LEFT)]
        for a, b in pairs:
            width = GAP_PX if (a, b) in self.gaps else (b - a) * px_per_ms
            self.knots_t.append(b)
            self.knots_x.append(self.knots_x[-1] + width)
        self.step = _nice_step(live_ms / 8)

    def x(self, time_ms: int) -> float:
        i = max(1, min(bisect.bisect_right(self.knots_t, time_ms), len(self.knots_t) - 1))
        t0, t1, x0, x1 = self.knots_t[i - 1], self.knots_t[i], self.knots_x[i - 1], self.knots_x[i]
        return x0 if t1 == t0 else x0 + (x1 - x0) * (time_ms - t0) / (t1 - t0)

    def ticks(self, end_ms: int) -> list[int]:
        chosen, last_x = [], -1e9
        for t in range(0, end_ms + 1, self.step):
            near_gap = any(self.x(a) - 40 < self.x(t) < self.x(b) + 40 for a, b in self.gaps)
            if any(a < t < b for a, b in self.gaps) or near_gap or self.x(t) - last_x < 60:
                continue
            chosen.append(t)
            last_x = self.x(t)
        return chosen


def _nice_step(raw: float) -> int:
    magnitude = 10 ** max(0, len(str(int(max(raw, 1)))) - 1)
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return factor * magnitude
    return 10 * magnitude


def _mark(shape: str, x: float, y: float, color: str, css: str) -> str:
    if shape == "circle":
        return f'<circle class="{css}" cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}"/>'
    if shape == "square":
        return f'<rect class="{css}" x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{color}"/>'
    if shape == "diamond":
        return (
            f'<polygon class="{css}" points="{x:.1f},{y - 6:.1f} {x + 6:.1f},{y:.1f} {x:.1f},{y + 6:.1f} '
            f'{x - 6:.1f},{y:.1f}" fill="{color}"/>'
        )
    if shape == "cross":
        return (
            f'<path class="{css}" d="M{x - 5:.1f},{y - 5:.1f} L{x + 5:.1f},{y + 5:.1f} M{x - 5:.1f},{y + 5:.1f} '
            f'L{x + 5:.1f},{y - 5:.1f}" stroke="{color}" stroke-width="2.5"/>'
        )
    return (
        f'<line class="{css}" x1="{x:.1f}" y1="{y - 7:.1f}" x2="{x:.1f}" y2="{y + 7:.1f}" '
        f'stroke="{color}" stroke-width="2"/>'
    )


class Labels:
    """Places the timeline's text labels: each at the first of its candidate spots that stays inside
    the picture and overlaps no label placed before; a label with no such spot is left out (its
    mark and tooltip remain, and the evidence is listed under Verdict). Widths are estimated from
    the font (11 px DejaVu Sans); `faultline.present.layout` checks the result in Chromium."""

    CHAR_PX, BOLD_PX, ASCENT, DESCENT = 7.0, 7.6, 10, 3

    def __init__(self, width: float, height: float) -> None:
        self.width, self.height = width, height
        self.placed: list[tuple[float, float, float, float]] = []

    def place(self, text: str, spots, *, fill: str, bold: bool = False, css: str = "") -> str:
        wide = len(text) * (self.BOLD_PX if bold else self.CHAR_PX)
        for x, y, anchor in spots:
            left = {"start": x, "middle": x - wide / 2, "end": x - wide}[anchor]
            box = (left, y - self.ASCENT, left + wide, y + self.DESCENT)
            if box[0] < 1 or box[2] > self.width - 1 or box[1] < 1 or box[3] > self.height - 1:
                continue
            if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in self.placed):
                continue
            self.placed.append(box)
            weight = ' font-weight="bold"' if bold else ""
            klass = f' class="{css}"' if css else ""
            return (
                f'<text{klass} x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}"{weight}>'
                f"{escape(text)}</text>"
            )
        return ""


def timeline_svg(result, violations) -> str:
    lanes = [name for name in tracks(result) if name != "verdict"]
    row = {name: TOP + i * LANE + LANE / 2 for i, name in enumerate(lanes)}
    height = TOP + LANE * len(lanes) + 24
    labels = Labels(WIDTH, height)
    end = max(result.end_ms, 1)
    scale = TimeScale([e.time_ms for e in result.events], end)
    evidence = {i for v in violations for i in v.events}
    job_color: dict[str, str] = {}
    for event in result.events:
        if event.kind == ev.SUBMITTED:
            job_color.setdefault(event.job_id, PALETTE[len(job_color) % len(PALETTE)])
    parts = [
        f'<svg class="timeline" viewBox="0 0 {WIDTH} {height}" preserveAspectRatio="xMinYMin meet" role="img" '
        f'aria-label="swimlane timeline">',
        f'<rect width="{WIDTH}" height="{height}" fill="#fff"/>',
    ]
    for name, y in row.items():
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#e3e3e3"/>')
        parts.append(labels.place(name, [(8, y + 4, "start")], fill="#222", css="lane-label"))
    for t in scale.ticks(end):  # time axis
        x = scale.x(t)
        parts.append(f'<line x1="{x:.1f}" y1="{TOP - 6}" x2="{x:.1f}" y2="{height - 24}" stroke="#f0f0f0"/>')
        parts.append(labels.place(f"{t} ms", [(x, TOP - 10, "middle")], fill="#777"))
    for a, b in scale.gaps:  # compressed idle stretches
        x0, x1 = scale.x(a), scale.x(b)
        parts.append(
            f'<rect class="gap" x="{x0:.1f}" y="{TOP - 4}" width="{x1 - x0:.1f}" height="{LANE * len(lanes) + 4}" '
            f'fill="#f7f7f7" stroke="#ccc" stroke-dasharray="2 3"/>'
        )
        bottom = TOP + LANE * len(lanes) + 14
        parts.append(
            labels.place(f"⋯ {(b - a) / 1000:g} s idle ⋯", [((x0 + x1) / 2, bottom, "middle")], fill="#888")
            or labels.place(f"{(b - a) / 1000:g} s", [((x0 + x1) / 2, bottom, "middle")], fill="#888")
        )
    views = Views(result)
    for start_ms, end_ms, _ in views.outages:  # fault bands first, so spans and marks draw on top
        x0, x1 = scale.x(start_ms), scale.x(end_ms)
        parts.append(
            f'<rect class="fault outage" x="{x0:.1f}" y="{TOP}" width="{max(x1 - x0, 1):.1f}" '
            f'height="{LANE * len(lanes)}" fill="#d62728" opacity="0.08"/>'
        )
        ys = row["store"]
        parts.append(
            labels.place("store outage", [(x0 + 3, ys + 19, "start"), (x0 + 3, ys - 12, "start")], fill="#d62728")
        )
    for start_ms, end_ms, began in views.pauses:
        x0, x1, y = scale.x(start_ms), scale.x(end_ms), row.get(began.actor, row["client"])
        parts.append(
            f'<rect class="fault pause" x="{x0:.1f}" y="{y - 9:.1f}" width="{max(x1 - x0, 1):.1f}" '
            f'height="18" fill="none" stroke="#ff7f0e" stroke-dasharray="4 3"/>'
        )
        parts.append(labels.place("paused", [(x0 + 3, y - 12, "start"), (x0 + 3, y + 22, "start")], fill="#ff7f0e"))
    for start_ms, end_ms, leased, ended in views.lease_spans:  # leases: thin bars under the lane
        x0, x1 = scale.x(start_ms), scale.x(end_ms)
        y = row.get(leased.actor, row["queue"]) + 12
        stuck = ended == "still held"
        color = "#c62828" if stuck else "#aaa"
        parts.append(
            f'<line class="lease" x1="{x0:.1f}" y1="{y:.1f}" x2="{max(x1, x0 + 1):.1f}" y2="{y:.1f}" '
            f'stroke="{color}" stroke-width="3"><title>{escape(leased.job_id)} lease (token {leased.token}) '
            f"{start_ms}-{end_ms} ms: {ended}</title></line>"
        )
        if stuck:
            parts.append(
                labels.place(
                    f"{leased.job_id} lease still held at the end of the run", [(x1 - 4, y + 11, "end")], fill="#c62828"
                )
                or labels.place(f"{leased.job_id} still held", [(x1 - 4, y + 11, "end")], fill="#c62828")
            )
    for job_id, spans in views.execution_intervals.items():
        for start_ms, end_ms, started in spans:
            x0, x1 = scale.x(start_ms), scale.x(end_ms)
            y = row.get(started.actor, row["queue"])
            css = "attempt evidence" if started.index in evidence else "attempt"
            stroke = ' stroke="#c62828" stroke-width="2.5"' if started.index in evidence else ""
            parts.append(
                f'<rect class="{css}" x="{x0:.1f}" y="{y - 8:.1f}" width="{max(x1 - x0, 1.5):.1f}" height="16" '
                f'rx="3" fill="{job_color.get(job_id, "#999")}" opacity="0.85"{stroke}>'
                f"<title>{escape(job_id)} attempt {started.attempt} on {escape(started.actor)}: "
                f"{start_ms}-{end_ms} ms</title></rect>"
            )
            if x1 - x0 - 6 >= len(job_id) * Labels.CHAR_PX:  # only where the box holds the name
                parts.append(labels.place(job_id, [(x0 + 3, y + 4, "start")], fill="#fff"))
    for event in result.events:
        mark = MARKS.get(event.kind)
        if mark is None and event.index not in evidence:
            continue
        shape, color = mark or ("circle", "#c62828")
        lane = LANE_OF.get(event.kind, event.actor)
        y = row.get(lane, row["queue"])
        x = scale.x(event.time_ms)
        parts.append(_mark(shape, x, y, color, f"event {event.kind}"))
        if event.index in evidence:
            parts.append(
                f'<circle class="evidence" cx="{x:.1f}" cy="{y:.1f}" r="10" fill="none" stroke="#c62828" '
                f'stroke-width="2.5"><title>{escape(event.describe())}</title></circle>'
            )
            spots = [
                (x + 12, y - 10, "start"),
                (x - 12, y - 10, "end"),
                (x + 12, y + 20, "start"),
                (x - 12, y + 20, "end"),
            ]
            parts.append(
                labels.place(f"#{event.index} {event.kind}", spots, fill="#c62828", bold=True, css="evidence")
                or labels.place(f"#{event.index}", spots, fill="#c62828", bold=True, css="evidence")
            )
    parts.append("</svg>")
    return "\n".join(parts)


def compact_metrics(metrics: dict) -> list[tuple[str, float, str]]:
    """(name, value, shown) per metric, a histogram summarised as one line (count and mean) instead
    of its buckets."""
    rows: list[Any] = []
    histograms: dict[str, Any] = {}
    for name, value in metrics.items():
        base, _, part = name.partition("{")[0].rpartition("_")
        if part in ("bucket", "count", "sum", "created") and name.partition("{")[0].endswith(
            ("_bucket", "_count", "_sum", "_created")
        ):
            if part != "bucket" and part != "created":
                histograms.setdefault(base, {})[part] = value
            continue
        rows.append((name, value, f"{value:g}"))
    for base, parts in histograms.items():
        count, total = parts.get("count", 0.0), parts.get("sum", 0.0)
        mean = f", mean {total / count:.3g}" if count else ""
        rows.append((base, count, f"{count:g} observed{mean}"))
    return rows


def legend_html() -> str:
    """Every mark the timeline draws, as the picture draws it."""
    shapes = {"circle": "●", "square": "■", "diamond": "◆", "cross": "✕", "tick": "|"}
    items = [
        ('<span style="color:#4e79a7">▬</span>', "an attempt (one colour per job)"),
        ('<span style="color:#aaa">━</span>', "a lease"),
        ('<span style="color:#c62828">━</span>', "a lease still held at the end"),
        ('<span style="color:#ff7f0e">┅</span>', "a pause"),
        ('<span style="color:#d62728;opacity:.5">█</span>', "a store outage"),
        ('<span style="color:#999">⋯</span>', "idle time drawn short"),
        ('<span style="color:#c62828">◯</span>', "evidence of a violation"),
    ]
    items += [
        (f'<span style="color:{color}">{shapes[shape]}</span>', kind.replace("_", " "))
        for kind, (shape, color) in MARKS.items()
    ]
    spans = "".join(f"<span>{mark} {escape(text)}</span>" for mark, text in items)
    return f'<div class="legend">{spans}</div><p class="meta">Virtual time, left to right.</p>'


def html_report(result, violations, *, title: str, policy_label: str, replay: str, metrics: dict) -> str:
    evidence = {i for v in violations for i in v.events}
    verdict = (
        f'<p class="bad">✗ {escape(", ".join(sorted({v.invariant for v in violations})))} violated</p>'
        if violations
        else '<p class="good">✓ every invariant holds</p>'
    )
    boxes = [
        f'<div class="violation"><b>{escape(v.invariant)}</b> {escape(v.message)} '
        f"(events {escape(', '.join(f'#{i}' for i in v.events))})</div>"
        for v in violations
    ]
    found = "".join(boxes[:TOP_VIOLATIONS])
    if len(boxes) > TOP_VIOLATIONS:
        found += f'<p class="meta">… and {len(boxes) - TOP_VIOLATIONS} more, listed under Verdict.</p>'
    held = ", ".join(f"{i.id} {i.name}" for i in all_invariants() if i.id not in {v.invariant for v in violations})
    rows = []
    for index in _visible_indexes(result.events, evidence):
        if index is None:
            rows.append('<tr><td colspan="6">… (events elided)</td></tr>')
            continue
        e = result.events[index]
        css = ' class="evidence"' if index in evidence else ""
        rows.append(
            f"<tr{css}><td>#{e.index}</td><td>{e.time_ms}</td><td>{escape(e.actor)}</td>"
            f"<td>{escape(e.kind)}</td><td>{escape(e.job_id or '')}</td><td>{escape(_detail_text(e))}</td></tr>"
        )
    zero = ' class="zero"'
    metric_rows = "".join(
        f"<tr{'' if value else zero}><td><code>{escape(name)}</code></td><td>{text}</td></tr>"
        for name, value, text in compact_metrics(metrics)
    )
    legend = legend_html()
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title><style>{CSS}</style></head>
<body>
<h1>{escape(title)}</h1>
<p class="meta">policy <b>{escape(policy_label)}</b> · seed {result.seed} · {len(result.events)} events ·
ended at {result.end_ms} ms · digest <code>{result.digest[:16]}</code></p>
{verdict}
{found}
{workflow_html(result)}
<h2>Timeline</h2>
{timeline_svg(result, violations)}
{legend}
<h2>Verdict</h2>
<p>{len(violations)} violation(s). Held: {escape(held) or "none"}.</p>
{"".join(boxes)}
<h2>Replay</h2>
<pre>{escape(replay)}</pre>
<h2>Metrics</h2>
<table class="metrics">{metric_rows}</table>
<h2>Events</h2>
<table><tr><th>#</th><th>t (ms)</th><th>actor</th><th>event</th><th>job</th><th>detail</th></tr>
{"".join(rows)}</table>
</body></html>
"""
