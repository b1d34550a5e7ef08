"""`faultline compare`: policies side by side over the same seeds, with numbers."""

from __future__ import annotations

import json

import click

from faultline.cli.app import cli
from faultline.cli.common import SEED, console


@cli.command("compare")
@click.option(
    "--policy",
    "policies",
    multiple=True,
    required=True,
    metavar="NAME",
    help="naive, safe, or an FM's id (its naive policy); repeat to compare (at least one).",
)
@click.option(
    "--set", "overrides", multiple=True, metavar="[POLICY:]FIELD=VALUE", help="Override a field (repeatable)."
)
@click.option("--seeds", type=click.IntRange(1, 1_000_000), default=200, show_default=True)
@click.option("--start", type=SEED, default=0, show_default=True, help="First seed.")
@click.option("--jobs", type=click.IntRange(1, 10_000), default=None, help="Jobs in the workload (default 50).")
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Workers in the workload (default 4).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead.")
def compare_command(policies, overrides, seeds, start, jobs, workers, as_json):
    """Run the same seeds (each with the explorer's fault plan) under each policy; one row per policy.

    `--set FIELD=VALUE` applies to every policy; `--set safe:FIELD=VALUE` to one."""
    from faultline.cli.common import parse_overrides
    from faultline.explore import DEFAULT_JOBS, DEFAULT_WORKERS, check_workload, policy_named
    from faultline.explore.compare import compare
    from runtime.core.errors import BadInputError

    jobs, workers = jobs or DEFAULT_JOBS, workers or DEFAULT_WORKERS
    check_workload(jobs, workers)
    if len(set(policies)) != len(policies):
        raise BadInputError(f"--policy names {policies!r}: each policy once")
    shared, own = [], {name: [] for name in policies}
    for item in overrides:
        target, _, rest = item.partition(":")
        if rest and "=" in rest and "=" not in target:
            if target not in own:
                raise BadInputError(
                    f"--set {item!r} names policy {target!r}, which is not compared; add --policy {target}"
                )
            own[target].append(rest)
        else:
            shared.append(item)
    chosen = {name: policy_named(name).with_overrides(parse_overrides([*shared, *own[name]])) for name in policies}
    rows = compare(chosen, range(start, start + seeds), jobs, workers)
    if as_json:
        click.echo(
            json.dumps(
                {"seeds": seeds, "start": start, "jobs": jobs, "workers": workers, "rows": [r.to_json() for r in rows]},
                sort_keys=True,
            )
        )
        return
    _print(rows, seeds, jobs, workers)


def _print(rows, seeds, jobs, workers) -> None:
    from rich import box
    from rich.table import Table

    out = console()
    out.print(f"{seeds} seeds · {jobs} jobs · {workers} workers · each seed with the explorer's fault plan")
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("")
    for row in rows:
        table.add_column(row.policy, justify="right")
    broken = [inv for inv in rows[0].violating_seeds if any(r.violating_seeds[inv] for r in rows)]
    for inv in broken:
        table.add_row(f"seeds violating {inv}", *(str(r.violating_seeds[inv]) for r in rows))
    for label, field in (
        ("lost jobs", "lost_jobs"),
        ("duplicate effects", "duplicate_effects"),
        ("dead-lettered jobs", "dead_lettered"),
        ("p50 submit-to-effect (virtual ms)", "p50_latency_ms"),
        ("p99 submit-to-effect (virtual ms)", "p99_latency_ms"),
        ("retries per job", "retries_per_job"),
        ("peak store calls in one second", "peak_store_calls_per_s"),
    ):
        table.add_row(label, *(f"{getattr(r, field):g}" for r in rows))
    out.print(table)
