"""The README's output blocks, made by running the commands they show (`make sync` writes them):
each block is a region of README.md between `<!-- BEGIN generated: NAME -->` and `<!-- END generated -->`.

Simulated runs are deterministic: `python -m faultline.docs check` (and a test) hold those blocks to
what the commands print now. A block with a speed or a real run's times (`VARYING`) is written by
`make sync` and left as it is by the check, since the next run prints other numbers."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WIDTH = "110"
TIMELINE_ROW = re.compile(r"^\s*(\d+)\s+\d+\s")


def faultline(*argv: str, cwd: str | Path | None = None) -> str:
    """What `faultline ARGV` prints (stdout then stderr), at the README's width."""
    env = {**os.environ, "COLUMNS": WIDTH, "PYTHONHASHSEED": "0"}
    done = subprocess.run(
        [sys.executable, "-m", "faultline", *argv],
        cwd=cwd or ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout + done.stderr


def abbreviate_run(text: str, keep: set[int], invariants: int = 2) -> str:
    """A run's printout with only the timeline rows in `keep` (their wrapped lines too), `...` for
    the rest, and the first `invariants` rows of the verdict table."""
    out, skipping, in_table, rows = [], False, False, 0
    current: int | None = None
    for line in text.splitlines():
        if line.startswith(" invariant "):
            in_table, current = True, None
        if in_table:
            if line.startswith(" INV_"):
                rows += 1
                if rows == invariants + 1:
                    out.append(" ...")
            if rows > invariants and (line.startswith(" INV_") or line.startswith(" " * 10)):
                continue
            out.append(line)
            continue
        match = TIMELINE_ROW.match(line)
        if match:
            current = int(match.group(1))
        elif current is not None and not line.startswith(" " * 20):
            current = None
        if current is not None and current not in keep:
            if not skipping:
                out.append("  ...")
            skipping = True
            continue
        skipping = False
        out.append(line)
    return "\n".join(out) + "\n"


def fm001() -> str:
    text = faultline("run", "FM_001", "--expect-violation")
    return "```\n" + abbreviate_run(text, {0, 1, 2, 3, 7, 8, 11, 12, 13, 14, 15, 16}) + "```\n"


def explore_blocks() -> str:
    naive = faultline("explore", "--policy", "naive", "--seeds", "500").splitlines()
    rows = [n for n, line in enumerate(naive) if line.startswith("│ INV_")]
    table = naive[1 : rows[0]] + [naive[rows[0]], naive[rows[1]], "│ ...", naive[rows[-1]], naive[rows[-1] + 1]]
    replays = [line for line in naive if line.startswith("replay ")]
    safe = faultline("explore", "--policy", "safe", "--seeds", "2000").splitlines()
    with tempfile.TemporaryDirectory() as folder:
        shrunk = faultline(
            "replay", "--seed", "0", "--policy", "naive", "--shrink", "--invariant", "INV_001", cwd=folder
        )
    tail = shrunk.splitlines()
    start = next(n for n, line in enumerate(tail) if line.startswith("shrunk "))
    lines = [naive[0], *table, replays[0], "...", *safe[:2], "", *tail[start:]]
    return "```\n" + "\n".join(lines) + "\n```\n"


def real_fm001() -> str:
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "readme.sqlite"
        text = faultline("run", "FM_001", "--real", "--db", str(db)).replace(str(db), "/tmp/readme.sqlite")
    evidence = [int(n) for n in re.findall(r"^\s*(\d+)\s+\d+\s+\S+\s+◀", text, re.MULTILINE)]
    keep = {n + d for n in evidence for d in (0, 1)} | {n - d for n in evidence[1:] for d in (1, 2, 3)}
    lines = abbreviate_run(text, keep, invariants=0).splitlines()
    table = [line for line in lines if TIMELINE_ROW.match(line) or line == "  ..."]
    head = [line for line in lines[:3] if line.strip()]
    verdict = [line for line in lines if line.startswith(("✗", "replay:"))]
    return "```\n" + "\n".join([*head, lines[4] if len(lines) > 4 else "", *table, *verdict]) + "\n```\n"


def drill() -> str:
    with tempfile.TemporaryDirectory() as folder:
        out = faultline("drill", "worker-crash", "--json", cwd=folder)
    data = json.loads(out.splitlines()[-1])
    return "```\n" + json.dumps(data, sort_keys=True) + "\n```\n"


def compare() -> str:
    text = faultline("compare", "--policy", "naive", "--policy", "safe", "--seeds", "200")
    return "```\n$ faultline compare --policy naive --policy safe --seeds 200\n" + text.rstrip("\n") + "\n```\n"


def metrics() -> str:
    lines = faultline("run", "FM_002", "--fix", "--metrics").splitlines()
    wanted = (
        "faultline_jobs_succeeded_total ",
        'faultline_lease_expiries_total{judged_by="reaper"} ',
        'faultline_crashes_total{role="worker"} ',
    )
    return "```\n" + "\n".join(line for line in lines if line.startswith(wanted)) + "\n```\n"


def bad_input() -> str:
    """Two refusals, as a user meets them: one line each, naming the value and the fix."""
    shown = []
    for argv in (("run", "FM_99"), ("run", "FM_001", "--seed", "-1")):
        shown += [f"$ faultline {' '.join(argv)}", faultline(*argv).strip()]
    return "```\n" + "\n".join(shown) + "\n```\n"


REGIONS = {
    "readme_first_run": fm001,
    "readme_explore": explore_blocks,
    "readme_real": real_fm001,
    "readme_drill": drill,
    "readme_compare": compare,
    "readme_metrics": metrics,
    "readme_bad_input": bad_input,
}
VARYING = frozenset(("readme_explore", "readme_real", "readme_drill"))
"""Blocks with a speed or a real run's times: written by make sync, not held to a rerun."""
SLOW = frozenset(("readme_compare",))
"""Deterministic blocks that take seconds to make: held to a rerun by `make drills`, not `make test`."""
