"""`faultline explore` and `faultline replay`: swarm sweeps over seeds, exact replay, shrinking."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from faultline import explore
from faultline.cli.app import cli
from faultline.cli.common import (
    EXIT_HOLDS,
    EXIT_INTERRUPTED,
    EXIT_VIOLATED,
    SEED,
    Outputs,
    console,
    out_dir,
    parse_overrides,
    refuse_unless,
    write_atomically,
)
from faultline.cli.output import print_human, record_outputs, write_run_outputs
from faultline.explore.shrink import Case, shrink
from faultline.runspec import RunSpec
from invariants import REGISTRY
from runtime.core.errors import BadInputError

POLICY = click.option(
    "--policy",
    "policy_name",
    default="naive",
    show_default=True,
    help="naive (a first draft with a 1 s visibility timeout), safe (every fix), or an FM's id (its naive policy).",
)
SET = click.option(
    "--set", "overrides", multiple=True, metavar="FIELD=VALUE", help="Override one policy field (repeatable)."
)
JOBS = click.option("--jobs", type=click.IntRange(1, explore.MAX_JOBS), default=explore.DEFAULT_JOBS, show_default=True)
WORKERS = click.option(
    "--workers", type=click.IntRange(1, explore.MAX_WORKERS), default=explore.DEFAULT_WORKERS, show_default=True
)
MECHANISMS = click.option(
    "--mechanisms",
    is_flag=True,
    help="Each seed also draws batches (and, off the safe preset, batch acks and retry strategies).",
)
WORKLOAD = click.option(
    "--workload",
    default=None,
    metavar="FILE.yml",
    help="Explore a workflow spec (runs of its DAG) instead of the standard workload; --jobs is then unused.",
)


@cli.command("explore")
@POLICY
@SET
@click.option("--seeds", type=click.IntRange(1, explore.MAX_SEEDS), default=1000, show_default=True)
@click.option("--start", type=SEED, default=0, show_default=True, help="First seed.")
@JOBS
@WORKERS
@WORKLOAD
@MECHANISMS
@click.option(
    "--processes",
    type=click.IntRange(1, None),
    default=1,
    show_default=True,
    help="Local processes (at most one per CPU).",
)
@click.option("--shard", default=None, metavar="i/n", help="Run only the i-th of n disjoint slices of the seeds.")
@click.option("--dask", "dask_address", default=None, metavar="ADDRESS", help="Run on a Dask cluster ('local').")
@click.option("--shrink", "do_shrink", is_flag=True, help="Shrink the first seed of each violated invariant.")
@click.option("--out-dir", default=".", show_default=True, help="Where --shrink writes its plans.")
@click.option(
    "--coverage",
    "show_coverage",
    is_flag=True,
    help="Also count, per fault kind and mechanism, the seeds in which it bit or its events occurred.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead.")
def explore_command(
    policy_name,
    overrides,
    seeds,
    start,
    jobs,
    workers,
    workload,
    mechanisms,
    processes,
    shard,
    dask_address,
    do_shrink,
    out_dir,
    show_coverage,
    as_json,
):
    """Throw a random fault plan per seed at the standard workload; report broken invariants."""
    ctx = click.get_current_context()
    refuse_unless(do_shrink, ctx, ("out_dir",), "--shrink")
    refuse_unless(workload is None, ctx, ("jobs",), "the standard workload (not --workload)")
    refuse_unless(dask_address is None, ctx, ("processes",), "local processes (not --dask)")
    overrides = parse_overrides(overrides)
    sweep = _sweep(policy_name, overrides, jobs, workers, workload, mechanisms)
    shard_pair = explore.parse_shard(shard)
    if dask_address is not None:
        from faultline.explore.dask_backend import check_address

        check_address(dask_address)
    folder = out_dir_checked(out_dir) if do_shrink else None
    usable = explore.usable_processes(processes)
    if usable < processes:
        click.echo(f"faultline: note: --processes {processes} capped at {usable}, this machine's CPUs", err=True)
    kwargs = dict(
        policy_name=policy_name,
        overrides=overrides,
        seeds=seeds,
        start=start,
        jobs=jobs,
        workers=workers,
        processes=usable,
        shard=shard_pair,
        dask_address=dask_address,
        workload=workload,
        mechanisms=mechanisms,
        coverage=show_coverage,
    )
    if not as_json and sys.stdout.isatty():
        columns = (TextColumn("exploring"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console(), transient=True) as bar:
            task = bar.add_task("seeds", total=len(explore.shard_seeds(start, seeds, shard_pair)))
            report = explore.explore(**kwargs, progress=lambda n: bar.advance(task, n))
    else:
        report = explore.explore(**kwargs)
    shrunk = {}
    if do_shrink and not report.interrupted:
        for inv, data in report.findings.items():
            shrunk[inv] = _shrink_to_file(sweep, data["first_seed"], inv, folder)
    if as_json:
        data = report.to_json_dict()
        if do_shrink:
            data["shrunk"] = shrunk
        click.echo(json.dumps(data, sort_keys=True))
    else:
        _print_report(report, sweep, shrunk)
    if report.interrupted:
        click.echo(
            f"faultline: interrupted after {report.seeds} seeds; the findings above are complete for them", err=True
        )
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(EXIT_VIOLATED if report.findings else EXIT_HOLDS)


def _sweep(policy_name, overrides, jobs, workers, workload, mechanisms) -> explore.Sweep:
    """The sweep `explore` and `replay` run, its policy and workload checked before any work."""
    sweep = explore.Sweep(
        policy_name=policy_name,
        overrides=overrides,
        jobs=jobs,
        workers=workers,
        workload=workload,
        mechanisms=mechanisms,
    )
    sweep.policy()
    if workload is not None:
        explore.workflow_workload(workload, workers)
    return sweep


def out_dir_checked(raw: str) -> Path:
    return out_dir(raw)


def _print_report(report, sweep, shrunk) -> None:
    out = console()
    shard = "" if report.shard == (1, 1) else f" (shard {report.shard[0]}/{report.shard[1]})"
    settings = "".join(f" --set {k}={v}" for k, v in report.overrides.items())
    out.print(
        f"explored {report.seeds} seeds from {report.start}{shard} under policy {report.policy}{settings} · "
        f"{_workload_phrase(report)}{' · mechanisms drawn per seed' if sweep.mechanisms else ''} · "
        f"{report.seeds_per_second} seeds/s"
    )
    if report.coverage is not None:
        _print_coverage(out, report)
    if not report.findings:
        out.print("[bold green]✓ no invariant violated on any seed.[/]")
        return
    table = Table(title="violations by invariant", title_justify="left")
    for column in ("invariant", "seeds", "first seed"):
        table.add_column(column)
    for inv, data in report.findings.items():
        table.add_row(f"{inv} {REGISTRY[inv].name}", str(data["count"]), str(data["first_seed"]))
    out.print(table)
    for inv, data in report.findings.items():  # replay commands on their own lines, never wrapped
        click.echo(f"replay {inv}: {sweep.replay_command(data['first_seed'])}")
    for inv, info in shrunk.items():
        click.echo(f"{inv}: shrunk to {info['faults']} fault(s) → {info['file']}; run: {info['command']}")


def _print_coverage(out, report) -> None:
    """Per fault kind and mechanism: the seeds it was on, the seeds it was reached (bit, or its events
    occurred), and that share of every seed swept."""
    table = Table(title="coverage (share of all seeds swept)", title_justify="left")
    for column in ("fault kind or mechanism", "seeds on", "seeds reached", "reached"):
        table.add_column(column)
    for name, (on, hit) in report.coverage.items():
        share = f"{100 * hit / report.seeds:.0f}%" if report.seeds else "—"
        table.add_row(
            name.removeprefix("fault:") + (" (fault)" if name.startswith("fault:") else ""), str(on), str(hit), share
        )
    out.print(table)


def _workload_phrase(report) -> str:
    if report.workload is not None:
        return f"workflow {report.workload}, {report.workers} workers"
    return f"{report.jobs} jobs, {report.workers} workers"


def _shrink_to_file(sweep, seed, invariant, folder: Path) -> dict:
    policy = sweep.policy(seed)
    found = shrink(
        invariant=invariant,
        case=Case(jobs=sweep.jobs, workers=sweep.workers, plan=sweep.draw(seed, policy)),
        policy=policy,
        seed=seed,
        workload=lambda jobs, workers, plan: sweep.scenario(plan, jobs, workers),
    )
    minimal = found.minimal
    path = folder / f"shrunk-{invariant}-seed{seed}.json"
    found_by = {
        "invariant": invariant,
        "seed": seed,
        "policy": sweep.policy_name,
        "overrides": dict(sweep.overrides),
        "jobs": minimal.jobs,
        "workers": minimal.workers,
    }
    # A plan `--plan` reads as is; `found` says how it was found (`faultline fm new NAME --from FILE`).
    write_atomically(path, json.dumps({**minimal.plan.to_dict(), "found": found_by}, indent=2, sort_keys=True) + "\n")
    spec = RunSpec(
        policy_name=sweep.policy_name,
        overrides=sweep.overrides,
        jobs=minimal.jobs,
        workers=minimal.workers,
        seed=seed,
        plan=minimal.plan,
        plan_path=str(path),
        workload=sweep.workload,
        mechanisms=sweep.mechanisms,
    )
    return {
        "file": str(path),
        "seed": seed,
        "faults": len(minimal.plan.faults),
        "original_faults": len(found.original.plan.faults),
        "jobs": minimal.jobs,
        "workers": minimal.workers,
        "runs": found.runs,
        "plan": minimal.plan.to_dict(),
        "command": spec.replay_command(),
    }


@cli.command("replay")
@click.option("--seed", type=SEED, required=True, help="The explored seed to run again.")
@POLICY
@SET
@JOBS
@WORKERS
@WORKLOAD
@MECHANISMS
@record_outputs
@click.option("--report", "report_path", default=None, metavar="PATH|-", help="Write the HTML report.")
@click.option("--shrink", "do_shrink", is_flag=True, help="Shrink this seed's fault plan to a minimal one.")
@click.option("--invariant", default=None, help="With --shrink: the invariant to keep violated (default: the first).")
@click.option("--out-dir", default=".", show_default=True, help="Where --shrink writes its plan.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead.")
def replay_command(
    seed,
    policy_name,
    overrides,
    jobs,
    workers,
    workload,
    mechanisms,
    history_path,
    trace_path,
    metrics_path,
    report_path,
    do_shrink,
    invariant,
    out_dir,
    as_json,
):
    """Re-run one explored seed exactly: same plan, same digest, same verdicts."""
    ctx = click.get_current_context()
    refuse_unless(do_shrink, ctx, ("out_dir", "invariant"), "--shrink")
    refuse_unless(workload is None, ctx, ("jobs",), "the standard workload (not --workload)")
    overrides = parse_overrides(overrides)
    sweep = _sweep(policy_name, overrides, jobs, workers, workload, mechanisms)
    spec = RunSpec(
        policy_name=policy_name,
        overrides=overrides,
        jobs=jobs,
        workers=workers,
        seed=seed,
        drawn=True,
        workload=workload,
        mechanisms=mechanisms,
    )
    spec.check()
    folder = out_dir_checked(out_dir) if do_shrink else None
    if invariant is not None and invariant not in REGISTRY:
        raise BadInputError(f"--invariant {invariant!r} is not an invariant id (see faultline invariants)")
    targets = {"--history": history_path, "--trace": trace_path, "--metrics": metrics_path, "--report": report_path}
    with Outputs(targets, stdout_taken_by="--json" if as_json else None) as outputs:
        record, violations = sweep.run_seed(seed)
        violated = sorted({v.invariant for v in violations})
        shrunk = None
        if do_shrink:
            if not violated:
                raise BadInputError(f"seed {seed} violates no invariant under {policy_name}; nothing to shrink")
            target = invariant or violated[0]
            if target not in violated:
                raise BadInputError(f"seed {seed} does not violate {target!r} (it violates {', '.join(violated)})")
            shrunk = _shrink_to_file(sweep, seed, target, folder)
        write_run_outputs(outputs, spec, record, violations)
    if as_json:
        data = {
            "seed": seed,
            "policy": policy_name,
            "overrides": overrides,
            "jobs": jobs,
            "workers": workers,
            "digest": record.digest,
            "plan": record.plan.to_dict(),
            "violations": [v.to_json_dict() for v in violations],
            "replay": spec.replay_command(),
        }
        if shrunk:
            data["shrunk"] = shrunk
        click.echo(json.dumps(data, sort_keys=True))
    elif outputs.stdout_option is None:
        print_human(spec, record, violations)
        click.echo(f"fault plan ({len(record.plan.faults)} faults): {json.dumps(record.plan.to_dict())}")
        if shrunk:
            click.echo(
                f"shrunk {shrunk['original_faults']} → {shrunk['faults']} fault(s), {shrunk['jobs']} jobs, "
                f"{shrunk['workers']} workers in {shrunk['runs']} runs; written to {shrunk['file']}:"
            )
            click.echo(json.dumps(shrunk["plan"], indent=2))
            click.echo(f"run it: {shrunk['command']}")
    sys.exit(EXIT_VIOLATED if violations else EXIT_HOLDS)
