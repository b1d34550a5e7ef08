"""`faultline workflow`: workflow specs in YAML (docs/12_workflows.md)."""

from __future__ import annotations

import json
import sys

import click
from rich.table import Table

from faultline.cli.app import cli
from faultline.cli.common import EXIT_HOLDS, EXIT_VIOLATED, SEED, Outputs, console, load_plan, parse_overrides
from faultline.cli.output import (
    check_real_options,
    db_paths,
    print_human,
    real_flags,
    record_outputs,
    write_run_outputs,
)
from faultline.present import render
from faultline.runspec import RunSpec
from invariants import check_all
from runtime.core.errors import BadInputError


@cli.group("workflow")
def workflow_group() -> None:
    """Workflows: YAML task DAGs with fan-out, fan-in and retries."""


@workflow_group.command("validate")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the parsed spec as JSON.")
def validate_command(file: str, as_json: bool) -> None:
    """Check a workflow spec: the schema, unique task names, known parents, no cycles. Exit 0 when
    it can run, 2 with one line naming the task and the problem."""
    from faultline.workflow_yaml import load
    from runtime.core.workflow.spec import spec_to_dict

    spec = load(file)
    if as_json:
        click.echo(json.dumps({**spec_to_dict(spec), "order": list(spec.order)}, sort_keys=True))
        return
    schedule = f", every {spec.schedule_every_ms} ms" if spec.schedule_every_ms else ""
    click.echo(f"valid: {spec.name} ({len(spec.tasks)} tasks{schedule}): {' → '.join(spec.order)}")


@workflow_group.command("run")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of the run's random streams.")
@click.option("--plan", "plan_path", default=None, help="A fault plan (JSON) for the run.")
@click.option(
    "--policy",
    "policy_name",
    default="safe",
    show_default=True,
    help="naive, safe, or an FM's id (its naive policy).",
)
@click.option("--set", "overrides", multiple=True, metavar="FIELD=VALUE", help="Override one policy field.")
@click.option("--workers", type=click.IntRange(1, 64), default=3, show_default=True, help="Worker processes.")
@click.option("--real", is_flag=True, help="Run in the real world: OS processes on SQLite or Postgres.")
@real_flags
@record_outputs
@click.option("--report", "report_path", default=None, metavar="PATH|-", help="Write the HTML report (with the DAG).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead.")
def run_command(
    file,
    seed,
    plan_path,
    policy_name,
    overrides,
    workers,
    real,
    db,
    reset,
    create_db,
    broker,
    lock,
    time_scale,
    history_path,
    trace_path,
    metrics_path,
    report_path,
    as_json,
):
    """Run the workflow (once on demand, or two ticks of its schedule under two contending schedulers)
    with its dispatchers and workers, print a timeline per task and the verdict. Exit 0 when every
    invariant holds, 1 when one is violated, 2 for bad input."""
    from faultline.explore.workloads import workflow_workload
    from faultline.present.workflow_runs import runs_of

    check_real_options(real, db)
    workflow_workload(file, workers)  # a bad spec is one line and exit 2, before anything is written
    spec = RunSpec(
        workload=file,
        workers=workers,
        policy_name=policy_name,
        overrides=parse_overrides(overrides),
        seed=seed,
        plan=load_plan(plan_path),
        plan_path=plan_path,
        real=real,
        db=db,
        reset=reset,
        create_db=create_db,
        lock=lock,
        broker=broker,
        time_scale=time_scale,
    )
    spec.check()
    targets = {"--history": history_path, "--trace": trace_path, "--metrics": metrics_path, "--report": report_path}
    with Outputs(targets, stdout_taken_by="--json" if as_json else None, others=db_paths(spec)) as outputs:
        record = spec.run()
        violations = check_all(record)
        write_run_outputs(outputs, spec, record, violations)
        runs = runs_of(record)
        if as_json:
            data = render.run_json(fm_id=None, policy_label=spec.label, result=record, violations=violations)
            data["runs"] = runs
            data["replay"] = spec.replay_command()
            click.echo(json.dumps(data, sort_keys=True))
        elif outputs.stdout_option is None:
            print_human(spec, record, violations)
    sys.exit(EXIT_VIOLATED if violations else EXIT_HOLDS)


@workflow_group.command("show")
@click.argument("run_id")
@click.option("--db", required=True, metavar="PATH|URL", help="The job service's database (SQLite file or URL).")
@click.option("--json", "as_json", is_flag=True, help="Print the run as JSON (GET /runs/{id}'s shape).")
def show_command(run_id: str, db: str, as_json: bool) -> None:
    """A run of the job service, read from its database: its state and each task's state, attempts
    and times. Exit 2 when the database has no such run."""
    from faultline.realcheck import READ, check_database
    from runtime.real.db import Database
    from runtime.real.workflow_store import has_table, newest_runs, run_status

    check_database(db, mode=READ)
    database = Database(db)
    try:
        if not has_table(database, "runs"):
            raise BadInputError(f"--db {db!r} has no workflow runs: the job service never ran on it")
        found = run_status(database, run_id)
        known = newest_runs(database)
    finally:
        database.close()
    if found is None:
        newest = f"its newest: {', '.join(known)}" if known else "it has none"
        raise BadInputError(f"no run {run_id!r} in {db} ({newest})")
    if as_json:
        click.echo(json.dumps(found, sort_keys=True))
        return
    table = Table(
        title=f"run {run_id} of {found['workflow']}: {found['state']} (created at {found['created_at_ms']} ms)",
        title_justify="left",
    )
    for column in ("task", "after", "state", "attempts", "dispatched (ms)", "finished (ms)"):
        table.add_column(column)
    for task in found["tasks"]:
        table.add_row(
            task["task"],
            ", ".join(task["depends_on"]) or "-",
            task["state"],
            str(task["attempts"]),
            str(task["dispatched_at_ms"] if task["dispatched_at_ms"] is not None else "-"),
            str(task["finished_at_ms"] if task["finished_at_ms"] is not None else "-"),
        )
    console().print(table)
