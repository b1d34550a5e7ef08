"""FM_026 under its naive policy: the broker redelivers a job whose consumer died after the effect."""

from faultline.catalog import find
from faultline.testing import evidence, violations_of

FM = find("FM_026")


def test_naive_policy_charges_j1_twice_after_the_broker_redelivers_it():
    result = FM.run(fixed=False, seed=0)
    [violation] = violations_of(result, "INV_001")
    first, second = evidence(result, violation)
    assert (first.kind, first.actor, first.job_id) == ("effect_committed", "w1", "j1")
    assert (second.kind, second.actor, second.job_id) == ("effect_committed", "w2", "j1")
    between = [(e.kind, e.actor) for e in result.events if first.index < e.index < second.index and e.job_id == "j1"]
    assert between[:3] == [("crashed", "w1"), ("redelivered", "w2"), ("leased", "w2")]
    # No lease expired: the broker, not the database, brought the job back.
    assert not [e for e in result.events if e.kind == "lease_expired"]


def test_naive_policy_charges_twice_on_every_seed():
    for seed in range(20):
        assert violations_of(FM.run(fixed=False, seed=seed), "INV_001"), seed
