"""The real world's reliability table: every FM, under its naive policy and its fix, run for real N
times on each database, optionally beside CPU-burning processes (a loaded machine). A naive try
counts when it breaks every invariant the FM's spec names; a fixed try when every invariant holds.
A try the real world refuses (a planned fault that did not bite in 5 runs) counts as neither.

    python -m faultline.real_table --tries 10 --burners 2 --db sqlite --db postgresql://.../lab

docs/08_real_world.md shows the measured table; `make drills` runs a smaller version of it."""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time

from faultline.catalog import load_all
from faultline.realcheck import REAL_WORLD_LIMITS
from invariants import check_all
from runtime.core.errors import BadInputError
from runtime.real.db import dialect_of, ensure_database


def burn(stop) -> None:  # pragma: no cover - a CPU burner, killed at the end
    while not stop.is_set():
        pass


def try_once(mode, fixed: bool, url: str, scale: float) -> str:
    """'ok' (broke as specified, or held), 'wrong' (broke otherwise, or held when it should break),
    'refused' (a planned fault did not bite)."""
    from runtime.real.run import run_real

    try:
        record = run_real(mode.scenario, mode.policy(fixed=fixed), db_url=url, scale=scale)
    except BadInputError:
        return "refused"
    violated = {v.invariant for v in check_all(record)}
    if fixed:
        return "ok" if not violated else "wrong:" + ",".join(sorted(violated))
    missing = [inv for inv in mode.invariants if inv not in violated]
    return "ok" if not missing else "wrong:missing " + ",".join(missing)


def measure(modes, urls, tries: int, scale: float, say) -> list[dict]:
    rows = []
    for mode in modes:
        for fixed in (False, True):
            if fixed and mode.id in REAL_WORLD_LIMITS:
                continue
            for url in urls:
                outcomes = [try_once(mode, fixed, url, scale) for _ in range(tries)]
                row = {
                    "fm": mode.id,
                    "policy": "fixed" if fixed else "naive",
                    "db": dialect_of(url),
                    "tries": tries,
                    "ok": outcomes.count("ok"),
                    "refused": outcomes.count("refused"),
                    "wrong": [o for o in outcomes if o.startswith("wrong")],
                }
                rows.append(row)
                say(
                    f"{row['fm']} {row['policy']:5} {row['db']:8} {row['ok']}/{tries} ok, {row['refused']} refused "
                    f"{' '.join(row['wrong'])}"
                )
    return rows


def markdown(rows: list[dict]) -> str:
    by_fm: dict[str, dict] = {}
    for row in rows:
        by_fm.setdefault(row["fm"], {})[(row["policy"], row["db"])] = f"{row['ok']}/{row['tries']}"
    lines = [
        "| FM | naive breaks, SQLite | naive breaks, Postgres | fix holds, SQLite | fix holds, Postgres |",
        "|---|---|---|---|---|",
    ]
    for fm, cells in by_fm.items():
        lines.append(
            f"| {fm} | {cells.get(('naive', 'sqlite'), '—')} | {cells.get(('naive', 'postgres'), '—')} | "
            f"{cells.get(('fixed', 'sqlite'), '—')} | {cells.get(('fixed', 'postgres'), '—')} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=10)
    parser.add_argument("--burners", type=int, default=0, help="CPU-burning processes beside the runs")
    parser.add_argument("--db", action="append", default=None, help="sqlite (a temporary file) or a postgresql:// URL")
    parser.add_argument("--fm", action="append", default=None, help="only these FMs (default: every one)")
    parser.add_argument("--scale", type=float, default=1.0, help="real ms per virtual ms (the CLI's default: 1)")
    parser.add_argument("--json", default=None, help="write the rows as JSON here")
    args = parser.parse_args(argv)
    import tempfile

    scratch = tempfile.mkdtemp(prefix="faultline-table-")
    urls = [os.path.join(scratch, "table.sqlite") if db == "sqlite" else db for db in (args.db or ["sqlite"])]
    for url in urls:
        if dialect_of(url) == "postgres":
            ensure_database(url)
    modes = [m for m in load_all()[0] if args.fm is None or m.id in args.fm]
    stop = multiprocessing.Event()
    burners = [multiprocessing.Process(target=burn, args=(stop,), daemon=True) for _ in range(args.burners)]
    for process in burners:
        process.start()
    began = time.monotonic()
    try:
        rows = measure(modes, urls, args.tries, args.scale, lambda line: print(line, file=sys.stderr, flush=True))
    finally:
        stop.set()
        for process in burners:
            process.terminate()
            process.join()
    took = time.monotonic() - began
    print(markdown(rows))
    print(
        f"{args.tries} tries each, {args.burners} CPU burners, scale {args.scale:g}, {took:.0f} s; load after: "
        f"{os.getloadavg()[0]:.2f}"
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as stream:
            json.dump({"rows": rows, "burners": args.burners, "scale": args.scale, "seconds": round(took)}, stream)
    return 0


if __name__ == "__main__":
    sys.exit(main())
