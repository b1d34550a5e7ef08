"""The simulator's shortcuts change nothing: the fast lane (workers no fault can reach run the
worker protocol inlined, without effects) and skipping idle polls (ticks that would find nothing)
give byte-identical histories, for every FM and for explored seeds under several policies and sizes."""

import pytest

from faultline import explore
from faultline.catalog import catalog
from runtime.sim import run

pytestmark = pytest.mark.drill  # an identity pin, not a judge: make drills (make mutants leaves it out)


def same_bytes(scenario, policy, seed):
    with_shortcuts = run(scenario, policy, seed, shortcuts=True)
    assert with_shortcuts.digest == run(scenario, policy, seed, shortcuts=False).digest
    return with_shortcuts


@pytest.mark.parametrize("mode", catalog(), ids=lambda m: m.id)
def test_every_fm_run_is_byte_identical_with_and_without_shortcuts(mode):
    for fixed in (False, True):
        for seed in (0, 3):
            same_bytes(mode.scenario, mode.policy(fixed=fixed), seed)


@pytest.mark.parametrize(
    "policy_name, jobs, workers",
    [("naive", 20, 3), ("safe", 20, 3), ("safe", 50, 4), ("FM_002", 10, 2), ("FM_011", 10, 3), ("FM_009", 30, 6)],
)
def test_explored_seeds_are_byte_identical_with_and_without_shortcuts(policy_name, jobs, workers):
    policy = explore.policy_named(policy_name)
    for seed in range(30):
        same_bytes(explore.scenario_for(jobs, workers, explore.draw_plan(seed, jobs, workers, policy)), policy, seed)


def test_the_shortcuts_skip_most_idle_polls_on_the_standard_workload():
    """Not a speed assertion: a count of scheduler steps, deterministic for a seed."""
    policy = explore.POLICIES["safe"]
    scenario = explore.scenario_for(50, 4, explore.draw_plan(16, policy=policy))
    fast, slow = run(scenario, policy, 16, shortcuts=True), run(scenario, policy, 16, shortcuts=False)
    assert fast.digest == slow.digest and fast.steps * 2 < slow.steps
