"""FM_024 under its fixed policy: each expired lease counts; the job is buried after its budget."""

from faultline.catalog import find
from faultline.testing import failing_seeds
from invariants import check_all

FM = find("FM_024")


def test_fixed_policy_buries_the_worker_killing_job_after_three_deliveries():
    result = FM.run(fixed=True, seed=0)
    assert check_all(result) == ()
    assert [row[:2] for row in result.final["dead_letters"]] == [["j1", 3]]
    assert len([e for e in result.events if e.kind == "crashed" and e.job_id == "j1"]) == 3
    assert [row["job_id"] for row in result.final["ledger"]] == ["j2"]


def test_fixed_policy_holds_every_invariant_on_200_seeds():
    assert failing_seeds(FM, range(200)) == {}
