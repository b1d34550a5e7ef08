"""The door's bad-input corpus: every row is a request a hostile or careless client sends. Each gets
a 4xx JSON error naming the field in one line, never a 5xx, and writes nothing (every table's row
count is the same before and after), on SQLite and on Postgres."""

import json

import pytest
from fastapi.testclient import TestClient

from faultline.service.api import create_app
from faultline.service.schemas import MAX_BODY_BYTES, WORKFLOW_BODY_BYTES
from faultline.workflow_yaml import MAX_YAML_CHARS
from tests.service.conftest import table_counts

JSON, YAML = "application/json", "application/yaml"


def job(payload=None, **extra) -> bytes:
    return json.dumps({"payload": {} if payload is None else payload, **extra}).encode()


def spec(*tasks: str) -> bytes:
    return ("name: x\ntasks:\n" + "".join(f"  - {task}\n" for task in tasks)).encode()


DEEP_YAML = ("name: x\ntasks:\n  - {name: a, payload: {note: " + "[" * 10_000 + "]" * 10_000 + "}}\n").encode()
ALIAS_BOMB = b'name: x\nlol: &a ["lol","lol","lol"]\nlol2: &b [*a,*a,*a]\ntasks: [{name: a}]\n'
LONG_YAML = b"name: x\ntasks: [{name: a}]\n#" + b"x" * MAX_YAML_CHARS + b"\n"

# (method, path, body, content type, status, field, what the error says)
ROWS = [
    # POST /jobs: the body as a whole
    ("POST", "/jobs", b'{"payload":', JSON, 400, "body", "not valid JSON"),
    ("POST", "/jobs", b"\xff\xfe{}", JSON, 400, "body", "not valid JSON"),
    ("POST", "/jobs", b"[]", JSON, 422, "body", "valid dictionary"),
    ("POST", "/jobs", b'"job"', JSON, 422, "body", "valid dictionary"),
    ("POST", "/jobs", b"", JSON, 422, "body", "Field required"),
    ("POST", "/jobs", b"null", JSON, 422, "body", "valid dictionary"),
    ("POST", "/jobs", b'{"idempotency_key": "k"}', JSON, 422, "payload", "Field required"),
    ("POST", "/jobs", job(surprise=1), JSON, 422, "surprise", "Extra inputs are not permitted"),
    ("POST", "/jobs", job({}, pad="x" * (MAX_BODY_BYTES + 10)), JSON, 413, "body", f"over {MAX_BODY_BYTES} bytes"),
    # the fields a worker reads, typed and ranged
    ("POST", "/jobs", job({"amount": "ten"}), JSON, 422, "payload.amount", "must be an integer in [0, 1000000000000]"),
    ("POST", "/jobs", job({"amount": -1}), JSON, 422, "payload.amount", "got -1"),
    ("POST", "/jobs", job({"amount": 10**13}), JSON, 422, "payload.amount", "got 10000000000000"),
    ("POST", "/jobs", job({"amount": 1.5}), JSON, 422, "payload.amount", "got 1.5"),
    ("POST", "/jobs", job({"amount": True}), JSON, 422, "payload.amount", "got True"),
    ("POST", "/jobs", job({"amount": None}), JSON, 422, "payload.amount", "got None"),
    ("POST", "/jobs", job({"fail_n_times": -1}), JSON, 422, "payload.fail_n_times", "in [0, 1000], got -1"),
    ("POST", "/jobs", job({"fail_n_times": "x"}), JSON, 422, "payload.fail_n_times", "got 'x'"),
    ("POST", "/jobs", job({"fail_n_times": 1001}), JSON, 422, "payload.fail_n_times", "got 1001"),
    ("POST", "/jobs", job({"max_attempts": "x"}), JSON, 422, "payload.max_attempts", "in [1, 100], got 'x'"),
    ("POST", "/jobs", job({"max_attempts": 0}), JSON, 422, "payload.max_attempts", "got 0"),
    ("POST", "/jobs", job({"max_attempts": 101}), JSON, 422, "payload.max_attempts", "got 101"),
    ("POST", "/jobs", job({"backoff_ms": "x"}), JSON, 422, "payload.backoff_ms", "in [0, 3600000], got 'x'"),
    ("POST", "/jobs", job({"backoff_ms": -1}), JSON, 422, "payload.backoff_ms", "got -1"),
    ("POST", "/jobs", job({"duration_ms": 0}), JSON, 422, "payload.duration_ms", "in [1, 3600000], got 0"),
    ("POST", "/jobs", job({"duration_ms": 3_600_001}), JSON, 422, "payload.duration_ms", "got 3600001"),
    ("POST", "/jobs", job({"poison": "yes"}), JSON, 422, "payload.poison", "valid boolean"),
    ("POST", "/jobs", job({"poison": 1}), JSON, 422, "payload.poison", "valid boolean"),
    ("POST", "/jobs", job({"business_row": "no"}), JSON, 422, "payload.business_row", "valid boolean"),
    ("POST", "/jobs", job({"write": ""}), JSON, 422, "payload.write", "at least 1 character"),
    ("POST", "/jobs", job({"write": "k" * 201}), JSON, 422, "payload.write", "at most 200 characters"),
    ("POST", "/jobs", job({"write": 5}), JSON, 422, "payload.write", "valid string"),
    ("POST", "/jobs", job({"write": "a\x00b"}), JSON, 422, "payload.write", "must not contain a NUL"),
    # the idempotency key
    ("POST", "/jobs", job(idempotency_key=5), JSON, 422, "idempotency_key", "valid string"),
    ("POST", "/jobs", job(idempotency_key=""), JSON, 422, "idempotency_key", "at least 1 character"),
    ("POST", "/jobs", job(idempotency_key="k" * 201), JSON, 422, "idempotency_key", "at most 200 characters"),
    ("POST", "/jobs", job(idempotency_key="a\x00b"), JSON, 422, "idempotency_key", "must not contain a NUL"),
    ("POST", "/jobs", b'{"payload": {}, "idempotency_key": "\\ud800"}', JSON, 422, "idempotency_key", "surrogate"),
    # what no database keeps, anywhere in a body
    ("POST", "/jobs", b'{"payload": {"x": NaN}}', JSON, 422, "payload.x", "NaN and Infinity are not JSON"),
    ("POST", "/jobs", b'{"payload": {"x": Infinity}}', JSON, 422, "payload.x", "NaN and Infinity"),
    ("POST", "/jobs", b'{"payload": {"x": [1, -Infinity]}}', JSON, 422, "payload.x.1", "NaN and Infinity"),
    ("POST", "/jobs", b'{"payload": {"amount": NaN}}', JSON, 422, "payload.amount", "NaN and Infinity"),
    ("POST", "/jobs", b'{"payload": {"a\\u0000": 1}}', JSON, 422, "payload", "must not contain a NUL"),
    ("POST", "/jobs", b'{"payload": {"x": {"y": "\\udfff"}}}', JSON, 422, "payload.x.y", "surrogate"),
    # extra payload keys: bounded
    ("POST", "/jobs", job({"a": {"b": [[1]]}}), JSON, 422, "payload.a.b.0", "nests deeper than 3 levels"),
    ("POST", "/jobs", job({"k" * 201: 1}), JSON, 422, "payload", "longer than 200 characters"),
    ("POST", "/jobs", job([]), JSON, 422, "payload", "valid dictionary"),
    ("POST", "/jobs", job("x"), JSON, 422, "payload", "valid dictionary"),
    ("POST", "/jobs", b"[" * 50 + b"]" * 50, JSON, 422, "body.0.0.0.0.0.0.0", "nests deeper than 7 levels"),
    ("POST", "/jobs", job({"amount": 1}), "text/plain", 415, "content-type", "as application/json, not text/plain"),
    ("POST", "/jobs", job({"amount": 1}), None, 415, "content-type", "not no content type"),
    ("POST", "/jobs", b"payload=1", "application/x-www-form-urlencoded", 415, "content-type", "not application/x-www"),
    # GET /jobs/{job_id}
    ("GET", "/jobs/no-such-job", None, None, 404, "job_id", "no job 'no-such-job'"),
    ("GET", "/jobs/" + "j" * 201, None, None, 422, "job_id", "at most 200 characters"),
    ("GET", "/jobs/a%00b", None, None, 422, "job_id", "should match pattern"),
    # POST /workflows
    (
        "POST",
        "/workflows",
        spec("{name: a, depends_on: [b]}", "{name: b, depends_on: [a]}"),
        YAML,
        422,
        "yaml",
        "a -> b -> a",
    ),
    ("POST", "/workflows", spec("{name: a, depends_on: [ghost]}"), YAML, 422, "yaml", "unknown task 'ghost'"),
    ("POST", "/workflows", spec("{name: a}", "{name: a}"), YAML, 422, "yaml", "task 'a' is defined twice"),
    ("POST", "/workflows", spec("{name: a, duration_ms: soon}"), YAML, 422, "yaml", "task 'a': duration_ms"),
    ("POST", "/workflows", spec("{name: a, handler: fax}"), YAML, 422, "yaml", "unknown handler 'fax'"),
    ("POST", "/workflows", spec("{name: a, payload: {amount: x}}"), YAML, 422, "yaml", "task 'a': payload.amount"),
    ("POST", "/workflows", spec("{name: a, handler: write, payload: {key: 5}}"), YAML, 422, "yaml", "payload.key"),
    ("POST", "/workflows", spec("{name: a, payload: {n: [[[1]]]}}"), YAML, 422, "yaml", "nests deeper than 3"),
    ("POST", "/workflows", spec("{name: a, retry: {max_attempts: 0}}"), YAML, 422, "yaml", "retry.max_attempts"),
    ("POST", "/workflows", DEEP_YAML, YAML, 422, "yaml", "nests deeper than 16 levels"),
    ("POST", "/workflows", ALIAS_BOMB, YAML, 422, "yaml", "anchor or alias"),
    ("POST", "/workflows", LONG_YAML, YAML, 422, "yaml", f"at most {MAX_YAML_CHARS}"),
    ("POST", "/workflows", b"name: x\ntasks: [{name: a}]\n\x00", YAML, 422, "yaml", "NUL"),
    ("POST", "/workflows", b"- a\n- b\n", YAML, 422, "yaml", "must be a YAML mapping"),
    ("POST", "/workflows", b"name: [\n", YAML, 422, "yaml", "not valid YAML"),
    ("POST", "/workflows", b"\xff\xfe", YAML, 400, "body", "not UTF-8"),
    ("POST", "/workflows", b'{"yaml": 5}', JSON, 422, "yaml", "valid string"),
    ("POST", "/workflows", b'{"yaml": ""}', JSON, 422, "yaml", "at least 1 character"),
    ("POST", "/workflows", b'{"yaml": "name: x", "more": 1}', JSON, 422, "more", "Extra inputs"),
    ("POST", "/workflows", b'{"yaml": "a\\u0000"}', JSON, 422, "yaml", "NUL"),
    ("POST", "/workflows", b"{", JSON, 400, "body", "not valid JSON"),
    ("POST", "/workflows", b"x", "image/png", 415, "content-type", "not image/png"),
    ("POST", "/workflows", b"x" * (WORKFLOW_BODY_BYTES + 1), YAML, 413, "body", f"over {WORKFLOW_BODY_BYTES}"),
    # a workflow's trigger and its runs
    ("POST", "/workflows/wf-nope/trigger", b"", JSON, 404, "workflow_id", "no workflow 'wf-nope'"),
    ("POST", "/workflows/" + "w" * 201 + "/trigger", b"", JSON, 422, "workflow_id", "at most 200"),
    ("POST", "/workflows/a%00/trigger", b"", JSON, 422, "workflow_id", "should match pattern"),
    ("GET", "/runs/run-nope", None, None, 404, "run_id", "no run 'run-nope'"),
    ("GET", "/runs/run-nope/tasks", None, None, 404, "run_id", "no run 'run-nope'"),
    ("GET", "/runs/" + "r" * 201, None, None, 422, "run_id", "at most 200"),
    ("GET", "/runs/%00", None, None, 422, "run_id", "should match pattern"),
    # the operator's redrive
    ("POST", "/dead-letters/redrive", b'{"ids": "all"}', JSON, 422, "ids", "'keep' or 'mint'"),
    ("POST", "/dead-letters/redrive", b'{"ids": "keep", "x": 1}', JSON, 422, "x", "Extra inputs"),
    ("POST", "/dead-letters/redrive", b"[]", JSON, 422, "body", "valid dictionary"),
    # paths and methods nobody serves
    ("GET", "/nope", None, None, 404, "path", "Not Found"),
    ("DELETE", "/jobs", None, None, 405, "method", "Method Not Allowed"),
    ("PATCH", "/jobs/x", b"{}", JSON, 405, "method", "Method Not Allowed"),
    ("BREW", "/jobs", None, None, 405, "method", "Method Not Allowed"),
]


@pytest.fixture(scope="module")
def client(service_db):
    with TestClient(create_app(service_db), raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize(("method", "path", "body", "kind", "status", "field", "says"), ROWS)
def test_a_bad_request_gets_a_4xx_naming_the_field_and_writes_nothing(
    client, service_db, method, path, body, kind, status, field, says
):
    before = table_counts(service_db)
    headers = {"content-type": kind} if kind else {}
    answer = client.request(method, path, content=body, headers=headers)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    error = answer.json()
    assert error["field"] == field and says in error["error"], error
    assert "\n" not in error["error"]
    assert table_counts(service_db) == before


def test_the_corpus_is_large():
    assert len(ROWS) >= 60


def test_an_invented_method_is_one_metric_series(client):
    for method in ("BREW", "PROPFIND", "XYZZY"):
        client.request(method, "/jobs")
    text = client.get("/metrics").text
    methods = {line.split('method="')[1].split('"')[0] for line in text.splitlines() if 'method="' in line}
    assert methods <= {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "other"}
    assert "other" in methods


def test_a_good_request_after_all_that_still_works(client):
    answer = client.post("/jobs", json={"payload": {"amount": 5, "note": {"tags": ["a", "é"]}}, "idempotency_key": "k"})
    assert answer.status_code in (200, 201) and answer.json()["job_id"].startswith("job-")
    assert client.get("/health").json() == {"status": "ok"}


@pytest.mark.parametrize("as_json", [False, True], ids=["yaml-body", "json-body"])
def test_a_spec_of_exactly_the_limit_is_kept_and_one_character_more_is_refused(client, as_json):
    """The limit is counted in characters (code points), as the OpenAPI maxLength states it, whatever
    the bytes: a spec padded with 'é' (2 bytes each) to exactly MAX_YAML_CHARS is kept."""
    spec_text = "name: x\ntasks: [{name: a}]\n#"
    at_limit = spec_text + "é" * (MAX_YAML_CHARS - len(spec_text))
    stated = client.get("/openapi.json").json()["paths"]["/workflows"]["post"]["requestBody"]["content"]
    assert stated["application/yaml"]["schema"]["maxLength"] == MAX_YAML_CHARS
    assert stated["application/json"]["schema"]["properties"]["yaml"]["maxLength"] == MAX_YAML_CHARS

    def post(text: str):
        if as_json:
            return client.post("/workflows", json={"yaml": text})
        return client.post("/workflows", content=text.encode(), headers={"content-type": YAML})

    assert len(at_limit) == MAX_YAML_CHARS and post(at_limit).status_code == 201
    refused = post(at_limit + "é")
    assert refused.status_code == 422 and refused.json()["field"] == "yaml"
