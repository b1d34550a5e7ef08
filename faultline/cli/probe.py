"""`faultline probe`: judge a third-party queue under a real fault (docs/13_probes.md)."""

from __future__ import annotations

import json
import os
import sys

import attrs
import click

from faultline.cli.app import cli
from faultline.cli.common import EXIT_HOLDS, EXIT_VIOLATED, Outputs, console, parse_overrides, write_atomically
from faultline.cli.output import metrics_snapshot, print_human, write_run_outputs
from faultline.present import render
from invariants import check_all
from runtime.core.errors import BadInputError


@attrs.frozen
class ProbeSpec:
    """What the shared run outputs (report, trace, human verdict) need to name a probe run."""

    adapter: str
    drill: str
    configuration: str
    settings: dict
    seed: int
    settle_ms: int | None = None
    real: bool = True

    @property
    def title(self) -> str:
        return f"probe {self.adapter}: {self.drill}"

    @property
    def label(self) -> str:
        shown = ", ".join(f"{k}={v}" for k, v in sorted(self.settings.items()))
        return f"{self.configuration}" + (f" ({shown})" if shown else "")

    def replay_command(self) -> str:
        settle = f" --settle-ms {self.settle_ms}" if self.settle_ms is not None else ""
        if self.configuration != "custom":  # a named configuration, as it stands
            return f"faultline probe {self.adapter} --drill {self.drill} --config {self.configuration}{settle}"
        sets = "".join(f" --set {k}={v}" for k, v in sorted(self.settings.items()))
        return f"faultline probe {self.adapter} --drill {self.drill}{sets}{settle}"

    def fix_hint(self) -> str | None:
        return None if self.configuration == "recommended" else "try --config recommended"


def _listing() -> str:
    from faultline.probe.adapters import ADAPTERS
    from faultline.probe.drills import DRILLS
    from faultline.probe.record import library_version

    lines = ["queues (faultline probe NAME):"]
    for adapter in ADAPTERS.values():
        lines.append(
            f"  {adapter.name:16} {adapter.distribution} {library_version(adapter.distribution)} on {adapter.server}"
        )
        for config in adapter.configurations.values():
            shown = ", ".join(f"{k}={v}" for k, v in sorted(config.settings.items())) or "(defaults)"
            lines.append(f"      --config {config.name:12} {shown}")
        lines.append("      --set " + ", ".join(sorted(adapter.knobs)))
    lines.append("drills (--drill NAME):")
    lines += [f"  {drill.name:20} {drill.summary}" for drill in DRILLS.values()]
    return "\n".join(lines)


@cli.command("probe")
@click.argument("queue", required=False, metavar="QUEUE|matrix")
@click.option("--list", "show_list", is_flag=True, help="The queues, configurations, knobs and drills.")
@click.option("--drill", default=None, metavar="NAME", help="The planned fault (see --list).")
@click.option("--config", "configuration", default=None, metavar="NAME", help="default or recommended (see --list).")
@click.option("--set", "overrides", multiple=True, metavar="NAME=VALUE", help="A knob of the queue (repeatable).")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=0, show_default=True, help="Names the run.")
@click.option("--server", default=None, metavar="URL", help="The broker or database (default: this machine's).")
@click.option("--settle-ms", type=click.IntRange(0, 3_600_000), default=None, help="The quiet period after the fault.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead.")
@click.option("--report", "report_path", default=None, metavar="PATH|-", help="A self-contained HTML report.")
@click.option("--history", "history_path", default=None, metavar="PATH|-", help="The history as JSON Lines.")
@click.option("--trace", "trace_path", default=None, metavar="PATH|-", help="A Chrome/Perfetto trace.")
@click.option("--out", "out_path", default=None, metavar="PATH", help="matrix: write the Markdown table here.")
@click.option("--only", multiple=True, metavar="QUEUE|DRILL", help="matrix: only these queues or drills.")
def probe_command(
    queue,
    show_list,
    drill,
    configuration,
    overrides,
    seed,
    server,
    settle_ms,
    as_json,
    report_path,
    history_path,
    trace_path,
    out_path,
    only,
):
    """Put a third-party queue (RQ, procrastinate, Celery, Dramatiq, huey) under a real fault and judge it.

    Exit 0 if every invariant holds, 1 if any is violated, 2 for bad input or a fault that did not bite.
    """
    from faultline.probe.adapters import ADAPTERS, SERVERS
    from faultline.probe.drills import DRILLS

    if show_list or queue is None:
        if queue is not None or drill is not None:
            raise BadInputError("--list takes no queue or drill: faultline probe --list")
        click.echo(_listing())
        return
    if queue == "matrix":
        sys.exit(_matrix(only, out_path))
    adapter = ADAPTERS.get(queue)
    if adapter is None:
        raise BadInputError(f"QUEUE {queue!r} is not one of: {', '.join(ADAPTERS)} (faultline probe --list)")
    if drill is None:
        raise BadInputError(f"--drill is required: one of {', '.join(DRILLS)} (faultline probe --list)")
    if drill not in DRILLS:
        raise BadInputError(f"--drill {drill!r} is not one of: {', '.join(DRILLS)}")
    settings = {}
    if configuration is not None:
        if configuration not in adapter.configurations:
            raise BadInputError(f"--config {configuration!r} is not one of: {', '.join(adapter.configurations)}")
        settings.update(adapter.configurations[configuration].settings)
    for name, raw in parse_overrides(overrides).items():
        knob = adapter.knobs.get(name)
        if knob is None:
            raise BadInputError(f"--set {name}: {queue} has no such knob; it has {', '.join(sorted(adapter.knobs))}")
        try:
            settings[name] = knob.parse(raw)
        except ValueError as error:
            raise BadInputError(f"--set {error}") from None
    label = configuration if configuration is not None and not overrides else "custom"
    spec = ProbeSpec(queue, drill, label, settings, seed, settle_ms)
    targets = {"--report": report_path, "--history": history_path, "--trace": trace_path}
    with Outputs(targets, stdout_taken_by="--json" if as_json else None) as outputs:
        result = _probe(adapter, drill, settings, server or SERVERS[adapter.server], seed, settle_ms, label)
        record = result.record
        violations = check_all(record)
        write_run_outputs(outputs, spec, record, violations)
        if as_json:
            from faultline.probe.matrix import cell_facts

            data = render.run_json(fm_id=None, policy_label=spec.label, result=record, violations=violations)
            data.update(probe=record.header["probe"], facts=cell_facts(record, violations, result.facts))
            data["replay"] = spec.replay_command()
            data["metrics"] = metrics_snapshot(record)
            click.echo(json.dumps(data, sort_keys=True))
        elif outputs.stdout_option is None:
            print_human(spec, record, violations)
    sys.exit(EXIT_VIOLATED if violations else EXIT_HOLDS)


def _probe(adapter, drill, settings, server, seed, settle_ms, label):
    from faultline.probe.run import run_probe

    try:
        return run_probe(
            adapter, drill, {**settings, "server_url": server}, seed=seed, settle_ms=settle_ms, configuration=label
        )
    except OSError as error:  # the server is not there: say which, and how to start it
        raise BadInputError(
            f"--server {server}: {error} (is {adapter.server} running? see docs/13_probes.md)"
        ) from None
    except Exception as error:
        if type(error).__module__.split(".")[0] in ("redis", "kombu", "amqp", "pika", "psycopg", "dramatiq"):
            raise BadInputError(f"--server {server}: {type(error).__name__}: {error}") from None
        raise


def _matrix(only: tuple[str, ...], out_path: str | None) -> int:
    from faultline.probe.adapters import ADAPTERS, SERVERS
    from faultline.probe.drills import DRILLS
    from faultline.probe.matrix import markdown, run_matrix

    unknown = [name for name in only if name not in ADAPTERS and name not in DRILLS]
    if unknown:
        raise BadInputError(f"--only {unknown[0]!r} is neither a queue nor a drill (faultline probe --list)")
    adapters = [a for a in ADAPTERS.values() if not (set(only) & set(ADAPTERS)) or a.name in only]
    drills = [d for d in DRILLS if d != "no-fault" and (not (set(only) & set(DRILLS)) or d in only)]
    out = console(stderr=True)
    import time

    began = time.monotonic()

    def say(row):
        verdict = row["verdict"] if row["verdict"] != "violated" else ", ".join(row["violated"])
        out.print(f"{row['adapter']:16} {row['drill']:20} {row['configuration']:12} {verdict}  ({row['seconds']} s)")

    from pathlib import Path

    earlier = None
    if out_path and only and Path(out_path).is_file():  # re-measure some cells, keep the others
        from faultline.probe.matrix import earlier_rows

        earlier = earlier_rows(Path(out_path).read_text(encoding="utf-8"), ADAPTERS)
    rows = run_matrix(adapters, drills, ["default", "recommended"], SERVERS, say)
    took = time.monotonic() - began
    load = f"load average {os.getloadavg()[0]:.2f} at the end"
    text = markdown(rows, seconds=took, load=load, adapters=list(ADAPTERS.values()), earlier=earlier)
    if out_path:
        write_atomically(Path(out_path), text)
    else:
        click.echo(text)
    return EXIT_HOLDS
