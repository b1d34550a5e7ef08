"""FM_017 under its naive policy: j2 fails inside a batch that is acked whole."""

from faultline.catalog import find
from faultline.testing import violations_of

FM = find("FM_017")


def test_naive_policy_acks_the_failed_job_with_its_batch():
    result = FM.run(fixed=False, seed=0)
    [violation] = violations_of(result, "INV_002")
    assert violation.message.startswith("INV_002 no-lost-job violated: job j2 acked without its effect")
    ignored = next(e for e in result.events if e.kind == "error_ignored")
    assert ignored.job_id == "j2" and ignored.detail["error"].startswith("handler error")
    acks = [e for e in result.events if e.kind == "acked"]
    assert [e.job_id for e in acks] == ["j1", "j2", "j3"] and len({e.time_ms for e in acks}) == 1
    assert ignored.index < acks[0].index
    assert [row["job_id"] for row in result.final["ledger"]] == ["j1", "j3"]
    assert result.final["dead_letters"] == [] and result.final["messages"] == []


def test_naive_policy_loses_j2_on_every_seed():
    for seed in range(20):
        assert violations_of(FM.run(fixed=False, seed=seed), "INV_002"), seed
