"""Property tests: Hypothesis draws fault plans (and shrinks failing ones) for a small workload."""

from hypothesis import given, settings

from faultline.explore.plans import POLICIES, scenario_for
from invariants import SAFETY, check_all
from invariants.registry import REGISTRY
from runtime.sim import run
from tests.strategies import fault_plans


@given(plan=fault_plans(jobs=8, workers=3))
def test_safe_policy_never_breaks_a_safety_invariant(plan):
    result = run(scenario_for(8, 3, plan), POLICIES["safe"], 0)
    broken = [v.message for v in check_all(result) if REGISTRY[v.invariant].kind == SAFETY]
    assert broken == []


@given(plan=fault_plans(jobs=8, workers=3))
def test_safe_policy_finishes_every_job_once_faults_stop(plan):
    result = run(scenario_for(8, 3, plan), POLICIES["safe"], 0)
    assert [v.message for v in check_all(result)] == []


@settings(max_examples=30)  # an identity pin (tests/sim/test_determinism.py holds it across processes)
@given(plan=fault_plans(jobs=8, workers=3))
def test_the_same_plan_gives_the_same_digest_twice(plan):
    assert (
        run(scenario_for(8, 3, plan), POLICIES["naive"], 5).digest
        == run(scenario_for(8, 3, plan), POLICIES["naive"], 5).digest
    )
