"""FM_020: two instances of the scheduler run (a redeploy left the old one up); without a leader
lock each keeps its own schedule and fires every tick."""

from failure_modes.FM_014_leader_split_brain.scenario import REPORT
from runtime.core.policy import Policy
from runtime.core.scenario import Scenario

SCENARIO = Scenario(
    name="FM_020 periodic job fires twice",
    jobs=(),
    workflow=REPORT,
    schedulers=("s1", "s2"),
    ticks=2,
    workers=("w1", "w2"),
)

NAIVE_POLICY = Policy.naive().evolve(lease_ms=1_000)
FIXED_POLICY = NAIVE_POLICY.evolve(leader_lock=True)
