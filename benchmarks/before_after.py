"""Is a change slower? The same measurements on two checkouts, side by side in one run.

Runs each measurement in a fresh subprocess per checkout, alternating BASE and HEAD for `--rounds`
rounds, and reports min/median/max of each side and the ratio of medians. The work is identical on
both sides: the FM-free job workload of bench_vs_simpy (N jobs, W workers, lease -> execute ->
commit -> ack) and a safe/naive explorer sweep, imported from whichever layout each checkout has.

    python benchmarks/before_after.py --base c251a02 [--rounds 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

MEASURE = r"""
import json, os, sys, time
what, n = sys.argv[1], int(sys.argv[2])
if os.path.isdir("runtime/core"):  # by the tree, never by trial imports (runtime was a namespace package)
    from runtime.core.policy import Policy
    from runtime.core.scenario import JobSpec, Scenario
    from runtime.sim import run
    from faultline.explore import explore
else:
    from runtime.policies import Policy
    from runtime.scenario import JobSpec, Scenario
    from runtime.sim import run
    from runtime.explore import explore
if what == "jobs":
    scenario = Scenario(name="bench", jobs=tuple(JobSpec(job_id=f"j{k}", payload={"amount": k}) for k in range(n)),
                        workers=tuple(f"w{k}" for k in range(8)))
    policy = Policy.naive().evolve(lease_ms=1_000)
    run(scenario, policy, 0)
    times = []
    for seed in range(3):
        began = time.perf_counter()
        run(scenario, policy, seed)
        times.append(time.perf_counter() - began)
    print(json.dumps(n / min(times)))
else:
    began = time.process_time()
    explore(policy_name=what, seeds=n)
    print(json.dumps(n / (time.process_time() - began)))
"""

MEASUREMENTS = {
    "jobs_per_s (5000 jobs, 8 workers)": ("jobs", 5000),
    "safe seeds per CPU-s (200 seeds)": ("safe", 200),
    "naive seeds per CPU-s (40 seeds)": ("naive", 40),
}


def measure(tree: Path, what: str, n: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0", "PYTHONNOUSERSITE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, what, str(n)], cwd=tree, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"measuring {what} in {tree} failed:\n{done.stderr}")
    return float(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the commit to compare against (e.g. the last one before)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="faultline-base-") as temp:
        base = Path(temp) / "base"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(base), args.base], cwd=ROOT, check=True, capture_output=True
        )
        try:
            results: dict[str, dict[str, Any]] = {}
            for label, (what, n) in MEASUREMENTS.items():
                sides: dict[str, list[float]] = {"base": [], "head": []}
                for _ in range(args.rounds):
                    sides["base"].append(measure(base, what, n))
                    sides["head"].append(measure(ROOT, what, n))
                results[label] = {
                    side: {"min": round(min(v), 1), "median": round(statistics.median(v), 1), "max": round(max(v), 1)}
                    for side, v in sides.items()
                }
                ratio = statistics.median(sides["head"]) / statistics.median(sides["base"])
                results[label]["head/base (medians)"] = round(ratio, 3)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, check=False)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for label, data in results.items():
            b, h = data["base"], data["head"]
            print(
                f"{label}: base {b['min']}/{b['median']}/{b['max']}, head {h['min']}/{h['median']}/{h['max']} "
                f"(min/median/max), head/base {data['head/base (medians)']}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
