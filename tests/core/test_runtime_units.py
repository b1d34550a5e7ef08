"""The engine's parts on their own: clock, scheduler, fault plans, policies, history."""

import json
import random

import pytest

from runtime.core.errors import FaultPlanError, PolicyError
from runtime.core.faults import (
    Crash,
    CrashJob,
    DuplicateDelivery,
    FaultPlan,
    Pause,
    StoreOutage,
)
from runtime.core.history import digest, from_jsonl, to_jsonl
from runtime.core.policy import Policy
from runtime.sim.clock import VirtualClock
from runtime.sim.injector import FaultInjector
from runtime.sim.queue import RetryBudget
from runtime.sim.scheduler import Scheduler
from runtime.sim.sink import History


def test_clock_only_moves_forward():
    clock = VirtualClock()
    clock.advance_to(10)
    with pytest.raises(ValueError, match="time can't go backwards: 5 < 10"):
        clock.advance_to(5)


def test_scheduler_orders_by_time_then_by_spawn_order():
    scheduler = Scheduler()
    trace = []

    def proc(name, delays):
        for delay in delays:
            trace.append((scheduler.clock.now_ms, name))
            yield delay
        trace.append((scheduler.clock.now_ms, name))

    scheduler.spawn(proc("a", [10, 10]))
    scheduler.spawn(proc("b", [20]))
    scheduler.spawn(proc("c", []), delay_ms=10)
    scheduler.run(until_ms=100)
    # c was scheduled for t=10 before a re-scheduled itself for t=10, so c runs first.
    assert trace == [(0, "a"), (0, "b"), (10, "c"), (10, "a"), (20, "b"), (20, "a")]


def test_scheduler_rejects_a_negative_delay():
    scheduler = Scheduler()

    def backwards():
        yield -5

    scheduler.spawn(backwards())
    with pytest.raises(ValueError, match="a process can't sleep a negative time: -5 ms"):
        scheduler.run(until_ms=100)
    with pytest.raises(ValueError, match="can't start in the past"):
        scheduler.spawn(backwards(), delay_ms=-1)


def test_scheduler_stops_at_the_horizon():
    scheduler = Scheduler()

    def forever():
        while True:
            yield 7

    scheduler.spawn(forever())
    assert scheduler.run(until_ms=100) == 100


def test_fault_plan_round_trips_through_json():
    plan = FaultPlan(
        faults=(
            Crash(actor="w1", point="worker.after_commit", hit=2),
            Pause(actor="w2", point="worker.before_commit", duration_ms=500),
            DuplicateDelivery(job="j3"),
            StoreOutage(start_ms=200, end_ms=900),
        )
    )
    assert FaultPlan.from_json(plan.to_json()) == plan


@pytest.mark.parametrize(
    "text, message",
    [
        ("{", "fault plan is not valid JSON"),
        ('{"faults": 3}', '"faults" must be a JSON list'),
        ('{"fault": []}', 'a fault plan is a JSON object {"faults": \\[...\\]}'),
        (
            '{"faults": [{"kind": "crash", "actor": "w1"}]}',
            "fault #1 \\(crash\\): missing field 'point'",
        ),
        (
            '{"faults": [{"kind": "crash", "actor": "w1", "point": "nowhere"}]}',
            "unknown fault point 'nowhere'",
        ),
        (
            '{"faults": [{"kind": "store_outage", "start_ms": 5, "end_ms": 1}]}',
            "end_ms \\(1\\) must be after start_ms \\(5\\)",
        ),
        (
            '{"faults": [{"kind": "store_outage", "start_ms": "5", "end_ms": 9}]}',
            "field 'start_ms' must be int, got '5'",
        ),
        (
            '{"faults": [{"kind": "duplicate_delivery", "job": "j1", "when": 3}]}',
            "unknown field 'when'",
        ),
    ],
)
def test_malformed_fault_plans_are_named_precisely(text, message):
    with pytest.raises(FaultPlanError, match=message):
        FaultPlan.from_json(text)


def test_injector_fires_on_the_planned_hit_only():
    injector = FaultInjector(FaultPlan(faults=(Crash(actor="w1", point="worker.after_lease", hit=2),)), VirtualClock())
    assert injector.at("worker.after_lease", "w1", "j1") is None
    assert isinstance(injector.at("worker.after_lease", "w1", "j2"), Crash)
    assert injector.at("worker.after_lease", "w1", "j3") is None
    assert injector.at("worker.after_lease", "w2", "j1") is None


def test_injector_crashes_every_worker_that_runs_a_doomed_job():
    injector = FaultInjector(FaultPlan(faults=(CrashJob(job="j3", point="worker.before_commit"),)), VirtualClock())
    assert isinstance(injector.at("worker.before_commit", "w1", "j3"), CrashJob)
    assert isinstance(injector.at("worker.before_commit", "w2", "j3"), CrashJob)
    assert injector.at("worker.after_lease", "w1", "j3") is None
    assert injector.at("worker.before_commit", "w1", "j4") is None


def test_policy_rejects_unknown_and_badly_typed_fields():
    with pytest.raises(PolicyError, match="unknown policy field 'lease' \\(fields: "):
        Policy.naive().with_overrides({"lease": "5"})
    with pytest.raises(PolicyError, match="lease_ms = 'soon' must be an integer"):
        Policy.naive().with_overrides({"lease_ms": "soon"})
    with pytest.raises(PolicyError, match="ack_mode = 'never' is not allowed"):
        Policy.naive().evolve(ack_mode="never")
    assert Policy.naive().with_overrides({"lease_ms": "none", "fencing": "true"}).fencing


def test_backoff_is_exponential_capped_and_jittered_from_the_workers_stream():
    policy = Policy.naive().evolve(backoff="exponential", backoff_base_ms=100, backoff_max_ms=500)
    rng = random.Random(1)
    assert [policy.backoff_delay_ms(n, rng) for n in range(1, 6)] == [100, 200, 400, 500, 500]
    full = [policy.evolve(jitter="full").backoff_delay_ms(4, random.Random(seed)) for seed in range(50)]
    assert all(0 <= d <= 500 for d in full) and len(set(full)) > 10
    equal = [policy.evolve(jitter="equal").backoff_delay_ms(4, random.Random(seed)) for seed in range(50)]
    assert all(250 <= d <= 500 for d in equal) and len(set(equal)) > 10
    assert policy.evolve(jitter="equal").backoff_range_ms(2) == (100, 200)


def test_safe_preset_differs_from_naive_in_every_protective_field():
    changed = set(Policy.naive().differences(Policy.safe()))
    assert {
        "idempotent_effects",
        "dedupe_submissions",
        "lease_ms",
        "fencing",
        "outbox",
        "retry_on_store_error",
        "max_attempts",
        "jitter",
    } <= changed


def test_history_jsonl_round_trips_and_digest_is_stable():
    clock = VirtualClock()
    log = History(clock)
    log.record_detail("submitted", "client", "j1", None, None, {"payload": {"amount": 1}, "key": None})
    clock.advance_to(5)
    log.record("leased", "w1", "j1", 1, 1, 1, None)  # detail values in KEYS order: message, lease expiry
    text = to_jsonl(log.events)
    assert text.splitlines()[1] == (
        '{"actor":"w1","attempt":1,"detail":{"lease_expires_at_ms":null,"message":1},"index":1,'
        '"job_id":"j1","kind":"leased","time_ms":5,"token":1}'
    )
    assert from_jsonl(text) == tuple(log.events)
    assert digest(from_jsonl(text)) == digest(log.events)
    assert all(json.loads(line) for line in text.splitlines())


@pytest.mark.parametrize("per_s", [1, 5])
def test_the_retry_budget_fills_each_second_then_the_next(per_s):
    budget = RetryBudget(per_s)
    slots = [budget.slot(2_345) for _ in range(3 * per_s)]
    assert slots == [2_345] * per_s + [3_345] * per_s + [4_345] * per_s
    assert budget.slot(2_999) == 5_999 and budget.slot(9_001) == 9_001  # same offset; a free second is taken


def test_the_retry_budget_costs_the_same_per_retry_at_1k_and_10k_failing_jobs():
    """Not a wall time: the seconds looked at per retry, when every job's retry asks for the same
    second (the worst case). Walking second by second made this grow with the number of jobs."""

    def probes_per_retry(jobs: int) -> float:
        budget = RetryBudget(5)
        for attempt in range(3):  # every job fails three times
            for _ in range(jobs):
                budget.slot(1_000 * attempt)
        return budget.probes / (3 * jobs)

    small, large = probes_per_retry(1_000), probes_per_retry(10_000)
    assert large <= 1.5 * small, (small, large)


def test_a_lost_publish_needs_a_broker_and_a_request_of_the_scenario():
    from faultline.catalog import find
    from runtime.core.errors import BadInputError
    from runtime.core.faults import FaultPlan, LostPublish
    from runtime.core.scenario import validate_plan

    brokered, plain = find("FM_027"), find("FM_001")
    validate_plan(brokered.scenario, brokered.policy(fixed=False))
    lost = FaultPlan(faults=(LostPublish(job="j1"),))
    with pytest.raises(BadInputError, match="no broker to lose a publish on"):
        validate_plan(plain.scenario, plain.policy(fixed=False), lost)
    with pytest.raises(BadInputError, match="unknown job 'j9'"):
        validate_plan(brokered.scenario, brokered.policy(fixed=False), FaultPlan(faults=(LostPublish(job="j9"),)))
