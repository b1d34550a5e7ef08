"""FM_005 under its fixed policy: p1 is dead-lettered after 3 attempts and the others run."""

from faultline.catalog import find
from faultline.testing import failing_seeds
from invariants import check_all

FM = find("FM_005")


def test_fixed_policy_dead_letters_p1_with_its_last_error():
    result = FM.run(fixed=True, seed=0)
    assert check_all(result) == ()
    attempts = [e.attempt for e in result.events if e.kind == "started" and e.job_id == "p1"]
    assert attempts == [1, 2, 3]
    assert result.final["dead_letters"] == [["p1", 3, "handler error: payload can never be processed"]]
    assert sorted(row["job_id"] for row in result.final["ledger"]) == ["j1", "j2", "j3"]


def test_fixed_policy_holds_every_invariant_on_200_seeds():
    assert failing_seeds(FM, range(200)) == {}
