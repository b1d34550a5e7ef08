"""`faultline list`, `faultline invariants`, `faultline path`: the indexes, as tables or JSON."""

from __future__ import annotations

import json
import os

import click
from rich.table import Table

from faultline import catalog
from faultline.cli.app import cli
from faultline.cli.common import console
from invariants import all_invariants


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
    own = catalog.failure_modes_dir() == catalog.FAILURE_MODES_DIR
    rows = [
        {
            "id": m.id,
            "name": m.slug,
            "title": m.title,
            "invariants": list(m.invariants),
            "seen_in": m.seen_in,
            "folder": f"failure_modes/{m.folder.name}" if own else os.path.relpath(m.folder),
        }
        for m in catalog.catalog()
    ]
    if not as_json:  # the table trades the folder and report for the commands to try
        rows = [
            {
                "id": r["id"],
                "title": r["title"],
                "invariants": r["invariants"],
                "try it": f"make test-fm{int(str(r['id'])[3:])} / make test-fm{int(str(r['id'])[3:])}-fix"
                if own
                else f"faultline run {r['id']} / pytest {r['folder']}",
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
