"""Faultline's simulator vs SimPy doing the same work, in the same process.

The workload: N jobs submitted at t=0 to 8 workers; each worker leases a job (a fresh token, an
attempt, a 1 s lease), runs it for 100 ms + a 0-20 ms draw from its own random stream, commits the
charge and acks; no faults. Four implementations run it, under the same GC policy (collector paused
while running, as Faultline's run() does):

- faultline:        runtime.sim.run() itself, every invariant-relevant record included;
- simpy_equal_work: SimPy processes doing Faultline's exact bookkeeping (benchmarks/README.md walks
                    through it line by line): the same events with the same details, the same ledger
                    rows, call log, lease expiry heap, fence table, header and final state;
- simpy_light:      SimPy with only a tuple per event (what a first benchmark compared against);
- floor:            a hand-written heapq loop with the equal-work bookkeeping and no processes.

Reports jobs per second of wall time for each; never asserts a time.

    python benchmarks/bench_vs_simpy.py [--sizes 5000 50000] [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import collections
import gc
import heapq
import json
import random
import time
from typing import Any, NamedTuple

import simpy

from runtime.core.policy import Policy
from runtime.core.scenario import JobSpec, Scenario
from runtime.sim import run

WORKERS = 8
LEASE_MS = 1_000
DURATION_MS = 100
JITTER_MS = 20
POLL_MS = 50
POLICY = Policy.naive().evolve(lease_ms=LEASE_MS)


def faultline_workload(jobs: int) -> Scenario:
    """Built once, outside the timed region (the other sides have no setup to time either)."""
    return Scenario(
        name="bench",
        jobs=tuple(JobSpec(job_id=f"j{n}", payload={"amount": n}) for n in range(jobs)),
        workers=tuple(f"w{n}" for n in range(WORKERS)),
    )


def faultline_once(scenario: Scenario, seed: int) -> int:
    return len(run(scenario, POLICY, seed).final["ledger"])


class Event(NamedTuple):  # the same record Faultline keeps
    index: int  # type: ignore[assignment]  # as runtime.core.history.Event: it shadows tuple.index
    time_ms: int
    kind: str
    actor: str
    job_id: str | None = None
    attempt: int | None = None
    token: int | None = None
    detail: Any = None


class Book:
    """Faultline's per-job bookkeeping, for the SimPy side and the floor: messages, attempts, tokens,
    lease expiries, the fence table, the history, the ledger and the store's call log."""

    def __init__(self, jobs: int, seed: int) -> None:
        self.events: list[Event] = []
        self.messages: dict[int, dict] = {}
        self.attempts: dict[str, int] = {}
        self.expiries: list[tuple[int, int, int]] = []
        self.fences: dict[str, int] = {}
        self.ledger: list[dict] = []
        self.calls: list[tuple] = []
        self.token = 0
        self.streams = {f"w{n}": random.Random(f"{seed}:w{n}") for n in range(WORKERS)}
        self.requests = [
            {"request": f"j{n}", "key": None, "business_row": False} for n in range(jobs)
        ]  # the header's list

    def record(self, now, kind, actor, job_id=None, attempt=None, token=None, **detail):
        self.events.append(Event(len(self.events), now, kind, actor, job_id, attempt, token, detail))

    def header(self, seed):
        self.record(0, "run_started", "lab", seed=seed, policy=POLICY.to_dict(), requests=self.requests,
                    workers=list(self.streams))  # fmt: skip

    def enqueue(self, now, n, message_id):
        job_id = f"j{n}"
        payload = {"amount": n}
        self.messages[message_id] = {"job_id": job_id, "payload": payload, "state": "ready"}
        self.attempts.setdefault(job_id, 0)
        self.record(now, "submitted", "client", job_id, message=message_id, request=job_id, key=None,
                    payload=payload, outbox=False)  # fmt: skip

    def lease(self, now, worker, message_id):
        message = self.messages[message_id]
        job_id = message["job_id"]
        attempt = self.attempts[job_id] = self.attempts[job_id] + 1
        self.token += 1
        expires = now + LEASE_MS
        message.update(state="leased", owner=worker, token=self.token)
        self.fences[job_id] = self.token
        heapq.heappush(self.expiries, (expires, self.token, message_id))
        self.record(now, "leased", worker, job_id, attempt, self.token, message=message_id, lease_expires_at_ms=expires)
        return job_id, attempt, self.token, message["payload"]

    def finish(self, now, worker, message_id, job_id, attempt, token, payload):
        row = {"job_id": job_id, "token": token, "request": job_id, "idempotency_key": None,
               "effect": "charge", "amount": payload["amount"]}  # fmt: skip
        if token >= self.fences.get(job_id, 0):
            self.ledger.append(row)
        self.record(now, "effect_committed", worker, job_id, attempt, token, request=job_id, effect="charge",
                    amount=payload["amount"])  # fmt: skip
        self.calls.append((now, worker, "commit_effect", "committed"))
        del self.messages[message_id]
        self.record(now, "acked", worker, job_id, attempt, token, on_receipt=False)

    def close(self, now):
        final = {"ledger": self.ledger, "messages": [], "attempts": self.attempts, "store_calls": self.calls}
        self.record(now, "run_ended", "lab", reason="quiet", final=final)
        return len(self.ledger)


class DequeStore(simpy.Store):
    """simpy.Store pops from the front of a list (O(n)); a deque keeps SimPy's side O(1) per get."""

    def __init__(self, env):
        super().__init__(env)
        self.items = collections.deque()

    def _do_get(self, event):
        if self.items:
            event.succeed(self.items.popleft())


def simpy_equal_work(jobs: int, seed: int) -> int:
    env = simpy.Environment()
    book = Book(jobs, seed)
    queue = DequeStore(env)
    book.header(seed)

    def client():
        for n in range(jobs):
            book.enqueue(env.now, n, n + 1)
            queue.put(n + 1)
        yield env.timeout(0)

    def worker(name: str):
        draw = book.streams[name].randint
        while True:
            message_id = yield queue.get()
            job_id, attempt, token, payload = book.lease(env.now, name, message_id)
            book.record(env.now, "started", name, job_id, attempt, token)
            yield env.timeout(DURATION_MS + draw(0, JITTER_MS))
            book.finish(env.now, name, message_id, job_id, attempt, token, payload)

    env.process(client())
    for n in range(WORKERS):
        env.process(worker(f"w{n}"))
    env.run()
    return book.close(env.now)


def simpy_light(jobs: int, seed: int) -> int:
    env = simpy.Environment()
    rng = random.Random(seed)
    queue = DequeStore(env)
    log: list[tuple] = []
    ledger: list[dict] = []

    def client():
        for n in range(jobs):
            queue.put((f"j{n}", {"amount": n}))
            log.append((env.now, "submitted", "client", f"j{n}"))
        yield env.timeout(0)

    def worker(name: str):
        token = 0
        while True:
            job_id, payload = yield queue.get()
            token += 1
            log.append((env.now, "leased", name, job_id, 1, token, env.now + LEASE_MS))
            log.append((env.now, "started", name, job_id))
            yield env.timeout(DURATION_MS + rng.randint(0, JITTER_MS))
            ledger.append({"job_id": job_id, "effect": "charge", "amount": payload["amount"]})
            log.append((env.now, "effect_committed", name, job_id))
            log.append((env.now, "acked", name, job_id))

    env.process(client())
    for n in range(WORKERS):
        env.process(worker(f"w{n}"))
    env.run()
    return len(ledger)


def floor(jobs: int, seed: int) -> int:
    """The equal-work bookkeeping driven by a bare heapq loop: no processes, no generators."""
    book = Book(jobs, seed)
    book.header(seed)
    for n in range(jobs):
        book.enqueue(0, n, n + 1)
    ready = collections.deque(range(1, jobs + 1))
    heap: list[tuple[int, int, str, Any]] = [(0, k, f"w{k}", None) for k in range(WORKERS)]  # (time, seq, worker, job)
    seq = WORKERS
    now = 0
    while heap:
        now, _, name, held = heapq.heappop(heap)
        if held is not None:
            book.finish(now, name, *held)
        if not ready:
            continue
        message_id = ready.popleft()
        job_id, attempt, token, payload = book.lease(now, name, message_id)
        book.record(now, "started", name, job_id, attempt, token)
        seq += 1
        duration = DURATION_MS + book.streams[name].randint(0, JITTER_MS)
        heapq.heappush(heap, (now + duration, seq, name, (message_id, job_id, attempt, token, payload)))
    return book.close(now)


def seconds_once(fn, arg, jobs: int, attempt: int) -> float:
    gc.collect()
    paused = gc.isenabled()
    gc.disable()  # the same GC policy on every side
    try:
        began = time.perf_counter()
        done = fn(arg, attempt)
        elapsed = time.perf_counter() - began
    finally:
        if paused:
            gc.enable()
    assert done == jobs, f"{fn.__name__} finished {done} of {jobs} jobs"
    return elapsed


def measure(jobs: int, repeat: int) -> dict:
    """Each side's best of `repeat` rounds; the rounds interleave the sides, so that a slow spell of
    the machine slows every side alike."""
    sides = {
        "faultline": (faultline_once, faultline_workload(jobs)),
        "simpy_equal_work": (simpy_equal_work, jobs),
        "simpy_light": (simpy_light, jobs),
        "floor": (floor, jobs),
    }
    best = dict.fromkeys(sides, float("inf"))
    for attempt in range(repeat):
        for side, (fn, arg) in sides.items():
            best[side] = min(best[side], seconds_once(fn, arg, jobs, attempt))
    rate = {side: jobs / seconds for side, seconds in best.items()}
    return {
        "jobs": jobs,
        "workers": WORKERS,
        "faultline_jobs_per_s": round(rate["faultline"]),
        "simpy_equal_work_jobs_per_s": round(rate["simpy_equal_work"]),
        "ratio_equal_work": round(rate["faultline"] / rate["simpy_equal_work"], 2),
        "simpy_light_jobs_per_s": round(rate["simpy_light"]),
        "floor_jobs_per_s": round(rate["floor"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 50_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = [measure(jobs, args.repeat) for jobs in args.sizes]
    if args.json:
        print(json.dumps({str(r["jobs"]): r for r in results}, indent=2))
        return
    for r in results:
        print(
            f"{r['jobs']:>6} jobs, {r['workers']} workers: faultline {r['faultline_jobs_per_s']:,} jobs/s; "
            f"simpy equal work {r['simpy_equal_work_jobs_per_s']:,} (ratio {r['ratio_equal_work']}x); "
            f"simpy light {r['simpy_light_jobs_per_s']:,}; floor {r['floor_jobs_per_s']:,}"
        )


if __name__ == "__main__":
    main()
