"""FM_028 under its fixed policy: acked on claim, the job's lease in the database decides."""

from faultline.catalog import find
from faultline.testing import failing_seeds
from invariants import check_all

FM = find("FM_028")


def test_no_delivery_times_out_and_j1_runs_once():
    result = FM.run(fixed=True, seed=0)
    assert check_all(result) == ()
    assert not [e for e in result.events if e.kind in ("delivery_timed_out", "redelivered")]
    assert [e.actor for e in result.events if e.kind == "lease_renewed" and e.job_id == "j1"][:1] == ["w1"]
    assert [row["job_id"] for row in result.final["ledger"]].count("j1") == 1


def test_fixed_policy_holds_every_invariant_on_200_seeds():
    assert failing_seeds(FM, range(200)) == {}
