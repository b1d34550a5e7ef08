"""The `faultline` command: list FMs and invariants, run an FM, explore, replay and report.

Exit codes: 0 every invariant holds, 1 one is violated, 2 bad input (one line naming the value
and the fix, nothing written), 3 internal error (one line saying where the traceback went),
130 interrupted (what was found so far is still printed).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback

import click
from rich.table import Table

from invariants import all_invariants, check_all
from runtime import catalog, render
from runtime.cli_common import (
    EXIT_BAD_INPUT,
    EXIT_HOLDS,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_VIOLATED,
    SEED,
    Outputs,
    console,
    load_plan,
    parse_overrides,
)
from runtime.errors import BadInputError
from runtime.runspec import RunSpec


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Faultline: a deterministic failure-mode lab for job systems."""


def _print_index(title: str, rows: list[dict], as_json: bool) -> None:
    """An index command's output: the rows as JSON, or as a table whose columns are their keys."""
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=title, title_justify="left")
    for column in rows[0] if rows else ():
        table.add_column(column)
    for row in rows:
        table.add_row(*(", ".join(v) if isinstance(v, list) else str(v) for v in row.values()))
    console().print(table)


def _warn_broken_specs() -> None:
    for error in catalog.load_all()[1]:
        click.echo(f"faultline: warning: skipped a failure mode: {error}", err=True)


@cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_command(as_json: bool) -> None:
    """The failure modes, with their titles and the invariants they break."""
    _warn_broken_specs()
    rows = [
        {
            "id": m.id,
            "name": m.slug,
            "title": m.title,
            "invariants": list(m.invariants),
            "seen_in": m.seen_in,
            "folder": f"failure_modes/{m.folder.name}",
        }
        for m in catalog.catalog()
    ]
    if not as_json:  # the table trades the folder and report for the commands to try
        rows = [
            {
                "id": r["id"],
                "title": r["title"],
                "invariants": r["invariants"],
                "try it": f"make test-fm{int(r['id'][3:])} / make test-fm{int(r['id'][3:])}-fix",
            }
            for r in rows
        ]
    _print_index("failure modes", rows, as_json)


@cli.command("invariants")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def invariants_command(as_json: bool) -> None:
    """The invariant index: what every run is judged against."""
    rows = [{"id": i.id, "name": i.name, "kind": i.kind, "statement": i.statement} for i in all_invariants()]
    _print_index("invariants", rows, as_json)


@cli.command("path")
@click.argument("fm")
@click.option("--test", "which", type=click.Choice(["repro", "prevent"]), required=True)
def path_command(fm: str, which: str) -> None:
    """Print the path of an FM's repro or prevention test (used by the Makefile)."""
    mode = catalog.find(fm)
    click.echo(os.path.relpath(mode.test_path(which)))


def _run_options(command):
    """The options `run` and `report` share: which run, under which policy and plan."""
    options = [
        click.argument("fm", required=False),
        click.option("--fix", is_flag=True, help="Use the FM's fixed policy instead of its naive one."),
        click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of the run's random streams."),
        click.option("--plan", "plan_path", type=str, default=None, help="Replace the fault plan with this JSON file."),
        click.option(
            "--set",
            "overrides",
            multiple=True,
            metavar="FIELD=VALUE",
            help="Override one policy field (repeatable), e.g. --set idempotent_effects=true.",
        ),
        click.option(
            "--policy",
            "policy_name",
            default=None,
            help="Without FM: the standard workload's policy (naive, safe, or an FM's id for its naive policy).",
        ),
        click.option("--jobs", type=click.IntRange(1, 10_000), default=None, help="Without FM: jobs in the workload."),
        click.option(
            "--workers", type=click.IntRange(1, 64), default=None, help="Without FM: workers in the workload."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _spec(fm, fix, seed, plan_path, overrides, policy_name, jobs, workers) -> RunSpec:
    spec = RunSpec(
        fm=fm,
        fixed=fix,
        policy_name=policy_name,
        overrides=parse_overrides(overrides),
        jobs=jobs,
        workers=workers,
        seed=seed,
        plan=load_plan(plan_path),
        plan_path=plan_path,
    )
    spec.check()
    return spec


def _metrics_text(record) -> str:
    from runtime.metrics import exposition, registry_for

    return exposition(registry_for(record))


def _metrics_snapshot(record) -> dict:
    from runtime.metrics import registry_for, snapshot

    return snapshot(registry_for(record))


def write_run_outputs(outputs: Outputs, spec: RunSpec, record, violations, report_option: str = "--report") -> None:
    """Write whichever of --history, --trace, --metrics and the HTML report were asked for."""
    if "--history" in outputs:
        outputs.write("--history", record.jsonl())
    if "--trace" in outputs:
        from runtime.trace import trace_json

        outputs.write("--trace", trace_json(record, violations, title=spec.title))
    if "--metrics" in outputs:
        outputs.write("--metrics", _metrics_text(record))
    if report_option in outputs:
        from runtime.report import html_report

        html = html_report(
            record,
            violations,
            title=spec.title,
            policy_label=spec.label,
            replay=spec.replay_command(),
            metrics=_metrics_snapshot(record),
        )
        outputs.write(report_option, html)


def print_human(spec: RunSpec, record, violations, *, stream_stderr: bool = False) -> None:
    render.print_run(
        console(stderr=stream_stderr),
        header=f"{spec.title}  [policy: {spec.label}]",
        result=record,
        violations=violations,
        replay=spec.replay_command(),
        fix_hint=spec.fix_hint() if violations else None,
    )


@cli.command("run")
@_run_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead.")
@click.option(
    "--history", "history_path", default=None, metavar="PATH|-", help="Write the canonical JSON Lines history."
)
@click.option(
    "--metrics",
    "metrics_path",
    is_flag=False,
    flag_value="-",
    default=None,
    metavar="[PATH|-]",
    help="Write only the Prometheus exposition: to stdout (alone) by default, or to PATH.",
)
@click.option("--trace", "trace_path", default=None, metavar="PATH|-", help="Write a Chrome/Perfetto trace-event file.")
@click.option(
    "--expect-violation", is_flag=True, help="Exit 0 only if the run breaks every invariant the FM's spec names."
)
def run_command(
    fm,
    fix,
    seed,
    plan_path,
    overrides,
    policy_name,
    jobs,
    workers,
    as_json,
    history_path,
    metrics_path,
    trace_path,
    expect_violation,
):
    """Run an FM's scenario (or, without FM, the standard workload) and judge it.

    Exit 0 if every invariant holds, 1 if any is violated, 2 for bad input.
    """
    if expect_violation and fm is None:
        raise BadInputError("--fix and --expect-violation need an FM (e.g. faultline run FM_001 --fix)")
    spec = _spec(fm, fix, seed, plan_path, overrides, policy_name, jobs, workers)
    targets = {"--history": history_path, "--trace": trace_path, "--metrics": metrics_path}
    with Outputs(targets, stdout_taken_by="--json" if as_json else None) as outputs:
        record = spec.run()
        violations = check_all(record)
        write_run_outputs(outputs, spec, record, violations)
        if as_json:
            data = render.run_json(
                fm_id=spec.mode.id if fm else None, policy_label=spec.label, result=record, violations=violations
            )
            data["replay"] = spec.replay_command()
            data["metrics"] = _metrics_snapshot(record)
            click.echo(json.dumps(data, sort_keys=True))
        elif outputs.stdout_option is None:
            print_human(spec, record, violations)
    if expect_violation:
        quiet = as_json or outputs.stdout_option is not None
        sys.exit(_expectation(spec.mode, {v.invariant for v in violations}, quiet))
    sys.exit(EXIT_VIOLATED if violations else EXIT_HOLDS)


@cli.command("report")
@_run_options
@click.option("--out", "out_path", required=True, metavar="PATH|-", help="The HTML file to write (- for stdout).")
def report_command(fm, fix, seed, plan_path, overrides, policy_name, jobs, workers, out_path):
    """Write a self-contained HTML report: swimlane timeline, evidence, metrics, replay command."""
    spec = _spec(fm, fix, seed, plan_path, overrides, policy_name, jobs, workers)
    with Outputs({"--out": out_path}) as outputs:
        record = spec.run()
        violations = check_all(record)
        write_run_outputs(outputs, spec, record, violations, report_option="--out")
    verdict = ", ".join(sorted({v.invariant for v in violations})) or "every invariant holds"
    if outputs.stdout_option is None:
        click.echo(f"wrote {out_path} ({spec.title}, policy {spec.label}, seed {seed}: {verdict})")


def _expectation(mode, violated: set[str], quiet: bool) -> int:
    """--expect-violation: 0 only if every invariant the FM's spec names was violated."""
    if not mode.invariants:
        click.echo(
            f"✗ {mode.id}'s spec names no invariant to violate: fill in `invariants:` "
            f"in {os.path.relpath(mode.folder / 'spec.md')}",
            err=True,
        )
        return EXIT_VIOLATED
    missing = [i for i in mode.invariants if i not in violated]
    if missing:
        click.echo(f"✗ expected {', '.join(missing)} to be violated, but it held", err=True)
        return EXIT_VIOLATED
    click.echo(f"✓ reproduced: {', '.join(mode.invariants)} violated as {mode.id}'s spec says.", err=quiet)
    return EXIT_HOLDS


@cli.group("fm")
def fm_group() -> None:
    """Work on failure-mode folders."""


@fm_group.command("new")
@click.argument("name")
def fm_new_command(name: str) -> None:
    """Scaffold the next FM folder: spec template, scenario, and two failing test stubs."""
    from runtime import docs, scaffold

    folder = scaffold.scaffold(name)
    number = int(folder.name.split("_")[1])
    docs.main(["write"])
    rel = os.path.relpath(folder)
    click.echo(f"created {rel}/ (spec.md, scenario.py, test_repro_fm{number:03d}.py, test_prevent_fm{number:03d}.py)")
    click.echo(
        "next: fill in spec.md and scenario.py, then the two tests (they fail until you "
        "do); see docs/05_adding_a_failure_mode.md"
    )
    click.echo(f"try:  make test-fm{number}   and   make test-fm{number}-fix")


def _tolerant_streams() -> None:
    """Never die on an encoding: a terminal that cannot show a character gets an escape instead."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):
                pass


def _internal_error(error: BaseException) -> int:
    """One line on stderr; the traceback goes to a file the line names."""
    try:
        handle, path = tempfile.mkstemp(prefix="faultline-crash-", suffix=".txt")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write("".join(traceback.format_exception(error)))
        where = f"the traceback is in {path}"
    except OSError:
        where = "the traceback could not be written to a file"
    summary = f"{type(error).__name__}: {error}".splitlines()[0][:200]
    click.echo(f"faultline: internal error ({summary}); {where}; please report it", err=True)
    return EXIT_INTERNAL


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the click group, turning every error into one line and its exit code."""
    _tolerant_streams()
    try:
        cli.main(args=argv, prog_name="faultline", standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except (click.Abort, KeyboardInterrupt):
        click.echo("faultline: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.UsageError as error:
        message = error.format_message().replace("\n", " ")
        command = error.ctx.command_path if error.ctx else "faultline"
        click.echo(f"faultline: error: {message} (see {command} --help)", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except BadInputError as error:
        click.echo(f"faultline: error: {error}".replace("\n", " "), err=True)
        sys.exit(EXIT_BAD_INPUT)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)  # the reader went away (`| head`): say nothing more
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(EXIT_INTERRUPTED)
    except SystemExit:
        raise
    except Exception as error:  # noqa: BLE001 - the one place every unexpected error becomes exit 3
        sys.exit(_internal_error(error))


from runtime import cli_explore  # noqa: E402,F401  (registers explore and replay)

if __name__ == "__main__":  # run the registered module's group, not this __main__ copy's
    from runtime.cli import main as registered_main

    registered_main()
