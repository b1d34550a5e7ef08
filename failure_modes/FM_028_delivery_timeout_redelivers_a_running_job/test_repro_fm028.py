"""FM_028 under its naive policy: the broker redelivers a job whose attempts outlive its timeout."""

from faultline.catalog import find
from faultline.testing import evidence, violations_of

FM = find("FM_028")


def test_naive_policy_redelivers_j1_while_it_runs_and_charges_it_again():
    result = FM.run(fixed=False, seed=0)
    [doubled] = violations_of(result, "INV_001")
    first, second = evidence(result, doubled)[:2]
    assert (first.actor, second.actor) == ("w1", "w2")
    timed_out = next(e for e in result.events if e.kind == "delivery_timed_out")
    redelivered = next(e for e in result.events if e.kind == "redelivered")
    assert (timed_out.actor, timed_out.job_id, timed_out.time_ms) == ("w1", "j1", 1_005)
    assert timed_out.index < redelivered.index < first.index  # w1 was still working when w2 got it
    assert redelivered.actor == "w2"
    [lost] = violations_of(result, "INV_002")
    assert "job j1 never finished" in lost.message


def test_naive_policy_doubles_j1_on_every_seed():
    for seed in range(20):
        assert violations_of(FM.run(fixed=False, seed=seed), "INV_001"), seed
