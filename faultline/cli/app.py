"""The `faultline` click group; every command module registers on it (imports flow one way)."""

from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Faultline: a deterministic failure-mode lab for job systems."""
