"""FM_004 under its fixed policy: the retried submit gets the existing job id back."""

from faultline.catalog import find
from faultline.testing import failing_seeds
from invariants import check_all

FM = find("FM_004")


def test_fixed_policy_returns_the_existing_job_for_the_retried_submit():
    result = FM.run(fixed=True, seed=0)
    assert check_all(result) == ()
    deduped = [e for e in result.events if e.kind == "submit_deduplicated"]
    assert [(e.job_id, e.detail["key"]) for e in deduped] == [("j1", "order-1001")]
    assert sorted(row["job_id"] for row in result.final["ledger"]) == ["j1", "j2"]


def test_fixed_policy_holds_every_invariant_on_200_seeds():
    assert failing_seeds(FM, range(200)) == {}
