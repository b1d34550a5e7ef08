"""FM_019 under its fixed policy: the redrive keeps j1's id, so its idempotency key finds the charge."""

from faultline.catalog import find
from faultline.testing import failing_seeds
from invariants import check_all

FM = find("FM_019")


def test_the_redriven_job_finds_its_effect_committed():
    result = FM.run(fixed=True, seed=0)
    assert check_all(result) == ()
    redriven = next(e for e in result.events if e.kind == "redriven")
    assert (redriven.job_id, redriven.get("ids")) == ("j1", "keep")
    assert any(e.kind == "effect_deduplicated" and e.job_id == "j1" and e.index > redriven.index for e in result.events)
    assert [row["job_id"] for row in result.final["ledger"]].count("j1") == 1


def test_fixed_policy_holds_every_invariant_on_200_seeds():
    assert failing_seeds(FM, range(200)) == {}
