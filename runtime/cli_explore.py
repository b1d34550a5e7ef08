"""`faultline explore` and `faultline replay`: swarm sweeps over seeds, exact replay, shrinking."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from invariants import REGISTRY
from runtime import explore, render
from runtime.cli import cli
from runtime.cli_common import EXIT_HOLDS, EXIT_VIOLATED, SEED, console, write_atomically
from runtime.errors import BadInputError
from runtime.shrink import Case, shrink

POLICY = click.option(
    "--policy",
    "policy_name",
    default="naive",
    show_default=True,
    help="naive (first draft with a 1 s visibility timeout) or safe (every fix).",
)
JOBS = click.option("--jobs", type=int, default=explore.DEFAULT_JOBS, show_default=True)
WORKERS = click.option("--workers", type=int, default=explore.DEFAULT_WORKERS, show_default=True)


@cli.command("explore")
@POLICY
@click.option("--seeds", type=int, default=1000, show_default=True, help="How many seeds to run.")
@click.option("--start", type=SEED, default=0, show_default=True, help="First seed.")
@JOBS
@WORKERS
@click.option("--processes", type=int, default=1, show_default=True, help="Local processes to use.")
@click.option("--shard", default=None, metavar="i/n", help="Run only the i-th of n disjoint slices of the seeds.")
@click.option("--dask", "dask_address", default=None, metavar="ADDRESS", help="Run on a Dask cluster ('local').")
@click.option("--shrink", "do_shrink", is_flag=True, help="Shrink the first seed of each violated invariant.")
@click.option("--out-dir", default=".", show_default=True, help="Where --shrink writes its plans.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead.")
def explore_command(
    policy_name, seeds, start, jobs, workers, processes, shard, dask_address, do_shrink, out_dir, as_json
):
    """Throw a random fault plan per seed at the standard workload; report broken invariants."""
    explore.policy_named(policy_name)
    explore.check_workload(jobs, workers)
    shard_pair = explore.parse_shard(shard)
    if do_shrink and not Path(out_dir).is_dir():
        raise BadInputError(f"--out-dir {out_dir!r} is not a folder; create it first")
    show_progress = not as_json and sys.stdout.isatty()
    kwargs = dict(
        policy_name=policy_name,
        seeds=seeds,
        start=start,
        jobs=jobs,
        workers=workers,
        processes=processes,
        shard=shard_pair,
        dask_address=dask_address,
    )
    if show_progress:
        columns = (TextColumn("exploring"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console(), transient=True) as bar:
            task = bar.add_task("seeds", total=len(explore.shard_seeds(start, seeds, shard_pair)))
            report = explore.explore(**kwargs, progress=lambda n: bar.advance(task, n))
    else:
        report = explore.explore(**kwargs)
    shrunk = {}
    if do_shrink:
        for inv, data in report.findings.items():
            shrunk[inv] = _shrink_to_file(data["first_seed"], policy_name, jobs, workers, inv, Path(out_dir))
    if as_json:
        data = report.to_json_dict()
        if do_shrink:
            data["shrunk"] = shrunk
        click.echo(json.dumps(data, sort_keys=True))
    else:
        _print_report(report, jobs, workers, shrunk)
    sys.exit(EXIT_VIOLATED if report.findings else EXIT_HOLDS)


def _print_report(report, jobs, workers, shrunk) -> None:
    out = console()
    shard = "" if report.shard == (1, 1) else f" (shard {report.shard[0]}/{report.shard[1]})"
    out.print(
        f"explored {report.seeds} seeds from {report.start}{shard} under policy "
        f"{report.policy} · {jobs} jobs, {workers} workers · {report.seeds_per_second} seeds/s"
    )
    if not report.findings:
        out.print("[bold green]✓ no invariant violated on any seed.[/]")
        return
    table = Table(title="violations by invariant", title_justify="left")
    for column in ("invariant", "seeds", "first seed", "replay"):
        table.add_column(column)
    for inv, data in report.findings.items():
        command = explore.replay_command(data["first_seed"], report.policy, jobs, workers)
        table.add_row(f"{inv} {REGISTRY[inv].name}", str(data["count"]), str(data["first_seed"]), command)
    out.print(table)
    for inv, info in shrunk.items():
        out.print(f"{inv}: shrunk to {info['faults']} fault(s) → {info['file']}; run: {info['command']}")


def _shrink_to_file(seed, policy_name, jobs, workers, invariant, folder: Path) -> dict:
    found = shrink(
        invariant=invariant,
        case=Case(jobs=jobs, workers=workers, plan=explore.draw_plan(seed, jobs, workers)),
        policy=explore.policy_named(policy_name),
        seed=seed,
        workload=explore.scenario_for,
    )
    minimal = found.minimal
    path = folder / f"shrunk-{invariant}-seed{seed}.json"
    write_atomically(path, minimal.plan.to_json())
    command = (
        f"faultline run --plan {path} --jobs {minimal.jobs} --workers {minimal.workers} "
        f"--policy {policy_name} --seed {seed}"
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
        "command": command,
    }


@cli.command("replay")
@click.option("--seed", type=SEED, required=True, help="The explored seed to run again.")
@POLICY
@JOBS
@WORKERS
@click.option("--shrink", "do_shrink", is_flag=True, help="Shrink this seed's fault plan to a minimal one.")
@click.option("--invariant", default=None, help="With --shrink: the invariant to keep violated (default: the first).")
@click.option("--out-dir", default=".", show_default=True, help="Where --shrink writes its plan.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead.")
def replay_command(seed, policy_name, jobs, workers, do_shrink, invariant, out_dir, as_json):
    """Re-run one explored seed exactly: same plan, same digest, same verdicts."""
    explore.check_workload(jobs, workers)
    result, violations = explore.run_seed(seed, policy_name, jobs, workers)
    violated = sorted({v.invariant for v in violations})
    shrunk = None
    if do_shrink:
        if not violated:
            raise BadInputError(f"seed {seed} violates no invariant under {policy_name}; nothing to shrink")
        target = invariant or violated[0]
        if target not in violated:
            raise BadInputError(f"seed {seed} does not violate {target!r} (it violates {', '.join(violated)})")
        if not Path(out_dir).is_dir():
            raise BadInputError(f"--out-dir {out_dir!r} is not a folder; create it first")
        shrunk = _shrink_to_file(seed, policy_name, jobs, workers, target, Path(out_dir))
    if as_json:
        data = {
            "seed": seed,
            "policy": policy_name,
            "digest": result.digest,
            "plan": result.plan.to_dict(),
            "violations": [v.to_json_dict() for v in violations],
        }
        if shrunk:
            data["shrunk"] = shrunk
        click.echo(json.dumps(data, sort_keys=True))
    else:
        out = console()
        render.print_run(
            out,
            header=f"explored seed {seed}: {result.scenario.name}  [policy: {policy_name}]",
            result=result,
            violations=violations,
            replay=explore.replay_command(seed, policy_name, jobs, workers),
            fix_hint=None,
        )
        out.print(f"fault plan ({len(result.plan.faults)} faults): {json.dumps(result.plan.to_dict())}")
        if shrunk:
            out.print(
                f"shrunk {shrunk['original_faults']} → {shrunk['faults']} fault(s), {shrunk['jobs']} jobs, "
                f"{shrunk['workers']} workers in {shrunk['runs']} runs; written to {shrunk['file']}:"
            )
            out.print(json.dumps(shrunk["plan"], indent=2))
            out.print(f"run it: {shrunk['command']}")
    sys.exit(EXIT_VIOLATED if violations else EXIT_HOLDS)
