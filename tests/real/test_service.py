"""The job service over real HTTP: job status, Prometheus metrics, and the proof from the job-system
document. (Bad input: tests/service/; concurrency and chunked bodies: test_service_door.py;
schemathesis: test_schemathesis.py, in make drills.)"""

import json

import pytest

from faultline.service.harness import post_job, request, scrape, service, wait_until, workers
from runtime.real.db import Database


def rows(db: str) -> tuple[int, int, int]:
    database = Database(db)
    counts = database.read(
        "SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM submissions), (SELECT count(*) FROM history)"
    )[0]
    database.close()
    return tuple(counts)


def test_job_status_metrics_health_and_openapi(tmp_path):
    db = str(tmp_path / "service.sqlite")
    with service(db) as base:
        status, created = post_job(base, {"amount": 3}, "k-1")
        assert status == 201
        status, job = request(f"{base}/jobs/{created['job_id']}")
        assert status == 200 and job["state"] == "queued" and job["attempts"] == 0 and job["last_error"] is None
        post_job(base, {"amount": 3}, "k-1")
        metrics = scrape(base)
        assert metrics["faultline_api_submissions_total"] == 1 and metrics["faultline_api_dedupe_hits_total"] == 1
        assert metrics["faultline_api_request_seconds_count"] >= 3
        assert request(f"{base}/health") == (200, {"status": "ok"})
        status, spec = request(f"{base}/openapi.json")
        assert status == 200 and {"/jobs", "/jobs/{job_id}", "/metrics", "/health"} <= set(spec["paths"])


def test_the_proof_a_job_that_fails_twice_succeeds_on_attempt_3_with_2_retries(tmp_path):
    db = str(tmp_path / "service.sqlite")
    with service(db) as api, workers(db) as pool:
        status, created = post_job(api, {"fail_n_times": 2}, "proof-1")
        assert status == 201
        job = wait_until(lambda: (s := request(f"{api}/jobs/{created['job_id']}")[1])["state"] == "succeeded" and s)
        assert job["attempts"] == 3 and job["last_error"] == "handler error: simulated failure 2 of 2"
        metrics = scrape(pool)
        assert metrics["faultline_worker_jobs_retried_total"] == 2
        assert metrics["faultline_worker_jobs_failed_total"] == 2
        assert metrics["faultline_worker_jobs_succeeded_total"] == 1
        assert metrics["faultline_worker_jobs_leased_total"] == 3
        assert metrics["faultline_worker_execution_seconds_count"] == 3


@pytest.mark.drill
@pytest.mark.parametrize("payload", [{"poison": True}])
def test_a_poison_job_is_dead_lettered_after_the_policy_s_attempts(tmp_path, payload):
    db = str(tmp_path / "service.sqlite")
    with service(db) as api, workers(db) as pool:
        _, created = post_job(api, payload)
        job = wait_until(lambda: (s := request(f"{api}/jobs/{created['job_id']}")[1])["state"] == "dead" and s, 30)
        assert job["attempts"] == 8  # Policy.safe().max_attempts
        assert scrape(pool)["faultline_worker_jobs_dead_lettered_total"] == 1
        assert json.loads(json.dumps(job))["last_error"].startswith("handler error")
