"""Same inputs, same bytes, across versions: the digests, verdicts, evidence and drill metrics of every
catalogued FM (naive and fixed) and of 25 explorer seeds per policy are pinned in golden/runs.json.

A change here means a history changed. If the change is meant (a new event kind, a protocol fix),
rewrite the file deliberately and say so in the commit:
    .venv/bin/python benchmarks/compare_runs.py --write tests/golden/runs.json --seeds 25
FMs added after the file was written are not judged here (their own tests cover them)."""

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = json.loads((Path(__file__).resolve().parents[1] / "golden" / "runs.json").read_text(encoding="utf-8"))


def _compare_runs():
    spec = importlib.util.spec_from_file_location("compare_runs", ROOT / "benchmarks" / "compare_runs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pinned_runs_are_byte_identical():
    compare_runs = _compare_runs()
    seeds = len(next(iter(GOLDEN["explored"].values())))
    now = compare_runs.collect(seeds)
    now["fms"] = {key: value for key, value in now["fms"].items() if key in GOLDEN["fms"]}
    assert compare_runs.compare(GOLDEN, now) == []
