"""FM_001 under its naive policy: a redelivered job charges the customer twice."""

from faultline.catalog import find
from faultline.testing import evidence, violations_of

FM = find("FM_001")


def test_naive_policy_commits_j1s_charge_twice():
    """The crash after commit makes w2 re-run j1 and charge it again: INV_001 is violated."""
    result = FM.run(fixed=False, seed=0)
    [violation] = violations_of(result, "INV_001")
    assert violation.message.startswith("INV_001 effect-once violated: job j1's effect committed 2 times")
    commits = evidence(result, violation)
    assert [(e.kind, e.actor, e.job_id, e.detail["amount"]) for e in commits] == [
        ("effect_committed", "w1", "j1", 10),
        ("effect_committed", "w2", "j1", 10),
    ]
    assert commits[0].token < commits[1].token
    crash = next(e for e in result.events if e.kind == "crashed")
    assert (crash.actor, crash.detail["point"]) == ("w1", "worker.after_commit")
    assert commits[0].index < crash.index < commits[1].index
    assert [row["job_id"] for row in result.final["ledger"]].count("j1") == 2


def test_naive_policy_double_charges_on_every_seed():
    """The break does not depend on luck: seeds 0-19 all reproduce it."""
    for seed in range(20):
        assert violations_of(FM.run(fixed=False, seed=seed), "INV_001"), seed
