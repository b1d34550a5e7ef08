"""`faultline run` and `faultline report`: one run (an FM, or the standard workload), judged."""

from __future__ import annotations

import json
import os
import sys

import click

from faultline.cli.app import cli
from faultline.cli.common import EXIT_HOLDS, EXIT_VIOLATED, Outputs
from faultline.cli.output import (
    build_spec,
    db_paths,
    metrics_snapshot,
    print_human,
    record_outputs,
    run_options,
    write_run_outputs,
)
from faultline.present import render
from invariants import check_all
from runtime.core.errors import BadInputError


@cli.command("run")
@run_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead.")
@record_outputs
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
    real,
    db,
    reset,
    create_db,
    broker,
    lock,
    time_scale,
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
    spec = build_spec(
        fm,
        fix,
        seed,
        plan_path,
        overrides,
        policy_name,
        jobs,
        workers,
        real,
        db,
        time_scale,
        reset,
        create_db,
        lock,
        broker,
    )
    targets = {"--history": history_path, "--trace": trace_path, "--metrics": metrics_path}
    with Outputs(targets, stdout_taken_by="--json" if as_json else None, others=db_paths(spec)) as outputs:
        record = spec.run()
        violations = check_all(record)
        write_run_outputs(outputs, spec, record, violations)
        if as_json:
            data = render.run_json(
                fm_id=spec.mode.id if fm else None, policy_label=spec.label, result=record, violations=violations
            )
            data["replay"] = spec.replay_command()
            data["metrics"] = metrics_snapshot(record)
            click.echo(json.dumps(data, sort_keys=True))
        elif outputs.stdout_option is None:
            print_human(spec, record, violations)
    if expect_violation:
        quiet = as_json or outputs.stdout_option is not None
        sys.exit(_expectation(spec.mode, {v.invariant for v in violations}, quiet))
    sys.exit(EXIT_VIOLATED if violations else EXIT_HOLDS)


@cli.command("report")
@run_options
@click.option("--out", "out_path", required=True, metavar="PATH|-", help="The HTML file to write (- for stdout).")
def report_command(
    fm,
    fix,
    seed,
    plan_path,
    overrides,
    policy_name,
    jobs,
    real,
    db,
    reset,
    create_db,
    broker,
    lock,
    time_scale,
    workers,
    out_path,
):
    """Write a self-contained HTML report: swimlane timeline, evidence, metrics, replay command."""
    spec = build_spec(
        fm,
        fix,
        seed,
        plan_path,
        overrides,
        policy_name,
        jobs,
        workers,
        real,
        db,
        time_scale,
        reset,
        create_db,
        lock,
        broker,
    )
    with Outputs({"--out": out_path}, others=db_paths(spec)) as outputs:
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
