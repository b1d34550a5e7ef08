"""The `faultline` click group; every command module registers on it (imports flow one way)."""

from __future__ import annotations

import click

from faultline import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="faultline", message="%(prog)s %(version)s")
def cli() -> None:
    """Faultline: a deterministic failure-mode lab for job systems."""
