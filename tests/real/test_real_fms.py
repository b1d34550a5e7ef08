"""The same FM scenarios and plans, run for real (OS processes on SQLite and on Postgres), judged by
the same invariants from the history and final state read back from the database."""

import json

import pytest

from faultline.catalog import find
from faultline.testing import evidence, violations_of
from invariants import check_all
from runtime.real.db import Database
from runtime.real.run import run_real
from tests.real.conftest import SCALE


def run(fm_id: str, fixed: bool, db_url: str, scale: float = SCALE):
    mode = find(fm_id)
    return run_real(mode.scenario, mode.policy(fixed=fixed), db_url=db_url, scale=scale)


def test_fm001_a_worker_killed_after_its_commit_charges_twice_for_real(db_url):
    record = run("FM_001", False, db_url)
    [violation] = violations_of(record, "INV_001")
    commits = evidence(record, violation)
    assert [e.kind for e in commits] == ["effect_committed", "effect_committed"]
    assert commits[0].job_id == commits[1].job_id and commits[0].actor != commits[1].actor
    crash = next(e for e in record.events if e.kind == "crashed")
    assert (crash.actor, crash.detail["point"], crash.job_id) == ("w1", "worker.after_commit", commits[0].job_id)
    expired = next(e for e in record.events if e.kind == "lease_expired")
    assert crash.index < expired.index < commits[1].index
    # The ground truth is the database's: two ledger rows for the job, read back from the table.
    ledger = Database(db_url).read("SELECT job_id FROM ledger")
    assert [job for (job,) in ledger].count(commits[0].job_id) == 2
    assert [row["job_id"] for row in record.final["ledger"]].count(commits[0].job_id) == 2


def test_fm001_fix_holds_for_real(db_url):
    record = run("FM_001", True, db_url)
    assert check_all(record) == ()
    assert any(e.kind == "crashed" for e in record.events)
    assert any(e.kind == "effect_deduplicated" for e in record.events)


@pytest.mark.drill  # every FM for real on both databases: make drills
def test_fm002_a_job_held_by_a_killed_worker_is_lost_without_lease_expiry(db_url):
    record = run("FM_002", False, db_url, scale=0.15)  # it runs to its time limit: 11.7 s virtual
    assert {"INV_002", "INV_010"} <= {v.invariant for v in check_all(record)}
    crash = next(e for e in record.events if e.kind == "crashed")
    [lost] = violations_of(record, "INV_002")
    assert crash.job_id in lost.message
    assert record.closing["reason"] == "time_limit"
    assert [crash.job_id, "leased"] in [m[1:] for m in record.final["messages"]]


@pytest.mark.drill  # every FM for real on both databases: make drills
def test_fm002_fix_reclaims_the_lease_and_the_effect_lands_once(db_url):
    record = run("FM_002", True, db_url)
    assert check_all(record) == ()
    crash = next(e for e in record.events if e.kind == "crashed")
    assert any(e.kind == "lease_expired" and e.job_id == crash.job_id for e in record.events)
    assert [row["job_id"] for row in record.final["ledger"]].count(crash.job_id) == 1


@pytest.mark.drill  # every FM for real on both databases: make drills
def test_fm004_a_lost_reply_makes_a_second_job_for_real(db_url):
    record = run("FM_004", False, db_url)
    assert {"INV_001", "INV_005"} <= {v.invariant for v in check_all(record)}
    [violation] = violations_of(record, "INV_005")
    assert {e.job_id for e in evidence(record, violation)} >= {"j1", "j1~1"}


@pytest.mark.drill  # every FM for real on both databases: make drills
def test_fm004_fix_dedupes_the_resubmission_for_real(db_url):
    record = run("FM_004", True, db_url)
    assert check_all(record) == ()
    assert any(e.kind == "submit_deduplicated" for e in record.events)
    assert record.final["submissions"] == {"order-1001": "j1", "order-1002": "j2"}


def test_the_history_is_every_stored_event_in_the_order_of_its_clock_and_self_contained(tmp_path):
    url = str(tmp_path / "real.sqlite")
    record = run("FM_001", False, url)
    assert [e.index for e in record.events] == list(range(len(record.events)))
    assert record.events[0].kind == "run_started" and record.events[-1].kind == "run_ended"
    times = [e.time_ms for e in record.events]
    assert times == sorted(times)
    (stored,) = Database(url).read("SELECT count(*) FROM history")[0]
    assert stored == len(record.events)
    json.loads(record.jsonl().splitlines()[-1])  # canonical JSON Lines, as the simulator writes


@pytest.mark.parametrize("fm_id", ["FM_001", pytest.param("FM_004", marks=pytest.mark.drill)])
def test_the_cli_exits_like_the_simulated_run(fm_id, tmp_path, faultline_cli):
    url = str(tmp_path / "cli.sqlite")
    broken = faultline_cli("run", fm_id, "--real", "--db", url, "--time-scale", str(SCALE), "--json")
    assert broken.returncode == 1, broken.stderr
    data = json.loads(broken.stdout)
    assert set(find(fm_id).invariants) <= {v["invariant"] for v in data["violations"]}
    assert f"--real --db {url} --reset" in data["replay"]
    again = faultline_cli("run", fm_id, "--fix", "--real", "--db", url, "--time-scale", str(SCALE))
    assert again.returncode == 2 and "add --reset to wipe it" in again.stderr  # the first run's database stays
    fixed = faultline_cli("run", fm_id, "--fix", "--real", "--db", url, "--reset", "--time-scale", str(SCALE))
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr


@pytest.mark.drill  # every FM for real on both databases: make drills
def test_fm025_a_sigstopped_leader_outlives_its_redis_lock_and_its_stale_token_is_fenced(db_url, redis_url):
    mode = find("FM_025")
    broken = run_real(mode.scenario, mode.policy(fixed=False), db_url=db_url, scale=SCALE, lock_url=redis_url)
    [violation] = violations_of(broken, "INV_016")
    new, old = evidence(broken, violation)
    assert (new.actor, new.get("epoch"), old.actor, old.get("epoch")) == ("s2", 2, "s1", 1)
    paused = next(e for e in broken.events if e.kind == "paused")
    elected = next(e for e in broken.events if e.kind == "leader_elected" and e.get("epoch") == 2)
    assert paused.actor == "s1" and paused.index < elected.index < new.index < old.index
    fixed = run_real(mode.scenario, mode.policy(fixed=True), db_url=db_url, scale=SCALE, lock_url=redis_url)
    assert check_all(fixed) == ()
    [refused] = [e for e in fixed.events if e.kind == "trigger_refused"]
    assert (refused.actor, refused.get("epoch")) == ("s1", 1)
    triggers = [(call[1], call[3]) for call in fixed.final["store_calls"] if call[2] == "trigger_run"]
    assert ("s1", "fenced") in triggers


@pytest.mark.drill  # every FM for real on both databases: make drills
def test_fm026_rabbitmq_redelivers_the_killed_workers_job_at_once(db_url):
    broken = run("FM_026", False, db_url)
    [violation] = violations_of(broken, "INV_001")
    first, second = evidence(broken, violation)
    crash = next(e for e in broken.events if e.kind == "crashed")
    redelivered = next(e for e in broken.events if e.kind == "redelivered")
    assert (crash.actor, crash.detail["point"]) == ("w1", "worker.after_commit")
    assert first.index < crash.index < redelivered.index < second.index
    assert (redelivered.actor, redelivered.job_id) == ("w2", first.job_id)
    assert not [e for e in broken.events if e.kind == "lease_expired"]  # RabbitMQ brought it back, not a lease
    fixed = run("FM_026", True, db_url)
    assert check_all(fixed) == ()
    assert any(e.kind == "effect_deduplicated" for e in fixed.events)


@pytest.mark.drill  # every FM for real on both databases: make drills
def test_fm027_a_publish_cut_on_the_way_is_lost_unless_confirmed(db_url):
    broken = run("FM_027", False, db_url)
    assert {"INV_002", "INV_010"} <= {v.invariant for v in check_all(broken)}
    assert [(e.kind, e.get("noticed")) for e in broken.events if e.job_id == "j2"][-1] == ("publish_lost", False)
    assert "j2" not in {row["job_id"] for row in broken.final["ledger"]}
    fixed = run("FM_027", True, db_url)
    assert check_all(fixed) == ()
    assert [e.get("noticed") for e in fixed.events if e.kind == "publish_lost"] == [True]
    assert [row["job_id"] for row in fixed.final["ledger"]].count("j2") == 1


@pytest.mark.drill  # every FM for real on both databases: make drills
def test_fm028_the_delivery_timeout_cuts_a_busy_consumer_and_its_job_runs_twice(db_url):
    broken = run("FM_028", False, db_url)
    assert {"INV_001", "INV_002"} <= {v.invariant for v in check_all(broken)}
    # Which worker gets j1 first is a race; whoever it is outlives its delivery and commits late.
    first = next(e for e in broken.events if e.kind == "leased" and e.job_id == "j1")
    timed_out = next(e for e in broken.events if e.kind == "delivery_timed_out" and e.job_id == "j1")
    redelivered = next(e for e in broken.events if e.kind == "redelivered" and e.job_id == "j1")
    committed = next(e for e in broken.events if e.kind == "effect_committed" and e.job_id == "j1")
    assert timed_out.actor == committed.actor == first.actor != redelivered.actor
    assert timed_out.index < redelivered.index < committed.index
    fixed = run("FM_028", True, db_url)
    assert check_all(fixed) == ()
    assert not [e for e in fixed.events if e.kind in ("delivery_timed_out", "redelivered") and e.job_id == "j1"]
