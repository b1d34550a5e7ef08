"""FM_016 under its fixed policy: enqueue and mark commit together, so the restart finds the task
dispatched."""

from faultline.catalog import find
from faultline.testing import failing_seeds
from invariants import check_all

FM = find("FM_016")


def test_the_restarted_dispatcher_does_not_enqueue_again():
    result = FM.run(fixed=True, seed=0)
    assert check_all(result) == ()
    assert any(e.kind == "crashed" and e.actor == "dispatcher" for e in result.events)
    dispatched = [e.get("task") for e in result.events if e.kind == "task_dispatched"]
    assert sorted(dispatched) == sorted(set(dispatched)) and len(dispatched) == 5
    assert result.final["runs"]["run-1"]["state"] == "succeeded"


def test_fixed_policy_holds_every_invariant_on_200_seeds():
    assert failing_seeds(FM, range(200)) == {}
