"""The time limit is derived from the workload, the plan and the policy, so no workload the CLI
accepts yields a false violation under safe (a job unfinished at the limit is lost, not slow)."""

import pytest

from faultline import explore
from invariants import check_all
from runtime.core.faults import FaultPlan, PoisonJob, SlowJob, StoreOutage
from runtime.core.limits import time_limit_ms
from runtime.sim import run


@pytest.mark.parametrize("policy", ["naive", "safe"])
@pytest.mark.parametrize("jobs, workers", [(1, 1), (5, 1), (50, 4), (3000, 64), (2000, 1)])
def test_a_fault_free_run_holds_every_invariant_at_the_workload_extremes(policy, jobs, workers):
    record = run(explore.scenario_for(jobs, workers, FaultPlan()), explore.POLICIES[policy], 0)
    assert check_all(record) == ()
    assert record.closing["reason"] == "quiet"


@pytest.mark.parametrize("jobs, workers, seeds", [(5, 1, 150), (1, 1, 100), (50, 64, 60), (3000, 64, 3), (800, 1, 3)])
def test_safe_exploration_holds_at_the_workload_extremes(jobs, workers, seeds):
    assert explore.explore(policy_name="safe", seeds=seeds, jobs=jobs, workers=workers).findings == {}


def test_the_limit_grows_with_the_submit_window_the_faults_and_the_work_they_add():
    safe = explore.POLICIES["safe"]
    base = time_limit_ms(explore.scenario_for(50, 4, FaultPlan()), safe)
    longer = time_limit_ms(explore.scenario_for(3000, 4, FaultPlan()), safe)
    assert longer > base + 3000 * explore.SUBMIT_SPACING_MS  # the submit window alone is 60 s
    outage = FaultPlan(faults=(StoreOutage(start_ms=100, end_ms=2_100),))
    assert time_limit_ms(explore.scenario_for(50, 4, outage), safe) > base + 2_000
    slow_poison = FaultPlan(faults=(SlowJob(job="j1", duration_ms=4_000), PoisonJob(job="j1")))
    assert time_limit_ms(explore.scenario_for(50, 4, slow_poison), safe) > base + safe.max_attempts * 4_000
