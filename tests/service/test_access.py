"""Access: with an API key, every mutating route needs `Authorization: Bearer <key>` (401 JSON
otherwise, nothing written); reads, /metrics and /health stay open; the OpenAPI document declares
the scheme. Without a key nothing is required and nothing is declared."""

import pytest
from fastapi.testclient import TestClient

from faultline.service.api import create_app
from tests.service.conftest import table_counts

KEY = "s3cret-key-for-the-tests-0123456789"
HELLO = "name: hello\ntasks: [{name: a}]\n"
MUTATING = [
    ("POST", "/jobs", {"payload": {"amount": 1}}),
    ("POST", "/workflows", {"yaml": HELLO}),
    ("POST", "/workflows/wf-x/trigger", None),
    ("POST", "/dead-letters/redrive", {"ids": "keep"}),
]


@pytest.fixture(scope="module")
def keyed(service_db):
    with TestClient(create_app(service_db, api_key=KEY)) as client:
        yield client


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-key-wrong-key-wrong", "Basic " + KEY, f"Bearer {KEY}x"])
@pytest.mark.parametrize(("method", "path", "body"), MUTATING)
def test_a_mutating_request_without_the_key_gets_401_and_writes_nothing(
    keyed, service_db, method, path, body, authorization
):
    before = table_counts(service_db)
    headers = {"authorization": authorization} if authorization else {}
    answer = keyed.request(method, path, json=body, headers=headers)
    assert answer.status_code == 401, answer.text
    assert answer.json()["field"] == "authorization" and answer.headers["www-authenticate"] == "Bearer"
    assert table_counts(service_db) == before


def test_with_the_key_the_same_requests_work_and_reads_stay_open(keyed):
    auth = {"authorization": f"Bearer {KEY}"}
    created = keyed.post("/jobs", json={"payload": {"amount": 1}}, headers=auth)
    assert created.status_code == 201
    assert keyed.get(f"/jobs/{created.json()['job_id']}").status_code == 200
    workflow = keyed.post("/workflows", json={"yaml": HELLO}, headers=auth)
    assert workflow.status_code == 201
    run = keyed.post(f"/workflows/{workflow.json()['workflow_id']}/trigger", headers=auth)
    assert run.status_code == 201 and keyed.get(f"/runs/{run.json()['run_id']}").status_code == 200
    assert keyed.post("/dead-letters/redrive", json={}, headers=auth).json() == {"redriven": 0}
    assert keyed.get("/health").status_code == 200 and keyed.get("/metrics").status_code == 200


def test_the_openapi_document_declares_the_scheme_only_with_a_key(keyed, service_db):
    spec = keyed.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"] == {
        "HTTPBearer": {
            "type": "http",
            "scheme": "bearer",
            "description": spec["components"]["securitySchemes"]["HTTPBearer"]["description"],
        }
    }
    secured = {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if op.get("security")
    }
    assert secured == {(method, path.replace("wf-x", "{workflow_id}")) for method, path, _ in MUTATING}
    with TestClient(create_app(service_db)) as open_client:
        assert "securitySchemes" not in open_client.get("/openapi.json").json().get("components", {})
