"""`faultline judge`: the invariants, run again over a saved history (any world's `--history` file)."""

from __future__ import annotations

import json
import sys

import click

from faultline.cli.app import cli
from faultline.cli.common import EXIT_HOLDS, EXIT_VIOLATED, console
from faultline.inputs import read_text_file
from faultline.present import render
from invariants import check_all
from runtime.core.record import RunRecord

MAX_HISTORY_CHARS = 200_000_000
"""A history file's size limit in characters (a long real run is a few MB)."""


@cli.command("judge")
@click.argument("history", metavar="HISTORY.jsonl")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead.")
def judge_command(history: str, as_json: bool) -> None:
    """Judge a saved history again, from the file alone (a run's, a real run's or a probe's `--history`).

    Exit 0 if every invariant holds, 1 if any is violated, 2 if the file is not a Faultline history (a
    history whose time runs backwards, say).
    """
    text = read_text_file(history, max_chars=MAX_HISTORY_CHARS, noun="history", fix="pass a --history file")
    record = RunRecord.from_jsonl(text, source=f"history {history!r}")
    violations = check_all(record)
    if as_json:
        data = render.run_json(fm_id=None, policy_label="as recorded", result=record, violations=violations)
        click.echo(json.dumps(data, sort_keys=True))
    else:
        header = record.header
        world = header.get("world", "simulated")
        render.print_run(
            console(),
            header=f"{header['scenario']}  [{world}, seed {header['seed']}]  judged from {history}",
            result=record,
            violations=violations,
            replay=f"faultline judge {history}",
            fix_hint=None,
            timeline_title="timeline (as recorded)",
        )
    sys.exit(EXIT_VIOLATED if violations else EXIT_HOLDS)
