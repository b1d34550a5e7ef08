"""Workflows over real HTTP: create a workflow from YAML, trigger a run, let real worker processes
(and the pool's dispatcher) run it, read it back; bad specs get 422 naming the task; a worker killed
mid-run leaves the run to succeed with every task's effect once."""

import json
import os
import signal
from pathlib import Path

import pytest

from faultline.service.harness import post_workflow, request, service, trigger, wait_until, workers
from runtime.real.db import Database

ROOT = Path(__file__).resolve().parents[2]
HELLO = (ROOT / "examples" / "hello.yml").read_text(encoding="utf-8")
SLOW_ETL = """
name: etl
tasks:
  - {name: extract, payload: {amount: 10}, duration_ms: 300}
  - {name: transform_orders, depends_on: [extract], payload: {amount: 3}, duration_ms: 1500}
  - {name: transform_refunds, depends_on: [extract], payload: {amount: 4}, duration_ms: 1500}
  - {name: transform_fees, depends_on: [extract], payload: {amount: 5}, duration_ms: 1500}
  - {name: load, depends_on: [transform_orders, transform_refunds, transform_fees], handler: write,
     payload: {key: "warehouse:daily"}, duration_ms: 300}
"""
BAD_SPECS = [
    ("name: x\ntasks:\n  - {name: a, depends_on: [b]}\n  - {name: b, depends_on: [a]}\n", "a -> b -> a"),
    ("name: x\ntasks:\n  - {name: a, depends_on: [ghost]}\n", "task 'a' depends on unknown task 'ghost'"),
    ("name: x\ntasks:\n  - {name: a}\n  - {name: a}\n", "task 'a' is defined twice"),
    ("name: x\ntasks:\n  - {name: a, duration_ms: soon}\n", "task 'a'"),
]


def run_of(base: str, run_id: str) -> dict:
    status, answer = request(f"{base}/runs/{run_id}")
    assert status == 200, answer
    return answer


def test_a_workflow_created_from_yaml_runs_to_success_over_http(tmp_path):
    db = str(tmp_path / "wf.sqlite")
    with service(db) as api, workers(db, concurrency=2):
        status, created = post_workflow(api, HELLO)
        assert status == 201 and created["tasks"] == ["hello", "world"], created
        status, started = trigger(api, created["workflow_id"])
        assert status == 201
        run = wait_until(lambda: (r := run_of(api, started["run_id"]))["state"] == "succeeded" and r, timeout=20)
        assert [(t["task"], t["state"], t["attempts"]) for t in run["tasks"]] == [
            ("hello", "succeeded", 1),
            ("world", "succeeded", 1),
        ]
        assert run["tasks"][1]["depends_on"] == ["hello"]
        assert run["finished_at_ms"] >= run["created_at_ms"]
        status, tasks = request(f"{api}/runs/{started['run_id']}/tasks")
        assert status == 200 and tasks == run["tasks"]
        status, also = request(f"{api}/workflows", json.dumps({"yaml": HELLO}).encode())
        assert status == 201 and also["workflow_id"] != created["workflow_id"]


def test_bad_specs_get_422_naming_the_task_and_write_nothing(tmp_path):
    db = str(tmp_path / "wf.sqlite")
    with service(db) as api:
        for text, says in BAD_SPECS:
            status, answer = post_workflow(api, text)
            assert (status, answer["field"]) == (422, "yaml"), answer
            assert says in answer["error"], answer
        assert request(f"{api}/workflows", b'{"yaml": 5}')[0] == 422
        assert request(f"{api}/workflows", b"{", content_type="application/json") == (
            400,
            {"error": "the body is not valid JSON", "field": "body"},
        )
        assert request(f"{api}/workflows", b"x", content_type="image/png")[0] == 415
        assert request(f"{api}/workflows/wf-nope/trigger", b"", method="POST")[0] == 404
        assert request(f"{api}/runs/run-nope") == (404, {"error": "no run 'run-nope'", "field": "run_id"})
        database = Database(db)
        assert database.read("SELECT (SELECT count(*) FROM workflows), (SELECT count(*) FROM runs)") == [(0, 0)]
        database.close()


@pytest.mark.drill
def test_a_worker_killed_mid_run_leaves_the_run_to_succeed_with_every_effect_once(db_url):
    Database(db_url).reset()
    with service(db_url) as api, workers(db_url, concurrency=3):
        _, created = post_workflow(api, SLOW_ETL)
        _, started = trigger(api, created["workflow_id"])
        run = started["run_id"]
        database = Database(db_url)

        def a_transform_running():
            rows = database.read(
                "SELECT a.pid, m.job_id FROM actors a JOIN messages m ON m.owner = a.name "
                "WHERE m.state = 'leased' AND m.job_id LIKE ? AND a.pid IS NOT NULL ORDER BY a.name",
                (f"{run}:transform_%",),
            )
            return rows[0] if rows else None

        pid, killed_task = wait_until(a_transform_running, timeout=20)
        os.kill(pid, signal.SIGKILL)
        final = wait_until(lambda: (r := run_of(api, run))["state"] != "running" and r, timeout=30)
        assert final["state"] == "succeeded", final
        ledger = [job for (job,) in database.read("SELECT job_id FROM ledger")]
        assert sorted(ledger) == sorted(f"{run}:{t['task']}" for t in final["tasks"])  # every effect once
        retried = next(t for t in final["tasks"] if t["job_id"] == killed_task)
        assert retried["attempts"] == 2  # the killed worker's lease expired; another worker ran it again
        crashed = database.read("SELECT job_id FROM history WHERE kind = 'crashed'")
        assert (killed_task,) in crashed
        database.close()
