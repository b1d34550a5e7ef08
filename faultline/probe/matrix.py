"""`faultline probe matrix`: every adapter x drill x {default, recommended} configuration, run for real,
measured and written to docs/probes.md with the library versions and the command that reproduces
each cell."""

from __future__ import annotations

import time

from faultline.probe.contract import WAITING
from faultline.probe.drills import DRILLS
from invariants import check_all

REPORTS: dict[tuple[str, str], str] = {
    ("procrastinate", "worker-crash"): "procrastinate-org/procrastinate#307, #1518",
    ("procrastinate", "crash-after-effect"): "procrastinate-org/procrastinate#307, #1518",
    ("rq", "worker-crash"): "rq/rq#2015, #1461",
    ("rq", "crash-after-effect"): "rq/rq#2015, rq/rq#2424",
    ("celery-redis", "worker-crash"): "celery/celery#4400 (prefetched tasks), docs: acks_late",
    ("celery-rabbitmq", "worker-crash"): "docs.celeryq.dev userguide/tasks (acks_late, reject_on_worker_lost)",
    ("celery-redis", "delayed-job"): "celery/kombu#337, celery/celery#2599, #4766",
    ("celery-redis", "worker-stall"): "celery/celery#4400",
    ("huey", "worker-crash"): "huey docs: a task is removed from the queue before it runs",
}
"""The public report a cell's mechanism matches (docs/probes.md cites it)."""


def cell_facts(record, violations, facts: dict) -> dict:
    """Jobs lost, effects doubled, jobs stuck and the verdict of one probe run, from its RunRecord."""
    final = record.final
    effects: dict[str, int] = {}
    for row in final["ledger"]:
        effects[row["idempotency_key"]] = effects.get(row["idempotency_key"], 0) + 1
    states = final["queue_states"]
    keys = {e.job_id: e.get("key") for e in record.events if e.kind == "submitted"}
    done_keys = set(effects)
    lost = sorted(j for j, s in states.items() if keys.get(j) not in done_keys and s not in WAITING and s != "failed")
    stuck = sorted(j for j, s in states.items() if s in WAITING and keys.get(j) not in done_keys)
    return {
        "lost": len(lost),
        "doubled": sum(1 for count in effects.values() if count > 1),
        "stuck": len(stuck),
        "failed": sum(1 for s in states.values() if s == "failed"),
        "recovered_ms": facts.get("recovered_ms"),
        "fault_at_ms": facts.get("fault_at_ms"),
        "violated": sorted({v.invariant for v in violations}),
        "quiet_ms": record.end_ms,
    }


def run_matrix(adapters, drills, configurations, servers, say) -> list[dict]:
    from faultline.probe.run import run_probe
    from runtime.core.errors import BadInputError

    rows = []
    for adapter in adapters:
        for drill in drills:
            for configuration in configurations:
                config = adapter.configurations[configuration]
                settings = {**config.settings, "server_url": servers[adapter.server]}
                began = time.monotonic()
                row = {
                    "adapter": adapter.name,
                    "library": adapter.distribution,
                    "drill": drill,
                    "configuration": configuration,
                    "settings": dict(config.settings),
                    "report": REPORTS.get((adapter.name, drill), ""),
                    "command": command(adapter.name, drill, configuration),
                }
                try:
                    result = run_probe(adapter, drill, settings, configuration=configuration)
                except BadInputError as refusal:
                    row.update(verdict="refused", why=str(refusal))
                else:
                    violations = check_all(result.record)
                    row.update(cell_facts(result.record, violations, result.facts))
                    row["version"] = result.record.header["probe"]["version"]
                    row["verdict"] = "violated" if violations else "holds"
                row["seconds"] = round(time.monotonic() - began, 1)
                rows.append(row)
                say(row)
    return rows


def command(adapter: str, drill: str, configuration: str) -> str:
    return f"faultline probe {adapter} --drill {drill} --config {configuration}"


def row_line(r: dict) -> str:
    """One cell of the matrix as its Markdown table row."""
    if r["verdict"] == "refused":
        cells = ["refused: " + r["why"].replace("|", "/"), "", "", "", "", ""]
    else:
        verdict = ", ".join(r["violated"]) if r["violated"] else "holds"
        recovered = f"{r['recovered_ms'] / 1000:.1f} s" if r["recovered_ms"] is not None else "never"
        cells = [
            verdict,
            str(r["lost"]),
            str(r["doubled"]),
            str(r["stuck"]),
            recovered,
            f"{r['quiet_ms'] / 1000:.0f} s",
        ]
    return (
        f"| {r['adapter']} | {r['drill']} | {r['configuration']} | "
        + " | ".join(cells)
        + f" | {r['report']} | `{r['command']}` |"
    )


def earlier_rows(text: str, adapters) -> dict[tuple[str, str, str], str]:
    """The measured rows of an earlier docs/probes.md, by (queue, drill, configuration), verbatim."""
    found = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 11 and cells[0] in adapters:
            found[(cells[0], cells[1], cells[2])] = line
    return found


def markdown(rows: list[dict], *, seconds: float, load: str, adapters, earlier: dict | None = None) -> str:
    """The matrix as docs/probes.md. With `earlier` (rows of the file it replaces), the cells not run
    now keep their measured rows, and the note says which were re-measured."""
    from faultline.probe.record import library_version

    measured = {(r["adapter"], r["drill"], r["configuration"]): row_line(r) for r in rows}
    table = {**(earlier or {}), **measured}
    order = [(a.name, d, c) for a in adapters for d in DRILLS if d != "no-fault" for c in a.configurations]
    versions = sorted({(a.distribution, library_version(a.distribution)) for a in adapters})
    took = f"The matrix took {seconds:.0f} s ({load})."
    if earlier:
        drills = sorted({r["drill"] for r in rows})
        took = (
            f"This run re-measured the {', '.join(drills)} cells in {seconds:.0f} s ({load}); "
            "the others are from earlier runs of the whole matrix (about 26 minutes)."
        )
    lines = [
        "# Probes: other people's queues under real faults",
        "",
        "<!-- written by `faultline probe matrix --out docs/probes.md`; every number below comes from a run -->",
        "",
        "Each cell is one run of `faultline probe`: the library's own worker processes, its own client API and",
        "its own storage, the lab's handler inside its task, one planned fault landed for real (docs/13_probes.md).",
        "`lost`: jobs with no effect that the queue no longer owes a run (gone, or called succeeded); `doubled`:",
        "requests whose effect landed twice; `stuck`: jobs the queue still holds (queued, scheduled or marked",
        "running) with no effect when the quiet period ended; `recovered`: from the end of the fault until every",
        "job was settled. `quiet` is how long the run waited in all (the library's own recovery time from its",
        "settings, plus 5 s, at most 75 s).",
        "",
        "Versions: " + ", ".join(f"{name} {version}" for name, version in versions) + ".",
        took,
        "",
        "| queue | drill | configuration | verdict | lost | doubled | stuck | recovered | quiet | matches "
        "| reproduce |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [table[key] for key in order if key in table]
    lines += ["", "## Configurations", ""]
    for adapter in adapters:
        for config in adapter.configurations.values():
            settings = ", ".join(f"{k}={v}" for k, v in sorted(config.settings.items())) or "(the library's defaults)"
            lines.append(f"- **{adapter.name} {config.name}**: {settings}")
    lines += ["", "## Drills", ""]
    lines += [f"- **{d.name}**: {d.summary}." for d in DRILLS.values() if d.name != "no-fault"]
    return "\n".join(lines) + "\n"
