"""The StorePort contract: effects in one transaction, idempotency keys, fencing against the newest
lease granted, submission keys, business rows with their outbox row, a call log."""

from runtime.core import ports
from runtime.core.faults import FaultPlan, StoreOutage
from runtime.core.policy import Policy

NAIVE = Policy.naive()
CHARGE = {"effect": "charge", "amount": 5}


def lease(world, job_id="j1"):
    world.queue.enqueue("client", job_id, {}, 100, job_id, "k-" + job_id)
    return world.queue.lease("w1", world.now())


def commit(world, delivery, *, idempotent=False, fencing=False, requires_row=False):
    return world.store.commit_effect("w1", delivery, CHARGE, idempotent, fencing, requires_row)


def test_a_commit_writes_one_ledger_row_and_records_it(make_world):
    world = make_world(NAIVE)
    delivery = lease(world)
    assert commit(world, delivery) == ports.COMMITTED
    [row] = world.store.snapshot()["ledger"]
    assert (row["job_id"], row["token"], row["request"], row["idempotency_key"], row["amount"]) == (
        "j1",
        delivery.token,
        "j1",
        "k-j1",
        5,
    )
    assert world.events()[-1].kind == "effect_committed"


def test_an_idempotent_commit_of_the_same_job_is_deduplicated(make_world):
    world = make_world(NAIVE)
    delivery = lease(world)
    assert commit(world, delivery, idempotent=True) == ports.COMMITTED
    assert commit(world, delivery, idempotent=True) == ports.DEDUPLICATED
    assert len(world.store.snapshot()["ledger"]) == 1


def test_fencing_refuses_a_write_once_a_newer_lease_was_granted(make_world):
    world = make_world(NAIVE.evolve(lease_ms=100, lease_clock="store"))
    old = lease(world)
    world.advance(150)
    world.queue.reap("reaper", world.now(), 0)
    new = world.queue.lease("w2", world.now())
    assert commit(world, old, fencing=True) == ports.FENCED
    assert world.events()[-1].detail["newest_token"] == new.token
    assert commit(world, new, fencing=True) == ports.COMMITTED


def test_a_job_that_needs_its_business_row_fails_without_it(make_world):
    world = make_world(NAIVE)
    assert commit(world, lease(world), requires_row=True) == ports.MISSING_ROW
    assert world.store.snapshot()["ledger"] == []


def test_a_submission_key_belongs_to_its_first_job(make_world):
    world = make_world(NAIVE)
    assert world.store.claim_submission("client", "order-1", "j1") == (ports.OK, "j1")
    assert world.store.claim_submission("client", "order-1", "j1~1") == (ports.OK, "j1")


def test_a_business_row_commits_with_its_outbox_row_and_key_claim(make_world):
    world = make_world(NAIVE)
    job = {"payload": {}, "duration_ms": 100, "request": "j1", "key": "order-1"}
    assert world.store.commit_business("client", "j1", {"job": "j1"}, job, "order-1") == (ports.OK, "j1")
    assert world.store.commit_business("client", "j1~1", {"job": "j1~1"}, job, "order-1") == (ports.OK, "j1")
    assert world.store.outbox_pending()
    assert world.store.read_outbox("relay") == (ports.OK, [("j1", job)])
    assert world.store.mark_relayed("relay", "j1") == ports.OK
    assert not world.store.outbox_pending()
    snapshot = world.store.snapshot()
    assert (snapshot["business_rows"], snapshot["outbox"], snapshot["submissions"]) == (["j1"], [], {"order-1": "j1"})


def test_every_call_lands_in_the_call_log(make_world):
    world = make_world(NAIVE)
    world.store.claim_submission("client", "order-1", "j1")
    commit(world, lease(world))
    world.store.read_outbox("relay")
    assert [list(call[1:]) for call in world.store.snapshot()["store_calls"]] == [
        ["client", "claim_submission", "ok"],
        ["w1", "commit_effect", "committed"],
        ["relay", "read_outbox", "ok"],
    ]


def test_a_store_outage_refuses_every_call_and_logs_it(make_world):
    """In the SQL worlds the database is really away (the queue with it): the job is leased first."""
    world = make_world(NAIVE, FaultPlan(faults=(StoreOutage(start_ms=10, end_ms=100),)))
    delivery = lease(world)
    world.advance(10)
    assert commit(world, delivery) == ports.UNAVAILABLE
    assert world.store.claim_submission("client", "k", "j9") == (ports.UNAVAILABLE, None)
    world.advance(90)
    assert world.store.claim_submission("client", "k", "j9") == (ports.OK, "j9")
    assert [list(call[1:]) for call in world.store.snapshot()["store_calls"]] == [
        ["w1", "commit_effect", "unavailable"],
        ["client", "claim_submission", "unavailable"],
        ["client", "claim_submission", "ok"],
    ]
    assert world.store.snapshot()["ledger"] == []
