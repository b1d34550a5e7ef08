"""The protocol's decisions on their own: what follows each commit outcome under a policy, when a
failure is final, what the handler does, what effect it commits. Pure functions, no world needed."""

import pytest

from runtime.core import decisions as decide
from runtime.core import ports
from runtime.core.policy import Policy

NAIVE, SAFE = Policy.naive(), Policy.safe()


@pytest.mark.parametrize(
    "outcome, policy, step",
    [
        (ports.COMMITTED, NAIVE, decide.ACK),
        (ports.DEDUPLICATED, SAFE, decide.ACK),
        (ports.FENCED, SAFE, decide.ABANDON),
        (ports.MISSING_ROW, NAIVE, decide.FAIL),
        (ports.UNAVAILABLE, NAIVE, decide.IGNORE),
        (ports.UNAVAILABLE, SAFE, decide.FAIL),
        (ports.OVERLOADED, SAFE, decide.FAIL),
    ],
)
def test_after_commit_follows_the_table_and_the_policy(outcome, policy, step):
    assert decide.after_commit(outcome, policy) == step


def test_an_unknown_outcome_is_named():
    with pytest.raises(ValueError, match="unknown commit outcome 'maybe'"):
        decide.after_commit("maybe", SAFE)


def test_a_failure_is_final_on_the_last_allowed_attempt_only():
    policy = NAIVE.evolve(max_attempts=3)
    assert [decide.is_final_attempt(n, policy) for n in (1, 2, 3, 4)] == [False, False, True, True]
    assert not decide.is_final_attempt(1_000, NAIVE)  # no bound: never final


def test_the_handler_fails_poison_and_the_first_n_attempts():
    assert decide.handler_error({"poison": True}, 7) == "handler error: payload can never be processed"
    assert decide.handler_error({"fail_n_times": 2}, 2) == "handler error: simulated failure 2 of 2"
    assert decide.handler_error({"fail_n_times": 2}, 3) is None


def test_the_effect_is_a_charge_or_a_write_of_the_result_key():
    assert decide.effect_of({"amount": 7}, "w1", 1) == {"effect": "charge", "amount": 7}
    assert decide.effect_of({"write": "r:1"}, "w2", 3) == {"effect": "write", "key": "r:1", "value": "w2@attempt3"}
