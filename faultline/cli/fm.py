"""`faultline fm new`: scaffold the next failure-mode folder."""

from __future__ import annotations

import os
from pathlib import Path

import click

from faultline.cli.app import cli
from runtime.core.errors import BadInputError


@cli.group("fm")
def fm_group() -> None:
    """Work on failure-mode folders."""


@fm_group.command("new")
@click.argument("name")
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The failure-mode folder (default: [tool.faultline] failure_modes, or Faultline's own).",
)
@click.option(
    "--from",
    "source",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="A shrunk-*.json from `faultline explore --shrink`: the finding becomes the FM.",
)
def fm_new_command(name: str, folder: Path | None, source: Path | None) -> None:
    """Scaffold the next FM folder: spec template, scenario, and two failing test stubs, or, with
    --from, an FM made of an explorer finding (its workload, plan, invariant and tests)."""
    from faultline import catalog, docs, scaffold

    if folder is not None and not folder.is_dir():
        raise BadInputError(
            f"--dir {str(folder)!r} is not a folder; create it first (or drop --dir for the project's own)"
        )
    root = folder.resolve() if folder is not None else catalog.failure_modes_dir()
    if root == catalog.FAILURE_MODES_DIR and not catalog.is_checkout():
        # An installed Faultline: never write into site-packages; the project's own folder instead.
        root = Path.cwd() / "failure_modes"
        click.echo(
            'writing to ./failure_modes; add [tool.faultline] failure_modes = "failure_modes" to your '
            "pyproject.toml so that faultline list and run find it",
            err=True,
        )
    created = scaffold.scaffold(name, root) if source is None else scaffold.scaffold_from(name, source, root)
    number = int(created.name.split("_")[1])
    own = root == catalog.FAILURE_MODES_DIR
    if own and docs.DOCS.is_dir():  # Faultline's own checkout: its indexes follow
        docs.write(varying=False, slow=False)
    rel = os.path.relpath(created)
    click.echo(f"created {rel}/ (spec.md, scenario.py, test_repro_fm{number:03d}.py, test_prevent_fm{number:03d}.py)")
    if source is None:
        click.echo(
            "next: fill in spec.md and scenario.py, then the two tests (they fail until you "
            "do); see docs/05_adding_a_failure_mode.md"
        )
    else:
        click.echo("next: find the smallest fix for FIXED_POLICY and a public report for seen_in (spec.md)")
    if own:
        click.echo(f"try:  make test-fm{number}   and   make test-fm{number}-fix")
    else:
        fm_path = "" if folder is None else f"--fm-path {os.path.relpath(root)} "
        click.echo(f"try:  faultline {fm_path}run FM_{number:03d}   and   pytest {rel}")
