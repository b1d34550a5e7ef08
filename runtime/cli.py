"""The `faultline` command: list FMs and invariants, run an FM, explore, replay and report.

Bad input prints one line naming the value and the fix, and exits 2 (never a traceback).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
from rich.table import Table

from invariants import all_invariants, check_all
from runtime import catalog, render
from runtime.cli_common import (
    EXIT_BAD_INPUT,
    EXIT_HOLDS,
    EXIT_VIOLATED,
    SEED,
    console,
    load_plan,
    parse_overrides,
    write_atomically,
)
from runtime.errors import BadInputError
from runtime.faults import FaultPlan


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


@cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_command(as_json: bool) -> None:
    """The failure modes, with their titles and the invariants they break."""
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
        click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of the run's RNG."),
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
            help="Without FM: the explorer policy for the standard workload (naive or safe).",
        ),
        click.option("--jobs", type=int, default=None, help="Without FM: jobs in the standard workload."),
        click.option("--workers", type=int, default=None, help="Without FM: workers in the standard workload."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


class Prepared:
    """One executed run with everything the outputs need: verdicts, labels, replay command."""

    def __init__(self, fm, fix, seed, plan_path, overrides, policy_name, jobs, workers) -> None:
        plan = load_plan(plan_path)
        override_map = parse_overrides(overrides)
        self.mode = None
        if fm is None:
            if fix:
                raise BadInputError("--fix and --expect-violation need an FM (e.g. faultline run FM_001 --fix)")
            from runtime import explore
            from runtime.sim import run

            jobs = explore.DEFAULT_JOBS if jobs is None else jobs
            workers = explore.DEFAULT_WORKERS if workers is None else workers
            name = policy_name or "naive"
            scenario = explore.scenario_for(jobs, workers, plan if plan is not None else FaultPlan())
            self.label = name + ("+overrides" if overrides else "")
            self.result = run(scenario, explore.policy_named(name).with_overrides(override_map), seed)
            parts = ["faultline", "run", "--seed", str(seed), "--policy", name, "--jobs", str(jobs)]
            parts += ["--workers", str(workers)] + (["--plan", plan_path] if plan_path else [])
            self.fm_id, self.title = None, scenario.name
        else:
            if policy_name is not None or jobs is not None or workers is not None:
                raise BadInputError(
                    "--policy, --jobs and --workers describe the standard workload; "
                    f"drop them, or drop {fm!r} to run the standard workload"
                )
            self.mode = catalog.find(fm)
            self.label = ("fixed" if fix else "naive") + ("+overrides" if overrides else "")
            policy = self.mode.policy(fixed=fix).with_overrides(override_map)
            self.result = self.mode.run(seed=seed, plan=plan, policy=policy)
            parts = ["faultline", "run", self.mode.id, "--seed", str(seed)] + (["--fix"] if fix else [])
            parts += ["--plan", plan_path] if plan_path else []
            self.fm_id, self.title = self.mode.id, f"{self.mode.id} {self.mode.title}"
        for pair in overrides:
            parts += ["--set", pair]
        self.fix = fix
        self.replay = " ".join(parts)
        self.violations = check_all(self.result)

    def metrics(self) -> dict:
        from runtime.metrics import registry_for, snapshot

        return snapshot(registry_for(self.result))

    def fix_hint(self) -> str | None:
        if self.mode is None or not self.violations or self.fix:
            return None
        changes = self.mode.policy(fixed=False).differences(self.mode.policy(fixed=True))
        fields = ", ".join(f"{k}: {a} → {b}" for k, (a, b) in changes.items())
        return f"the fix (make test-fm{self.mode.number}-fix) changes {fields}"


@cli.command("run")
@_run_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead.")
@click.option("--history", "history_path", type=str, default=None, help="Write the canonical history as JSON Lines.")
@click.option("--metrics", "show_metrics", is_flag=True, help="Also print the run's Prometheus metrics.")
@click.option("--trace", "trace_path", type=str, default=None, help="Write a Chrome/Perfetto trace-event JSON file.")
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
    show_metrics,
    trace_path,
    expect_violation,
):
    """Run an FM's scenario (or, without FM, the standard workload) and judge it.

    Exit 0 if every invariant holds, 1 if any is violated, 2 for bad input.
    """
    if expect_violation and fm is None:
        raise BadInputError("--fix and --expect-violation need an FM (e.g. faultline run FM_001 --fix)")
    run = Prepared(fm, fix, seed, plan_path, overrides, policy_name, jobs, workers)
    result, violations = run.result, run.violations
    if history_path:
        write_atomically(Path(history_path), result.jsonl())
    if trace_path:
        from runtime.trace import trace_json

        write_atomically(Path(trace_path), trace_json(result, violations, title=run.title))
    if as_json:
        data = render.run_json(fm_id=run.fm_id, policy_label=run.label, result=result, violations=violations)
        data["metrics"] = run.metrics()
        click.echo(json.dumps(data, sort_keys=True))
    else:
        render.print_run(
            console(),
            header=f"{run.title}  [policy: {run.label}]",
            result=result,
            violations=violations,
            replay=run.replay,
            fix_hint=run.fix_hint(),
        )
        if show_metrics:
            from runtime.metrics import exposition, registry_for

            click.echo(exposition(registry_for(result)), nl=False)
    if expect_violation:
        sys.exit(_expectation(run.mode, {v.invariant for v in violations}, as_json))
    sys.exit(EXIT_VIOLATED if violations else EXIT_HOLDS)


@cli.command("report")
@_run_options
@click.option("--out", "out_path", required=True, help="The HTML file to write.")
def report_command(fm, fix, seed, plan_path, overrides, policy_name, jobs, workers, out_path):
    """Write a self-contained HTML report: swimlane timeline, evidence, metrics, replay command."""
    from runtime.report import html_report

    run = Prepared(fm, fix, seed, plan_path, overrides, policy_name, jobs, workers)
    html = html_report(
        run.result, run.violations, title=run.title, policy_label=run.label, replay=run.replay, metrics=run.metrics()
    )
    write_atomically(Path(out_path), html)
    verdict = ", ".join(sorted({v.invariant for v in run.violations})) or "every invariant holds"
    click.echo(f"wrote {out_path} ({run.title}, policy {run.label}, seed {seed}: {verdict})")


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
    if not quiet:
        click.echo(f"✓ reproduced: {', '.join(mode.invariants)} violated as {mode.id}'s spec says.")
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


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the click group, turning every input error into one line + exit 2."""
    try:
        cli.main(args=argv, prog_name="faultline", standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.Abort:
        click.echo("faultline: aborted", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except click.UsageError as error:
        message = error.format_message().replace("\n", " ")
        command = error.ctx.command_path if error.ctx else "faultline"
        hint = f" (see {command} --help)"
        click.echo(f"faultline: error: {message}{hint}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except BadInputError as error:
        click.echo(f"faultline: error: {error}", err=True)
        sys.exit(EXIT_BAD_INPUT)


from runtime import cli_explore  # noqa: E402,F401  (registers explore and replay)

if __name__ == "__main__":
    main()
