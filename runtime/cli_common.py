"""Helpers shared by the `faultline` commands: seed parsing, output, safe file writes."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click
from rich.console import Console

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
        raise FaultPlanError(f"cannot read fault plan {path!r}: {error.strerror}; pass a JSON file path") from None
    return FaultPlan.from_json(text, source=f"fault plan {path!r}")


def parse_overrides(pairs: tuple[str, ...]) -> dict[str, str]:
    overrides = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise BadInputError(f"--set expects FIELD=VALUE, got {pair!r} (e.g. --set lease_ms=500)")
        overrides[name.strip()] = value
    return overrides
