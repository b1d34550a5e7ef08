"""Workflow workloads for the explorer (`faultline explore --workload FILE.yml`): the spec's DAG run
by a pool of workers and two dispatchers (scaled out, so that the dispatchers can race), and fault
plans drawn over the workflow's own actors, points and task jobs.

An on-demand spec runs once (`run-1`, triggered at 0 ms); a spec with a schedule runs two ticks under
two schedulers contending for the leader lock.
"""

from __future__ import annotations

import functools
import random
from pathlib import Path

import attrs

from faultline.explore.plans import (
    FAULT_KINDS,
    FAULTS_PER_KIND,
    KIND_PROBABILITY,
    LATER_KINDS,
    dead_letter_horizon_ms,
    draw_fault,
    reachable_only,
)
from runtime.core.errors import BadInputError
from runtime.core.faults import DISPATCHER_AFTER_FIRST_WRITE, SCHEDULER_BEFORE_TRIGGER, WORKER_POINTS, FaultPlan
from runtime.core.policy import Policy
from runtime.core.scenario import Scenario, reachable_points

DISPATCHERS = ("d1", "d2")
SCHEDULERS = ("s1", "s2")
TICKS = 2
# Kinds that name a client request: a workflow's tasks are not requests, so these can never fire.
NOT_FOR_TASKS = ("submit_timeout",)
ROLE_POINTS: dict[str, tuple[str, ...]] = {
    "dispatcher": (DISPATCHER_AFTER_FIRST_WRITE,),
    "scheduler": (SCHEDULER_BEFORE_TRIGGER,),
    "worker": WORKER_POINTS,
}


def workflow_workload(path: str, workers: int, plan: FaultPlan | None = None) -> Scenario:
    base = _workload(str(Path(path)), workers)
    return base if plan is None or plan == base.plan else base.with_plan(plan)


@functools.lru_cache(maxsize=16)
def _workload(path: str, workers: int) -> Scenario:
    from faultline.workflow_yaml import load

    if not Path(path).is_file():
        raise BadInputError(f"workflow spec {path!r} is not a file; pass one such as examples/etl_fanout.yml")
    spec = load(path)
    scheduled = spec.schedule_every_ms is not None
    return Scenario(
        name=f"workflow {spec.name} ({path}, {workers} workers)",
        jobs=(),
        workflow=spec,
        workers=tuple(f"w{n}" for n in range(1, workers + 1)),
        dispatchers=DISPATCHERS,
        triggers=() if scheduled else (0,),
        schedulers=SCHEDULERS if scheduled else (),
        ticks=TICKS if scheduled else 0,
        leader_lock=spec.schedule_lock,
    )


def draw_workflow_plan(seed: int, path: str, workers: int, policy: Policy) -> FaultPlan:
    """Swarm testing on a workflow: as `draw_plan`, over the workflow's actors and task jobs."""
    scenario = workflow_workload(path, workers)
    rng = random.Random(f"faultline-explore-workflow:{seed}")
    roles = {**{w: "worker" for w in scenario.workers}, **scenario.workflow_actors}
    actors = list(roles)
    jobs = list(scenario.task_jobs)
    spec = scenario.workflow
    assert spec is not None  # a workflow workload
    tasks = spec.tasks
    durations = sum(task.duration_ms for task in tasks)
    window_ms = durations + (scenario.ticks * (spec.schedule_every_ms or 0))
    dead_letters_ms = dead_letter_horizon_ms(policy, [(t.duration_ms, t.max_attempts, t.backoff_ms) for t in tasks])
    # Kinds added later (LATER_KINDS) are left out, so that every seed's workflow plan stays what it was.
    kinds = [
        k for k in FAULT_KINDS if k not in NOT_FOR_TASKS and k not in LATER_KINDS and (jobs or "job" not in _fields(k))
    ]
    enabled = [kind for kind in kinds if rng.random() < KIND_PROBABILITY]
    faults: list = []
    for kind in enabled:
        for _ in range(rng.randint(*FAULTS_PER_KIND)):
            fault = draw_fault(
                kind,
                rng,
                jobs=jobs,
                workers=list(scenario.workers),
                window_ms=window_ms,
                actors=actors,
                dead_letters_ms=dead_letters_ms,
            )
            role = roles.get(getattr(fault, "actor", ""), "")
            if kind in ("crash", "pause") and role != "worker":
                # The plan table draws a worker's point; aim it at one of this actor's own points (a
                # scheduler reaches its point once per tick it fires).
                point = rng.choice(ROLE_POINTS[role])
                hit = rng.randint(1, scenario.ticks) if role == "scheduler" else fault.hit
                fault = attrs.evolve(fault, point=point, hit=hit)
            faults.append(fault)
    return FaultPlan(faults=reachable_only(faults, reachable_points(scenario, policy)))


def _fields(kind: str) -> tuple[str, ...]:
    from faultline.explore.plans import FAULT_DRAWS

    return tuple(str(spec) for spec in FAULT_DRAWS[kind].values())
