"""The `faultline` click group; every command module registers on it (imports flow one way)."""

from __future__ import annotations

import os

import click

from faultline import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="faultline", message="%(prog)s %(version)s")
@click.option(
    "--fm-path",
    type=click.Path(file_okay=False, path_type=str),
    default=None,
    metavar="DIR",
    help="Your project's failure-mode folder (default: [tool.faultline] failure_modes in pyproject.toml).",
)
def cli(fm_path: str | None) -> None:
    """Faultline: a deterministic failure-mode lab for job systems."""
    if fm_path is not None:
        os.environ["FAULTLINE_FM_PATH"] = os.path.abspath(fm_path)
