"""`faultline fm new`: scaffold the next failure-mode folder."""

from __future__ import annotations

import os

import click

from faultline.cli.app import cli


@cli.group("fm")
def fm_group() -> None:
    """Work on failure-mode folders."""


@fm_group.command("new")
@click.argument("name")
def fm_new_command(name: str) -> None:
    """Scaffold the next FM folder: spec template, scenario, and two failing test stubs."""
    from faultline import docs, scaffold

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
