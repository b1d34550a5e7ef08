"""Faultline's engine vs SimPy on the same job workload, in the same process.

N jobs, W workers: each worker leases a job, executes it (100 ms + 0-20 ms jitter from a seeded
RNG), commits its effect and acks; no faults. Both sides record the same lifecycle events.
Reports jobs per second of wall time for each and their ratio; never asserts a wall time.

    python benchmarks/bench_vs_simpy.py [--jobs N] [--workers W] [--repeat K] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import time

import simpy

from runtime.core.policy import Policy
from runtime.core.scenario import JobSpec, Scenario
from runtime.sim import run

POLICY = Policy.naive().evolve(lease_ms=1_000)


def faultline_workload(jobs: int, workers: int) -> Scenario:
    """Built once, outside the timed region (SimPy's side has no setup to time either)."""
    return Scenario(
        name="bench",
        jobs=tuple(JobSpec(job_id=f"j{n}", payload={"amount": n}) for n in range(jobs)),
        workers=tuple(f"w{n}" for n in range(workers)),
    )


def faultline_once(scenario: Scenario, seed: int) -> int:
    return len(run(scenario, POLICY, seed).final.ledger)


def simpy_once(workload: tuple[int, int], seed: int) -> int:
    jobs, workers = workload
    env = simpy.Environment()
    rng = random.Random(seed)
    queue = simpy.Store(env)
    log: list[tuple] = []
    ledger: list[dict] = []

    def client():
        for n in range(jobs):
            queue.put((f"j{n}", {"amount": n}))
            log.append((env.now, "submitted", "client", f"j{n}"))
        yield env.timeout(0)

    def worker(name: str):
        attempt_token = 0
        while True:
            job_id, payload = yield queue.get()
            attempt_token += 1
            log.append((env.now, "leased", name, job_id, 1, attempt_token, env.now + 1_000))
            log.append((env.now, "started", name, job_id))
            yield env.timeout(100 + rng.randint(0, 20))
            ledger.append({"job_id": job_id, "effect": "charge", "amount": payload["amount"]})
            log.append((env.now, "effect_committed", name, job_id))
            log.append((env.now, "acked", name, job_id))

    env.process(client())
    for n in range(workers):
        env.process(worker(f"w{n}"))
    env.run()
    return len(ledger)


def best_jobs_per_second(fn, workload, jobs: int, repeat: int) -> float:
    best = float("inf")
    for attempt in range(repeat):
        began = time.perf_counter()
        done = fn(workload, attempt)
        best = min(best, time.perf_counter() - began)
        assert done == jobs, f"{fn.__name__} finished {done} of {jobs} jobs"
    return jobs / best


def engine_steps_per_second(steps: int = 200_000, processes: int = 8) -> tuple[float, float]:
    """The engines alone: P processes that only sleep, Faultline's Scheduler vs simpy.Environment."""
    from runtime.sim.scheduler import Scheduler

    def faultline_engine() -> float:
        scheduler = Scheduler()

        def sleeper(n):
            for _ in range(n):
                yield 100

        for _ in range(processes):
            scheduler.spawn(sleeper(steps // processes))
        began = time.perf_counter()
        scheduler.run(10**15)
        return time.perf_counter() - began

    def simpy_engine() -> float:
        env = simpy.Environment()

        def sleeper(n):
            for _ in range(n):
                yield env.timeout(100)

        for _ in range(processes):
            env.process(sleeper(steps // processes))
        began = time.perf_counter()
        env.run()
        return time.perf_counter() - began

    return steps / min(faultline_engine() for _ in range(3)), steps / min(simpy_engine() for _ in range(3))


def measure(jobs: int = 5_000, workers: int = 8, repeat: int = 7) -> dict:
    faultline = best_jobs_per_second(faultline_once, faultline_workload(jobs, workers), jobs, repeat)
    reference = best_jobs_per_second(simpy_once, (jobs, workers), jobs, repeat)
    engine, simpy_engine = engine_steps_per_second()
    return {
        "jobs": jobs,
        "workers": workers,
        "faultline_jobs_per_s": round(faultline),
        "simpy_jobs_per_s": round(reference),
        "ratio": round(faultline / reference, 2),
        "engine_ratio": round(engine / simpy_engine, 2),
        "faultline_engine_steps_per_s": round(engine),
        "simpy_engine_steps_per_s": round(simpy_engine),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5_000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.jobs, args.workers, args.repeat)
    if args.json:
        print(json.dumps({k: result[k] for k in ("faultline_jobs_per_s", "simpy_jobs_per_s", "ratio")}))
    else:
        print(
            f"same workload ({result['jobs']} jobs, {result['workers']} workers, no faults): "
            f"faultline {result['faultline_jobs_per_s']:,} jobs/s, simpy {result['simpy_jobs_per_s']:,} jobs/s, "
            f"ratio {result['ratio']}x"
        )
        print(
            f"engines alone (8 sleeping processes): faultline {result['faultline_engine_steps_per_s']:,} steps/s, "
            f"simpy {result['simpy_engine_steps_per_s']:,} steps/s, ratio {result['engine_ratio']}x"
        )


if __name__ == "__main__":
    main()
