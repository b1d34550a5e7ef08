"""The `faultline` command: list FMs and invariants, run an FM, explore, replay and report.

Bad input prints one line naming the value and the fix, and exits 2 (never a traceback).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from invariants import all_invariants, check_all
from runtime import catalog, render
from runtime.errors import BadInputError, FaultPlanError
from runtime.faults import FaultPlan

EXIT_HOLDS, EXIT_VIOLATED, EXIT_BAD_INPUT = 0, 1, 2


class SeedType(click.ParamType):
    name = "seed"

    def convert(self, value, param, ctx):
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        text = str(value).strip()
        if text.isdigit():
            return int(text)
        self.fail(f"seed must be a non-negative integer, got {value!r} (try --seed 0)", param, ctx)


SEED = SeedType()


def console() -> Console:
    """Rich console; output piped to a file or CI log gets a readable fixed width."""
    return Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 110)


def write_atomically(path: Path, text: str) -> None:
    """Write all of `text` or nothing: a temp file in the same folder, then a rename."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise BadInputError(f"cannot write {str(path)!r}: folder {str(folder)!r} does not exist")
    handle, temp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def load_plan(path: str | None) -> FaultPlan | None:
    if path is None:
        return None
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise FaultPlanError(
            f"cannot read fault plan {path!r}: {error.strerror}; pass a JSON file path"
        ) from None
    return FaultPlan.from_json(text, source=f"fault plan {path!r}")


def parse_overrides(pairs: tuple[str, ...]) -> dict[str, str]:
    overrides = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise BadInputError(f"--set expects FIELD=VALUE, got {pair!r} (e.g. --set lease_ms=500)")
        overrides[name.strip()] = value
    return overrides


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Faultline: a deterministic failure-mode lab for job systems."""


@cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_command(as_json: bool) -> None:
    """The failure modes, with their titles and the invariants they break."""
    modes = catalog.catalog()
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "id": m.id,
                        "name": m.slug,
                        "title": m.title,
                        "invariants": list(m.invariants),
                        "seen_in": m.seen_in,
                        "folder": f"failure_modes/{m.folder.name}",
                    }
                    for m in modes
                ],
                indent=2,
            )
        )
        return
    table = Table(title="failure modes", title_justify="left")
    for column in ("id", "title", "invariants", "try it"):
        table.add_column(column)
    for m in modes:
        table.add_row(
            m.id,
            m.title,
            ", ".join(m.invariants),
            f"make test-fm{m.number} / make test-fm{m.number}-fix",
        )
    console().print(table)


@cli.command("invariants")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def invariants_command(as_json: bool) -> None:
    """The invariant index: what every run is judged against."""
    registry = all_invariants()
    if as_json:
        click.echo(
            json.dumps(
                [{"id": i.id, "name": i.name, "kind": i.kind, "statement": i.statement} for i in registry],
                indent=2,
            )
        )
        return
    table = Table(title="invariants", title_justify="left")
    for column in ("id", "name", "kind", "statement"):
        table.add_column(column)
    for i in registry:
        table.add_row(i.id, i.name, i.kind, i.statement)
    console().print(table)


@cli.command("path")
@click.argument("fm")
@click.option("--test", "which", type=click.Choice(["repro", "prevent"]), required=True)
def path_command(fm: str, which: str) -> None:
    """Print the path of an FM's repro or prevention test (used by the Makefile)."""
    mode = catalog.find(fm)
    click.echo(os.path.relpath(mode.test_path(which)))


@cli.command("run")
@click.argument("fm")
@click.option("--fix", is_flag=True, help="Use the FM's fixed policy instead of its naive one.")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of the run's RNG.")
@click.option(
    "--plan",
    "plan_path",
    type=str,
    default=None,
    help="Replace the scenario's fault plan with this JSON file.",
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="FIELD=VALUE",
    help="Override one policy field (repeatable), e.g. --set idempotent_effects=true.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead.")
@click.option(
    "--history",
    "history_path",
    type=str,
    default=None,
    help="Write the canonical history as JSON Lines to this file.",
)
@click.option(
    "--expect-violation",
    is_flag=True,
    help="Exit 0 only if the run breaks every invariant the FM's spec names.",
)
def run_command(fm, fix, seed, plan_path, overrides, as_json, history_path, expect_violation):
    """Run an FM's scenario and judge it: exit 0 if every invariant holds, 1 if not."""
    mode = catalog.find(fm)
    plan = load_plan(plan_path)
    base = mode.policy(fixed=fix)
    policy = base.with_overrides(parse_overrides(overrides))
    label = ("fixed" if fix else "naive") + ("+overrides" if overrides else "")
    result = mode.run(seed=seed, plan=plan, policy=policy)
    violations = check_all(result)
    if history_path:
        write_atomically(Path(history_path), result.jsonl())
    replay = replay_command(mode, fix, seed, plan_path, overrides)
    violated = {v.invariant for v in violations}
    if as_json:
        click.echo(
            json.dumps(
                render.run_json(fm_id=mode.id, policy_label=label, result=result, violations=violations),
                sort_keys=True,
            )
        )
    else:
        hint = None
        if violations and not fix:
            changes = mode.policy(fixed=False).differences(mode.policy(fixed=True))
            fields = ", ".join(f"{k}: {a} → {b}" for k, (a, b) in changes.items())
            hint = f"the fix (make test-fm{mode.number}-fix) changes {fields}"
        render.print_run(
            console(),
            header=f"{mode.id} {mode.title}  [policy: {label}]",
            result=result,
            violations=violations,
            replay=replay,
            fix_hint=hint,
        )
    if expect_violation:
        if not mode.invariants:
            click.echo(
                f"✗ {mode.id}'s spec names no invariant to violate: fill in `invariants:` "
                f"in {os.path.relpath(mode.folder / 'spec.md')}",
                err=True,
            )
            sys.exit(EXIT_VIOLATED)
        missing = [i for i in mode.invariants if i not in violated]
        if missing:
            click.echo(f"✗ expected {', '.join(missing)} to be violated, but it held", err=True)
            sys.exit(EXIT_VIOLATED)
        if not as_json:
            click.echo(f"✓ reproduced: {', '.join(mode.invariants)} violated as {mode.id}'s spec says.")
        sys.exit(EXIT_HOLDS)
    sys.exit(EXIT_VIOLATED if violations else EXIT_HOLDS)


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
    click.echo(
        f"created {rel}/ (spec.md, scenario.py, test_repro_fm{number:03d}.py, test_prevent_fm{number:03d}.py)"
    )
    click.echo(
        "next: fill in spec.md and scenario.py, then the two tests (they fail until you "
        "do); see docs/05_adding_a_failure_mode.md"
    )
    click.echo(f"try:  make test-fm{number}   and   make test-fm{number}-fix")


def replay_command(mode, fix, seed, plan_path, overrides) -> str:
    parts = ["faultline", "run", mode.id, "--seed", str(seed)]
    if fix:
        parts.append("--fix")
    if plan_path:
        parts += ["--plan", plan_path]
    for pair in overrides:
        parts += ["--set", pair]
    return " ".join(parts)


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


if __name__ == "__main__":
    main()
