"""`faultline check-determinism`: the same run in two fresh processes under different hash seeds must
give a byte-identical history; on a mismatch, the first divergent event, side by side."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import click

from faultline.cli.app import cli
from faultline.cli.common import EXIT_HOLDS, EXIT_VIOLATED, SEED, console
from runtime.core.errors import BadInputError

HASH_SEEDS = ("0", "4242")


@cli.command("check-determinism")
@click.argument("fm", required=False)
@click.option("--fix", is_flag=True, help="With FM: its fixed policy.")
@click.option(
    "--seed", type=SEED, default=None, help="Without FM: an explored seed (its drawn plan); with FM: the seed."
)
@click.option("--policy", "policy_name", default=None, help="Without FM: the explorer's policy (naive, safe, FM id).")
def check_determinism_command(fm, fix, seed, policy_name):
    """Run one run twice, in separate processes under different PYTHONHASHSEEDs, and compare the
    histories byte for byte. Exit 0 when they are identical, 1 at the first divergent event."""
    if fm is None and seed is None:
        raise BadInputError("name an FM (e.g. FM_001) or an explored --seed (e.g. --seed 269 --policy naive)")
    if fm is not None:
        if policy_name is not None:
            raise BadInputError("--policy is for an explored --seed; with an FM use --fix for its fixed policy")
        command = ["run", fm, "--seed", str(seed or 0), *(["--fix"] if fix else []), "--history", "-"]
    else:
        if fix:
            raise BadInputError("--fix needs an FM (e.g. faultline check-determinism FM_001 --fix)")
        command = ["replay", "--seed", str(seed), "--policy", policy_name or "naive", "--history", "-"]
    histories = [_history(command, hash_seed) for hash_seed in HASH_SEEDS]
    first, second = (text.splitlines() for text in histories)
    out = console()
    if first == second:
        out.print(f"deterministic: {len(first)} events, byte-identical under PYTHONHASHSEED {' and '.join(HASH_SEEDS)}")
        sys.exit(EXIT_HOLDS)
    index = next(
        (i for i, (a, b) in enumerate(zip(first, second, strict=False)) if a != b), min(len(first), len(second))
    )
    out.print(f"NOT deterministic: the histories diverge at event #{index}")
    _side_by_side(out, first[index] if index < len(first) else None, second[index] if index < len(second) else None)
    sys.exit(EXIT_VIOLATED)


def _history(command: list[str], hash_seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run(
        [sys.executable, "-m", "faultline", *command], capture_output=True, text=True, env=env, timeout=600
    )
    if done.returncode not in (0, 1):
        message = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"
        if done.returncode == 2:
            raise BadInputError(message.removeprefix("faultline: error: "))
        raise RuntimeError(f"faultline {' '.join(command)} failed under PYTHONHASHSEED={hash_seed}: {message}")
    return done.stdout


def _side_by_side(out, left: str | None, right: str | None) -> None:
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("field")
    for hash_seed in HASH_SEEDS:
        table.add_column(f"PYTHONHASHSEED={hash_seed}", overflow="fold")
    a = _flat(json.loads(left)) if left else {}
    b = _flat(json.loads(right)) if right else {}
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key, "—"), b.get(key, "—")
        if isinstance(va, dict) or isinstance(vb, dict) or (key.startswith("detail.") and va == vb):
            continue  # the detail's equal keys would only hide the difference
        mark = "" if va == vb else " ◀"
        table.add_row(key + mark, json.dumps(va, sort_keys=True), json.dumps(vb, sort_keys=True))
    out.print(table)


def _flat(event: dict) -> dict:
    """An event with its detail's keys as `detail.<key>` fields."""
    flat = {key: value for key, value in event.items() if key != "detail"}
    flat.update({f"detail.{key}": value for key, value in (event.get("detail") or {}).items()})
    return flat
