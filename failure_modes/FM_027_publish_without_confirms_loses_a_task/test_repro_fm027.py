"""FM_027 under its naive policy: a publish lost with its connection leaves its job to nobody."""

from faultline.catalog import find
from faultline.testing import violations_of

FM = find("FM_027")


def test_naive_policy_loses_j2_and_nobody_knows():
    result = FM.run(fixed=False, seed=0)
    [lost] = violations_of(result, "INV_002")
    [vanished] = violations_of(result, "INV_010")
    assert "job j2 never finished" in lost.message and "request j2 vanished" in vanished.message
    about_j2 = [(e.kind, e.actor) for e in result.events if e.job_id == "j2"]
    assert about_j2 == [("submitted", "client"), ("publish_lost", "client")]
    [published] = [e for e in result.events if e.kind == "publish_lost"]
    assert published.get("noticed") is False
    assert result.closing["reason"] == "time_limit"
    assert {row["job_id"] for row in result.final["ledger"]} == {"j1", "j3"}


def test_naive_policy_loses_j2_on_every_seed():
    for seed in range(20):
        assert violations_of(FM.run(fixed=False, seed=seed), "INV_002"), seed
