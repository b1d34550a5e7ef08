"""FM_019 under its naive policy: the redrive re-runs a dead-lettered job whose effect committed."""

from faultline.catalog import find
from faultline.testing import evidence, violations_of

FM = find("FM_019")


def test_naive_policy_charges_order_1_again_after_the_redrive():
    result = FM.run(fixed=False, seed=0)
    [violation] = violations_of(result, "INV_001")
    assert "key 'order-1' was charged 2 times under jobs j1, j1~r1" in violation.message
    first, second = evidence(result, violation)
    dead = next(e for e in result.events if e.kind == "dead_lettered")
    redriven = next(e for e in result.events if e.kind == "redriven")
    assert dead.job_id == "j1" and first.index < dead.index < redriven.index < second.index
    assert (redriven.actor, redriven.job_id, redriven.get("dead_letter"), redriven.get("ids")) == (
        "operator",
        "j1~r1",
        "j1",
        "mint",
    )
    assert redriven.time_ms == 3_000 and result.final["dead_letters"] == []


def test_naive_policy_double_charges_on_every_seed():
    for seed in range(20):
        assert violations_of(FM.run(fixed=False, seed=seed), "INV_001"), seed
