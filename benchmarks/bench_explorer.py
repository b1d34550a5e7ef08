"""Explorer throughput: seeds per second on one core, on the standard workload (50 jobs, 4 workers).

Each seed draws its fault plan, runs the workload and checks every invariant, exactly as
`faultline explore` does. Reports seeds/s per policy; never asserts a wall time.

    python benchmarks/bench_explorer.py [--seeds N] [--json]
"""

from __future__ import annotations

import argparse
import json
import time

from faultline.explore import DEFAULT_JOBS, DEFAULT_WORKERS, explore


def measure(seeds: int = 500) -> dict:
    results = {}
    for policy in ("naive", "safe"):
        began = time.perf_counter()
        report = explore(policy_name=policy, seeds=seeds)
        elapsed = time.perf_counter() - began
        results[policy] = {
            "seeds": seeds,
            "seeds_per_second": round(seeds / elapsed, 1),
            "violating_seeds": max((d["count"] for d in report.findings.values()), default=0),
        }
    return {"jobs": DEFAULT_JOBS, "workers": DEFAULT_WORKERS, "per_core": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=500)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.seeds)
    if args.json:
        print(json.dumps(result))
        return
    for policy, data in result["per_core"].items():
        print(
            f"explorer, {policy} policy ({result['jobs']} jobs, {result['workers']} workers): "
            f"{data['seeds_per_second']} seeds/s on one core"
        )


if __name__ == "__main__":
    main()
