"""FM_026 under its fixed policy: the redelivered attempt finds the idempotency key."""

from faultline.catalog import find
from faultline.testing import failing_seeds
from invariants import check_all

FM = find("FM_026")


def test_the_redelivery_is_deduplicated():
    result = FM.run(fixed=True, seed=0)
    assert check_all(result) == ()
    assert [e.actor for e in result.events if e.kind == "redelivered"] == ["w2"]
    [deduplicated] = [e for e in result.events if e.kind == "effect_deduplicated"]
    assert (deduplicated.actor, deduplicated.job_id, deduplicated.attempt) == ("w2", "j1", 2)
    assert [row["job_id"] for row in result.final["ledger"]].count("j1") == 1


def test_fixed_policy_holds_every_invariant_on_200_seeds():
    assert failing_seeds(FM, range(200)) == {}
