"""FM_012 under its fixed policy: the consumer's idempotency key absorbs the second publish."""

from faultline.catalog import find
from faultline.testing import failing_seeds
from invariants import check_all

FM = find("FM_012")


def test_fixed_policy_dedupes_the_second_delivery():
    result = FM.run(fixed=True, seed=0)
    assert check_all(result) == ()
    j1 = [(e.kind, e.actor) for e in result.events if e.job_id == "j1"]
    assert j1.count(("submitted", "relay")) == 2
    assert sum(1 for kind, _ in j1 if kind == "effect_deduplicated") == 1
    assert [row["job_id"] for row in result.final["ledger"]].count("j1") == 1


def test_fixed_policy_holds_every_invariant_on_200_seeds():
    assert failing_seeds(FM, range(200)) == {}
