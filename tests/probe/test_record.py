"""A probe's RunRecord, built from a hand-written book: the same judges read it, with evidence, and a
clean run raises no alarm."""

import time

import pytest

from faultline.probe.drills import DRILLS
from faultline.probe.record import build_record
from invariants import check_all
from runtime.core.record import RunRecord
from runtime.real.ledger import Book


class FakeQueue:
    name = "fake"
    distribution = "fake-queue"
    server = "redis"

    def attempts(self, settings):
        return 1 + settings.get("retries", 0)


@pytest.fixture
def book(tmp_path):
    book = Book.create(tmp_path / "book.sqlite")
    book.origin = time.monotonic_ns()
    yield book
    book.close()


def submit(book, job="s1", n=1):
    book.event("submitted", "client", job, message=n, request=f"r{n}", key=f"k{n}", payload={})


def run_once(book, job="s1", n=1, actor="w1"):
    attempt, token = book.deliver(job, actor, 4242)
    book.effect(job, actor, attempt, token, f"r{n}", f"k{n}")
    book.event("returned", actor, job, attempt, token)
    return attempt, token


def record_of(book, states, drill="worker-crash", jobs=1):
    drill = DRILLS[drill]
    import attrs

    drill = attrs.evolve(drill, jobs=jobs)
    ids = {f"s{n}": f"lib-{n}" for n in range(1, jobs + 1)}
    return build_record(
        book,
        book.origin,
        adapter=FakeQueue(),
        drill=drill,
        settings={},
        knobs={"retries": 0},
        configuration="default",
        seed=0,
        ids=ids,
        final_states={ids[job]: state for job, state in states.items()},
        facts={"settled": True},
    )


def violated(record):
    return {v.invariant: v for v in check_all(record)}


def test_a_clean_run_raises_no_alarm_and_reads_back_the_same(book):
    submit(book)
    run_once(book)
    book.event("acked", "fake", "s1", observed=True)
    record = record_of(book, {"s1": "succeeded"})
    assert check_all(record) == ()
    again = RunRecord.from_jsonl(record.jsonl())
    assert check_all(again) == () and again.digest == record.digest
    assert record.header["world"] == "probe" and record.header["probe"]["library"] == "fake-queue"


def test_a_job_left_running_by_a_killed_worker_is_stranded(book):
    submit(book)
    book.deliver("s1", "w1", 4242)
    book.event("crashed", "w1", "s1", 1, point="before_effect", incarnation=1)
    book.event("restarted", "w1", incarnation=2)
    record = record_of(book, {"s1": "running"})
    found = violated(record)
    assert {"INV_002", "INV_019"} <= set(found)
    started = next(e for e in record.events if e.kind == "started")
    crashed = next(e for e in record.events if e.kind == "crashed")
    assert found["INV_019"].events == (started.index, crashed.index)
    assert "killed" in found["INV_019"].message


def test_a_job_running_on_a_live_worker_is_not_stranded(book):
    submit(book)
    book.deliver("s1", "w1", 4242)
    record = record_of(book, {"s1": "running"})
    assert "INV_019" not in violated(record)


def test_a_queue_that_calls_a_job_succeeded_without_its_effect_disagrees_with_the_ledger(book):
    submit(book)
    book.deliver("s1", "w1", 4242)
    book.event("acked", "fake", "s1", observed=True)
    found = violated(record_of(book, {"s1": "succeeded"}))
    assert "succeeded, but its effect never reached the ledger" in found["INV_012"].message
    assert "INV_004" in found


def test_a_queue_that_fails_a_job_whose_run_returned_disagrees_with_the_history(book):
    submit(book)
    run_once(book)
    book.event("dead_lettered", "fake", "s1", observed=True)
    found = violated(record_of(book, {"s1": "failed"}))
    assert "failed, although its last run committed its effect and returned" in found["INV_012"].message


def test_a_killed_job_failed_before_its_retries_is_judged_by_the_budget(book):
    submit(book)
    book.deliver("s1", "w1", 4242)
    book.event("crashed", "w1", "s1", 1, point="before_effect", incarnation=1)
    book.event("dead_lettered", "fake", "s1", observed=True)
    import attrs

    drill = attrs.evolve(DRILLS["worker-crash"], jobs=1)
    record = build_record(
        book,
        book.origin,
        adapter=FakeQueue(),
        drill=drill,
        settings={"retries": 3},
        knobs={"retries": 3},
        configuration="custom",
        seed=0,
        ids={"s1": "lib-1"},
        final_states={"lib-1": "failed"},
        facts={"settled": True},
    )
    found = violated(record)
    assert "INV_018" in found and "after 1 attempt(s)" in found["INV_018"].message


def test_a_redelivered_job_that_runs_twice_charges_twice(book):
    submit(book)
    run_once(book)
    book.event("crashed", "w1", "s1", 1, point="after_effect", incarnation=1)
    run_once(book)
    book.event("acked", "fake", "s1", observed=True)
    found = violated(record_of(book, {"s1": "succeeded"}, drill="crash-after-effect"))
    assert "committed 2 times" in found["INV_001"].message
