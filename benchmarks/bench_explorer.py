"""Explorer throughput on the standard workload (50 jobs, 4 workers), as `faultline explore` runs it.

Each seed draws its fault plan, runs the workload and checks every invariant. Reported, never
asserted (benchmarks/README.md explains each number):

- seeds per CPU-second (process time) and per wall-second, safe and naive, on one process;
- the explored-seed overhead: the CPU an explored safe seed takes (its plan drawn, the workload run
  with it, every invariant checked) over the CPU of a plain run of the same workload (no faults, no
  checks), best of interleaved rounds;
- seeds per wall-second on 2 processes (`--processes 2`) and on a local Dask cluster of 2 workers,
  with the speedup over one process (meaningful only on an otherwise idle machine);
- for naive, the seeds it takes to find each invariant it reaches, over 5 start offsets (median);
- the retry budget's cost per job with every job failing 3 times, at 1,000 and 10,000 jobs.

    python benchmarks/bench_explorer.py [--seeds N] [--naive-seeds N] [--no-dask] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

from faultline.explore import DEFAULT_JOBS, DEFAULT_WORKERS, Sweep, explore, scenario_for
from runtime.core.faults import FaultPlan
from runtime.core.policy import Policy
from runtime.core.record import gc_paused
from runtime.core.scenario import JobSpec, Scenario
from runtime.sim import run

OFFSETS = (0, 10_000, 20_000, 30_000, 40_000)
FIND_WITHIN = 60  # seeds explored from each offset when counting seeds to first find


def throughput(policy: str, seeds: int, **where) -> dict:
    """One sweep, timed by the wall clock and, on one process, by the process clock (CPU time: what
    the sweep costs, whatever else the machine runs). Other processes' CPU time is not ours to read."""
    cpu, wall = time.process_time(), time.perf_counter()
    report = explore(policy_name=policy, seeds=seeds, **where)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    result = {"seeds": report.seeds, "seeds_per_wall_s": round(report.seeds / wall, 1)}
    if not where:
        result["seeds_per_cpu_s"] = round(report.seeds / cpu, 1)
    result["violating_seeds"] = max((d["count"] for d in report.findings.values()), default=0)
    return result


def explored_overhead(seeds: int) -> dict:
    """An explored safe seed's CPU over a plain run's. Seed by seed, the two alternate - a plain run of
    the standard workload (safe policy, no fault planned, nothing checked), then the seed as the
    explorer runs it (its plan drawn, the workload run with it, every invariant checked) - so that a
    slow spell of the machine weighs on both sides alike."""
    sweep = Sweep(policy_name="safe")
    scenario, policy = scenario_for(DEFAULT_JOBS, DEFAULT_WORKERS, FaultPlan()), sweep.policy()
    plain = explored = 0.0
    clock = time.process_time
    with gc_paused():
        for seed in range(seeds):
            began = clock()
            run(scenario, policy, seed)
            middle = clock()
            sweep.run_seed(seed)
            plain, explored = plain + middle - began, explored + clock() - middle
    return {
        "seeds": seeds,
        "plain_runs_per_cpu_s": round(seeds / plain, 1),
        "explored_safe_seeds_per_cpu_s": round(seeds / explored, 1),
        "explored_seed_over_plain_run": round(explored / plain, 2),
    }


def best_of(rounds: int, policy: str, seeds: int, **where) -> dict:
    """The best of `rounds` sweeps (the least disturbed by the rest of the machine)."""
    return max((throughput(policy, seeds, **where) for _ in range(rounds)), key=lambda r: r["seeds_per_wall_s"])


def seeds_to_first_find() -> dict:
    """For naive: how many seeds from each start offset until each invariant is first violated."""
    found: dict[str, list[int | None]] = {}
    for n, offset in enumerate(OFFSETS):
        report = explore(policy_name="naive", seeds=FIND_WITHIN, start=offset)
        for invariant, data in report.findings.items():
            found.setdefault(invariant, [None] * len(OFFSETS))[n] = data["first_seed"] - offset + 1
    return {
        invariant: {
            "per_offset": counts,
            "median": statistics.median(c if c is not None else FIND_WITHIN + 1 for c in counts),
        }
        for invariant, counts in sorted(found.items())
    }


def retry_budget_cost() -> dict:
    """Microseconds of simulation per job when every job fails 3 times under a 5/s retry budget."""

    def per_job(jobs: int) -> float:
        scenario = Scenario(
            name=f"{jobs} jobs failing 3 times",
            jobs=tuple(JobSpec(job_id=f"j{n}", payload={"fail_n_times": 3}, duration_ms=20) for n in range(jobs)),
            workers=("w1", "w2", "w3", "w4"),
        )
        policy = Policy.safe().evolve(max_attempts=4)
        began = time.process_time()
        record = run(scenario, policy, 0)
        elapsed = time.process_time() - began
        assert len(record.final["ledger"]) == jobs, "every job must finish on its fourth attempt"
        return elapsed / jobs * 1e6

    small, large = per_job(1_000), per_job(10_000)
    return {"us_per_job_1k": round(small, 1), "us_per_job_10k": round(large, 1), "ratio": round(large / small, 2)}


def dask_sweeps(seeds: int, naive_seeds: int) -> dict:
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        explore(policy_name="safe", seeds=20, dask_address=address)  # warm the workers up, untimed
        return {
            "safe": throughput("safe", seeds, dask_address=address),
            "naive": throughput("naive", naive_seeds, dask_address=address),
        }


def measure(seeds: int, naive_seeds: int, dask: bool, rounds: int = 3) -> dict:
    one = {"safe": best_of(rounds, "safe", seeds), "naive": best_of(rounds, "naive", naive_seeds)}
    two = {
        "safe": best_of(rounds, "safe", seeds, processes=2),
        "naive": best_of(rounds, "naive", naive_seeds, processes=2),
    }
    for policy, data in two.items():
        data["speedup_over_one_process"] = round(data["seeds_per_wall_s"] / one[policy]["seeds_per_wall_s"], 2)
    result = {
        "workload": {"jobs": DEFAULT_JOBS, "workers": DEFAULT_WORKERS},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "one_process": one,
        "overhead": explored_overhead(min(seeds, 1000)),
        "processes_2": two,
        "naive_seeds_to_first_find": seeds_to_first_find(),
        "retry_budget": retry_budget_cost(),
    }
    if dask:
        on_dask = result["dask_2_workers"] = dask_sweeps(seeds, naive_seeds)
        for policy, data in on_dask.items():
            data["speedup_over_one_process"] = round(data["seeds_per_wall_s"] / one[policy]["seeds_per_wall_s"], 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2000, help="safe seeds per sweep")
    parser.add_argument("--naive-seeds", type=int, default=300, help="naive seeds per sweep")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask cluster (needs the dask extra)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.seeds, args.naive_seeds, dask=not args.no_dask)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"standard workload: {DEFAULT_JOBS} jobs, {DEFAULT_WORKERS} workers; {os.cpu_count()} CPUs")
    for policy, data in result["one_process"].items():
        print(
            f"  {policy:5}  one process: {data['seeds_per_cpu_s']:7.1f} seeds/CPU-s, "
            f"{data['seeds_per_wall_s']:7.1f} seeds/wall-s"
        )
    overhead = result["overhead"]
    print(
        f"  explored safe seed / plain run: {overhead['explored_seed_over_plain_run']}x CPU "
        f"({overhead['explored_safe_seeds_per_cpu_s']} seeds/CPU-s, "
        f"{overhead['plain_runs_per_cpu_s']} plain runs/CPU-s)"
    )
    for where in ("processes_2", "dask_2_workers"):
        for policy, data in result.get(where, {}).items():
            print(
                f"  {policy:5}  {where}: {data['seeds_per_wall_s']:7.1f} seeds/wall-s "
                f"({data['speedup_over_one_process']}x one process)"
            )
    print("  naive, seeds to first find (median over 5 start offsets):")
    for invariant, data in result["naive_seeds_to_first_find"].items():
        print(f"    {invariant}: {data['median']} (per offset: {data['per_offset']})")
    budget = result["retry_budget"]
    print(
        f"  retry budget, every job failing 3 times: {budget['us_per_job_1k']} us/job at 1k jobs, "
        f"{budget['us_per_job_10k']} us/job at 10k ({budget['ratio']}x)"
    )


if __name__ == "__main__":
    main()
