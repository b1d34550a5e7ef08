"""The simulator's fast lane (workers no fault can reach run the worker protocol inlined, without
effects) changes nothing: every FM and explored seed gives the same digest either way."""

import pytest

from faultline import explore
from faultline.catalog import catalog
from runtime.sim import run


@pytest.mark.parametrize("mode", catalog(), ids=lambda m: m.id)
def test_every_fm_run_is_byte_identical_with_and_without_the_fast_lane(mode):
    for fixed in (False, True):
        scenario, policy = mode.scenario, mode.policy(fixed=fixed)
        assert run(scenario, policy, 3, fast_lane=True).digest == run(scenario, policy, 3, fast_lane=False).digest


@pytest.mark.parametrize("policy_name", ["naive", "safe"])
def test_explored_seeds_are_byte_identical_with_and_without_the_fast_lane(policy_name):
    policy = explore.policy_named(policy_name)
    for seed in range(40):
        scenario = explore.scenario_for(20, 3, explore.draw_plan(seed, 20, 3, policy))
        assert run(scenario, policy, seed, fast_lane=True).digest == run(scenario, policy, seed, fast_lane=False).digest
