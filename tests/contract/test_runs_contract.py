"""The RunsPort contract: runs and their task instances, completion notes read from the ground
truth (ledger rows, dead letters), dispatch steps (claim, enqueue, mark), settling a run, the leader
lock and fenced triggers - the same on memory, SQLite and Postgres."""

from runtime.core import ports
from runtime.core.faults import FaultPlan, StoreOutage
from runtime.core.policy import Policy
from runtime.core.workflow import TaskSpec, WorkflowSpec

NAIVE = Policy.naive()
FAN_IN = WorkflowSpec(
    name="fan-in",
    tasks=(
        TaskSpec(name="left"),
        TaskSpec(name="right"),
        TaskSpec(name="join", depends_on=("left", "right")),
        TaskSpec(name="after", depends_on=("join",)),
    ),
)
NIGHTLY = WorkflowSpec(name="nightly", tasks=(TaskSpec(name="report"),), schedule_every_ms=1_000)


def start(world, run="run-1", spec=FAN_IN):
    assert world.runs.trigger_run("trigger", run, spec, None, None, None, False) == ports.OK
    outcome, note = world.runs.take_note("d1")
    assert outcome == ports.OK
    return note


def dispatch(world, run, task):
    assert world.runs.dispatch("d1", run, task, True, True, True) == ports.OK


def finish(world, job_id, *, fail=False):
    delivery = world.queue.lease("w1", world.now())
    assert delivery is not None and delivery.job_id == job_id
    if fail:
        world.queue.report_failure("w1", delivery, error="boom", reason="handler", delay_ms=None, republish=False)
    else:
        world.store.commit_effect("w1", delivery, {"effect": "charge", "amount": 1}, False, False, False)
        world.queue.ack("w1", delivery)


def kinds(world, kind):
    return [e for e in world.events() if e.kind == kind]


def test_a_triggered_run_has_a_start_note_with_its_roots_ready(make_world):
    world = make_world(NAIVE)
    note = start(world)
    assert (note.run, note.task, note.ready, note.skip) == ("run-1", None, ("left", "right"), ())
    [triggered] = kinds(world, "workflow_triggered")
    assert triggered.get("tasks") == {"left": [], "right": [], "join": ["left", "right"], "after": ["join"]}
    assert world.runs.take_note("d2") == (ports.OK, None)  # taken: no other dispatcher gets it


def test_a_claim_dispatches_a_task_once(make_world):
    world = make_world(NAIVE)
    start(world)
    assert world.runs.dispatch("d1", "run-1", "left", True, True, True) == ports.OK
    assert world.runs.dispatch("d2", "run-1", "left", True, True, True) == ports.DUPLICATE_ROW
    assert [e.job_id for e in kinds(world, "task_dispatched")] == ["run-1:left"]
    assert [e.job_id for e in kinds(world, "submitted")] == ["run-1:left"]


def test_without_a_claim_a_second_dispatch_enqueues_again(make_world):
    world = make_world(NAIVE)
    start(world)
    for actor in ("d1", "d2"):  # check-then-act: each acts on what it read
        assert world.runs.dispatch(actor, "run-1", "left", False, True, False) == ports.OK
    assert [e.job_id for e in kinds(world, "submitted")] == ["run-1:left", "run-1:left"]


def test_a_fan_in_task_is_ready_only_once_every_parent_succeeded(make_world):
    world = make_world(NAIVE)
    first = start(world)
    dispatch(world, "run-1", "left")
    dispatch(world, "run-1", "right")
    assert world.runs.settle("d1", first.note, "run-1", ()) == ports.OK
    finish(world, "run-1:left")
    assert world.runs.notes_waiting()
    _, note = world.runs.take_note("d1")
    assert (note.task, note.ready) == ("left", ())
    finish(world, "run-1:right")
    _, note = world.runs.take_note("d2")
    assert (note.task, note.ready) == ("right", ("join",))


def test_a_dead_lettered_task_fails_the_run_and_skips_its_dependants(make_world):
    world = make_world(NAIVE)
    first = start(world)
    dispatch(world, "run-1", "left")
    dispatch(world, "run-1", "right")
    world.runs.settle("d1", first.note, "run-1", ())
    finish(world, "run-1:left")
    notes = [world.runs.take_note("d1")[1]]
    finish(world, "run-1:right", fail=True)
    notes.append(world.runs.take_note("d1")[1])
    assert [(n.task, n.ready, n.skip) for n in notes] == [("left", (), ()), ("right", (), ("join", "after"))]
    world.runs.settle("d1", notes[0].note, "run-1", notes[0].skip)
    assert kinds(world, "run_finished") == []
    world.runs.settle("d1", notes[1].note, "run-1", notes[1].skip)
    [finished] = kinds(world, "run_finished")
    assert finished.get("state") == "failed"
    assert finished.get("tasks") == {"left": "succeeded", "right": "failed", "join": "skipped", "after": "skipped"}
    assert world.runs.snapshot()["run-1"]["state"] == "failed"
    assert not world.runs.notes_waiting()


def test_a_dead_dispatchers_notes_come_back(make_world):
    world = make_world(NAIVE)
    note = start(world)
    world.runs.release_notes("d1")
    outcome, again = world.runs.take_note("d2")
    assert outcome == ports.OK and again.note == note.note


def test_the_leader_lock_grows_its_epoch_and_fences_stale_triggers(make_world):
    world = make_world(NAIVE)
    assert world.runs.acquire_lock("s1", "scheduler", 1_000) == (ports.OK, 1)
    assert world.runs.acquire_lock("s2", "scheduler", 1_000) == (ports.OK, None)
    world.advance(500)
    assert world.runs.acquire_lock("s1", "scheduler", 1_000) == (ports.OK, 1)  # renewed
    world.advance(1_000)
    assert world.runs.acquire_lock("s2", "scheduler", 1_000) == (ports.OK, 2)
    assert world.runs.trigger_run("s1", "nightly-t1-e1", NIGHTLY, "nightly", 1, 1, True) == ports.FENCED
    assert world.runs.trigger_run("s2", "nightly-t1-e2", NIGHTLY, "nightly", 1, 2, True) == ports.OK
    assert world.runs.trigger_run("s2", "nightly-t1-x", NIGHTLY, "nightly", 1, 2, True) == ports.DUPLICATE_ROW
    assert world.runs.last_tick("s1", "nightly") == (ports.OK, 1)
    assert [e.get("epoch") for e in kinds(world, "leader_elected")] == [1, 2]


def test_an_unfenced_trigger_starts_a_second_run_for_one_tick(make_world):
    world = make_world(NAIVE)
    for run in ("nightly-t1-e1", "nightly-t1-e2"):
        assert world.runs.trigger_run("s1", run, NIGHTLY, "nightly", 1, None, False) == ports.OK
    assert [e.get("tick") for e in kinds(world, "workflow_triggered")] == [1, 1]


def test_an_outage_refuses_the_runs_calls(make_world):
    world = make_world(NAIVE, FaultPlan(faults=(StoreOutage(start_ms=100, end_ms=300),)))
    start(world)
    world.advance(150)
    assert world.runs.take_note("d1")[0] == ports.UNAVAILABLE
    assert world.runs.trigger_run("trigger", "run-2", FAN_IN, None, None, None, False) == ports.UNAVAILABLE
    world.advance(200)
    assert world.runs.trigger_run("trigger", "run-2", FAN_IN, None, None, None, False) == ports.OK
