"""FM_017 under its fixed policy: each job of the batch is acked or failed on its own."""

from faultline.catalog import find
from faultline.testing import failing_seeds
from invariants import check_all

FM = find("FM_017")


def test_the_failed_job_is_retried_and_succeeds():
    result = FM.run(fixed=True, seed=0)
    assert check_all(result) == ()
    assert any(e.kind == "retry_scheduled" and e.job_id == "j2" for e in result.events)
    assert sorted(row["job_id"] for row in result.final["ledger"]) == ["j1", "j2", "j3"]
    leases = [e for e in result.events if e.kind == "leased"]
    assert [e.job_id for e in leases[:3]] == ["j1", "j2", "j3"] and len({e.time_ms for e in leases[:3]}) == 1


def test_fixed_policy_holds_every_invariant_on_200_seeds():
    assert failing_seeds(FM, range(200)) == {}
