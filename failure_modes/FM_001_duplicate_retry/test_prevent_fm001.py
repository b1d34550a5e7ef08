"""FM_001 under its fixed policy: the idempotency key turns the second charge into a no-op."""

from faultline.catalog import find
from faultline.testing import failing_seeds
from invariants import check_all

FM = find("FM_001")


def test_fixed_policy_charges_j1_once_and_dedupes_the_rerun():
    """w2 still re-runs j1, but the store finds its idempotency key and records a dedupe."""
    result = FM.run(fixed=True, seed=0)
    assert check_all(result) == ()
    kinds = [(e.kind, e.actor) for e in result.events if e.job_id == "j1"]
    assert ("effect_committed", "w1") in kinds
    assert ("effect_deduplicated", "w2") in kinds
    assert ("acked", "w2") in kinds
    assert [row["job_id"] for row in result.final["ledger"]].count("j1") == 1


def test_fixed_policy_holds_every_invariant_on_200_seeds():
    assert failing_seeds(FM, range(200)) == {}
