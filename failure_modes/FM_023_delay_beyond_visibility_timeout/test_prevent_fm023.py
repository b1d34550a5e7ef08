"""FM_023 under its fixed policy: the queue keeps the delayed job until its ETA."""

from faultline.catalog import find
from faultline.testing import failing_seeds
from invariants import check_all

FM = find("FM_023")


def test_fixed_policy_leases_the_delayed_job_once_at_its_eta():
    result = FM.run(fixed=True, seed=0)
    assert check_all(result) == ()
    [leased] = [e for e in result.events if e.kind == "leased" and e.job_id == "j1"]
    assert leased.time_ms >= 5_000
    assert [row["job_id"] for row in result.final["ledger"]].count("j1") == 1


def test_fixed_policy_holds_every_invariant_on_200_seeds():
    assert failing_seeds(FM, range(200)) == {}
