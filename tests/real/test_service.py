"""The job service over real HTTP: idempotent submission under concurrency, 4xx JSON errors that
write nothing, job status, Prometheus metrics, and the proof from the job-system document."""

import json
from concurrent.futures import ThreadPoolExecutor

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


def test_fifty_concurrent_posts_of_one_key_make_one_job(db_url):
    Database(db_url).reset()  # the Postgres database is this test process's: other tests used it
    with service(db_url) as base, ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(lambda _: post_job(base, {"amount": 7}, "order-50"), range(50)))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * 49 + [201]
    assert len({body["job_id"] for _, body in answers}) == 1
    database = Database(db_url)
    assert database.read("SELECT count(*) FROM messages")[0][0] == 1
    assert database.read("SELECT key, job_id FROM submissions") == [("order-50", answers[0][1]["job_id"])]
    database.close()


BAD = [
    (b'{"payload":', 400, "body"),
    (b"[]", 422, "body"),
    (b'{"idempotency_key": "k"}', 422, "payload"),
    (b'{"payload": {"amount": "ten"}}', 422, "payload.amount"),
    (b'{"payload": {"fail_n_times": -1}}', 422, "payload.fail_n_times"),
    (b'{"payload": {}, "idempotency_key": 5}', 422, "idempotency_key"),
    (b'{"payload": {}, "idempotency_key": ""}', 422, "idempotency_key"),
    (b'{"payload": {}, "surprise": 1}', 422, "surprise"),
    (b'{"payload": {"poison": "yes"}}', 422, "payload.poison"),
    (b'{"payload": {}, "pad": "' + b"x" * 70_000 + b'"}', 413, "body"),
]


def test_bad_requests_get_a_4xx_json_error_naming_the_field_and_write_nothing(tmp_path):
    db = str(tmp_path / "service.sqlite")
    with service(db) as base:
        before = rows(db)
        for body, status, field in BAD:
            got, answer = request(f"{base}/jobs", body)
            assert (got, answer["field"]) == (status, field), body[:60]
            assert answer["error"]
        assert request(f"{base}/jobs/no-such-job") == (404, {"error": "no job 'no-such-job'", "field": "job_id"})
        assert rows(db) == before


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


def test_schemathesis_finds_no_5xx_and_no_schema_violation(tmp_path):
    """Every check schemathesis has (no 5xx, responses match the schema, bad requests rejected, good
    ones accepted), over the OpenAPI spec the service publishes, against the running service."""
    import subprocess
    import sys
    from pathlib import Path

    st = Path(sys.executable).parent / "st"
    with service(str(tmp_path / "service.sqlite")) as base:
        done = subprocess.run(
            [
                str(st),
                "--config-file",
                str(Path(__file__).with_name("schemathesis.toml")),
                "run",
                f"{base}/openapi.json",
                "--max-examples",
                "30",
                "--seed",
                "7",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "No issues found" in done.stdout
