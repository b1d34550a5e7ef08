"""FM_027 under its fixed policy: the confirm never comes, the client publishes j2 again."""

from faultline.catalog import find
from faultline.testing import failing_seeds
from invariants import check_all

FM = find("FM_027")


def test_the_unconfirmed_publish_is_sent_again_and_j2_runs_once():
    result = FM.run(fixed=True, seed=0)
    assert check_all(result) == ()
    [published] = [e for e in result.events if e.kind == "publish_lost"]
    assert (published.job_id, published.get("noticed")) == ("j2", True)
    assert [row["job_id"] for row in result.final["ledger"]].count("j2") == 1


def test_fixed_policy_holds_every_invariant_on_200_seeds():
    assert failing_seeds(FM, range(200)) == {}
