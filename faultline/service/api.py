"""`faultline serve`: the job service over HTTP (FastAPI on uvicorn), on the real world's SQL ports.

POST /jobs submits a job under an optional idempotency key (201 new, 200 the key's first job);
GET /jobs/{job_id} reads its state back; POST /workflows keeps a workflow spec (YAML), POST
/workflows/{id}/trigger starts a run, GET /runs/{id} and /runs/{id}/tasks read it back; GET /metrics
is Prometheus; GET /health checks the database.
Bad requests get a 4xx JSON error naming the field, and write nothing.
"""

from __future__ import annotations

import json
import time
from typing import Annotated, Any, Literal

from annotated_types import Ge, Le
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictStr, ValidationError
from starlette.exceptions import HTTPException

from faultline.workflows import parse as parse_workflow
from runtime.core.faults import OPERATOR
from runtime.core.policy import Policy
from runtime.core.workflow import WorkflowError
from runtime.real import jobs, workflows
from runtime.real.db import Database, Unavailable
from runtime.real.queue import SqlQueue

MAX_BODY_BYTES = 64 * 1024
MAX_YAML_CHARS = 32 * 1024
WORKFLOW_BODY_BYTES = 12 * MAX_YAML_CHARS + 4096
"""A spec's body may carry one character more than MAX_YAML_CHARS in any encoding (up to 10 bytes
each as an escape): a longer spec gets 422 naming `yaml`, not 413."""


def _json_integer(value):
    """JSON Schema's integer: 5 and 5.0, never true, "5" or 5.5."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be an integer")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError("must be a whole number")
    return int(value)


def json_int(low: int, high: int):
    """An integer field in [low, high], with its bounds in the OpenAPI schema."""
    return Annotated[int, Ge(low), Le(high), BeforeValidator(_json_integer)]


class Payload(BaseModel):
    """What the worker's handler understands (docs/08_real_world.md); other keys ride along."""

    model_config = ConfigDict(extra="allow")
    amount: json_int(0, 10**12) | None = None
    write: StrictStr | None = Field(default=None, min_length=1, max_length=200)
    fail_n_times: json_int(0, 1000) | None = None
    poison: StrictBool | None = None
    duration_ms: json_int(1, 600_000) | None = None


class JobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    payload: Payload
    idempotency_key: StrictStr | None = Field(default=None, min_length=1, max_length=200)


class JobCreated(BaseModel):
    job_id: str


class JobStatus(BaseModel):
    job_id: str
    state: str = Field(description="queued, delayed, running, succeeded or dead")
    attempts: int
    submitted_at_ms: int
    updated_at_ms: int
    last_error: str | None


class Error(BaseModel):
    error: str
    field: str


class RedriveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: Literal["keep", "mint"] = "keep"


class Redriven(BaseModel):
    redriven: int


class WorkflowBody(BaseModel):
    """A workflow spec as JSON: its YAML text under `yaml` (or send the YAML itself as the body)."""

    model_config = ConfigDict(extra="forbid")
    yaml: StrictStr = Field(min_length=1, max_length=MAX_YAML_CHARS)


class WorkflowCreated(BaseModel):
    workflow_id: str
    name: str
    tasks: list[str]


class RunCreated(BaseModel):
    run_id: str


class TaskStatus(BaseModel):
    task: str
    job_id: str
    state: str = Field(description="pending, dispatched, succeeded, failed or skipped")
    depends_on: list[str]
    attempts: int
    dispatched_at_ms: int | None
    finished_at_ms: int | None


class RunStatus(BaseModel):
    run_id: str
    workflow: str
    state: str = Field(description="running, succeeded or failed")
    created_at_ms: int
    finished_at_ms: int | None
    tasks: list[TaskStatus]


YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain")
WORKFLOW_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": WorkflowBody.model_json_schema()},
        "application/yaml": {"schema": {"type": "string", "maxLength": MAX_YAML_CHARS}},
    },
}


def _links(operation: str, field: str) -> dict:
    """An OpenAPI link: the response's `field` is the next operation's path parameter of that name."""
    return {operation: {"operationId": operation, "parameters": {field: f"$response.body#/{field}"}}}


def error(status: int, message: str, field: str, headers=None) -> JSONResponse:
    return JSONResponse({"error": message, "field": field}, status_code=status, headers=headers)


def create_app(db_url: str, policy: Policy | None = None) -> FastAPI:
    policy = policy or Policy.safe()
    db = Database(db_url)
    db.open()
    queue = SqlQueue(db, policy)
    registry = CollectorRegistry()
    submissions = Counter("faultline_api_submissions", "Jobs submitted (new jobs)", registry=registry)
    dedupe_hits = Counter("faultline_api_dedupe_hits", "Submissions answered with an existing job", registry=registry)
    runs_started = Counter("faultline_api_workflow_runs", "Workflow runs triggered", registry=registry)
    redriven = Counter("faultline_api_redriven", "Dead-lettered jobs moved back to the queue", registry=registry)
    latency = Histogram(
        "faultline_api_request_seconds", "Request latency", ["method", "route", "status"], registry=registry
    )
    app = FastAPI(
        title="Faultline job service",
        version="1",
        description="Submit jobs with an idempotency key; read their state; Prometheus metrics.",
    )
    bad = {400: {"model": Error}, 404: {"model": Error}, 413: {"model": Error}, 422: {"model": Error}}

    @app.middleware("http")
    async def guard(request: Request, call_next):
        started = time.perf_counter()
        length = request.headers.get("content-length")
        cap = WORKFLOW_BODY_BYTES if request.url.path == "/workflows" else MAX_BODY_BYTES
        if length is not None and (not length.isdigit() or int(length) > cap):
            response = error(413, f"the body is over {cap} bytes", "body")
        else:
            response = await call_next(request)
        route = request.scope.get("route")
        latency.labels(request.method, getattr(route, "path", "unmatched"), str(response.status_code)).observe(
            time.perf_counter() - started
        )
        return response

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        """Errors the framework raises itself (an unparsable body, an unknown path or method)."""
        field = {400: "body", 404: "path", 405: "method"}.get(exc.status_code, "request")
        return error(exc.status_code, str(exc.detail), field, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        first = exc.errors()[0]
        where = [str(part) for part in first.get("loc", ()) if part != "body"]
        if first.get("type") == "json_invalid":
            return error(400, "the body is not valid JSON", "body")
        field = ".".join(where) or "body"
        return error(422, f"{field}: {first.get('msg', 'invalid')}", field)

    @app.post("/jobs", status_code=201, response_model=JobCreated, responses={200: {"model": JobCreated}, **bad})
    async def post_job(body: JobRequest):
        """Submit a job. The same idempotency_key again answers 200 with the first job's id."""
        payload: dict[str, Any] = body.payload.model_dump(exclude_none=True)
        try:
            job_id, created = jobs.submit(db, queue, payload, body.idempotency_key, dedupe=policy.dedupe_submissions)
        except Unavailable:
            return error(503, "the database is unavailable; retry with the same idempotency_key", "database")
        (submissions if created else dedupe_hits).inc()
        return JSONResponse({"job_id": job_id}, status_code=201 if created else 200)

    @app.get("/jobs/{job_id}", response_model=JobStatus, responses=bad)
    async def get_job(job_id: str):
        """A job's state, attempts, timestamps (run ms) and last error."""
        if len(job_id) > 200:
            return error(422, "job_id: at most 200 characters", "job_id")
        try:
            found = jobs.status(db, job_id)
        except Unavailable:
            return error(503, "the database is unavailable; retry", "database")
        if found is None:
            return error(404, f"no job {job_id!r}", "job_id")
        return found

    @app.post(
        "/workflows",
        status_code=201,
        response_model=WorkflowCreated,
        responses={**bad, 415: {"model": Error}, 201: {"links": _links("trigger_workflow", "workflow_id")}},
        openapi_extra={"requestBody": WORKFLOW_BODY},
        operation_id="create_workflow",
    )
    async def post_workflow(request: Request):
        """Keep a workflow spec: its YAML as the body, or JSON `{"yaml": ...}`. A spec that can never run
        (a cycle, an unknown dependency, a repeated task, a wrong type) is refused with 422 naming it."""
        kind = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
        raw = await request.body()
        if kind in YAML_TYPES:
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                return error(400, "the body is not UTF-8 text", "body")
        elif kind == "application/json":
            try:
                data = json.loads(raw)
            except ValueError:
                return error(400, "the body is not valid JSON", "body")
            try:
                text = WorkflowBody.model_validate(data).yaml
            except ValidationError as bad_body:
                first = bad_body.errors()[0]
                field = ".".join(str(part) for part in first.get("loc", ())) or "body"
                return error(422, f"{field}: {first.get('msg', 'invalid')}", field)
        else:
            return error(
                415, f'send the spec as application/yaml or as JSON {{"yaml": ...}}, not {kind}', "content-type"
            )
        if len(text) > MAX_YAML_CHARS:
            return error(422, f"yaml: at most {MAX_YAML_CHARS} characters", "yaml")
        try:
            spec = parse_workflow(text, source="workflow")
        except WorkflowError as refused:
            return error(422, str(refused), "yaml")
        try:
            workflow_id = workflows.create(db, spec)
        except Unavailable:
            return error(503, "the database is unavailable; retry", "database")
        body = {"workflow_id": workflow_id, "name": spec.name, "tasks": [task.name for task in spec.tasks]}
        return JSONResponse(body, status_code=201)

    @app.post(
        "/workflows/{workflow_id}/trigger",
        status_code=201,
        response_model=RunCreated,
        responses={**bad, 201: {"links": {**_links("get_run", "run_id"), **_links("get_run_tasks", "run_id")}}},
        operation_id="trigger_workflow",
    )
    async def trigger_workflow(workflow_id: str):
        """Start a run of the workflow: one pending task per task; the dispatcher takes it from there."""
        if len(workflow_id) > 200:
            return error(422, "workflow_id: at most 200 characters", "workflow_id")
        try:
            run = workflows.trigger(db, workflow_id)
        except Unavailable:
            return error(503, "the database is unavailable; retry", "database")
        if run is None:
            return error(404, f"no workflow {workflow_id!r}", "workflow_id")
        runs_started.inc()
        return JSONResponse({"run_id": run}, status_code=201)

    @app.get("/runs/{run_id}", response_model=RunStatus, responses=bad, operation_id="get_run")
    async def get_run(run_id: str):
        """A run's state and each task's state, attempts and times (run ms)."""
        return _run_or_error(run_id, lambda found: found)

    @app.get("/runs/{run_id}/tasks", response_model=list[TaskStatus], responses=bad, operation_id="get_run_tasks")
    async def get_run_tasks(run_id: str):
        """The run's tasks, in the spec's order."""
        return _run_or_error(run_id, lambda found: found["tasks"])

    def _run_or_error(run_id: str, pick):
        if len(run_id) > 200:
            return error(422, "run_id: at most 200 characters", "run_id")
        try:
            found = workflows.run_status(db, run_id)
        except Unavailable:
            return error(503, "the database is unavailable; retry", "database")
        if found is None:
            return error(404, f"no run {run_id!r}", "run_id")
        return pick(found)

    @app.post("/dead-letters/redrive", response_model=Redriven, responses=bad, operation_id="redrive")
    async def redrive(body: RedriveRequest):
        """Move every dead-lettered job back to the queue: under its own id and key (`keep`, the
        default: a committed effect is found, not redone), or as new jobs of the same requests (`mint`)."""
        try:
            moved = queue.redrive(OPERATOR, body.ids == "keep")
        except Unavailable:
            return error(503, "the database is unavailable; retry", "database")
        redriven.inc(moved)
        return {"redriven": moved}

    @app.get("/metrics", response_class=Response)
    async def metrics():
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/health")
    async def health():
        try:
            db.read("SELECT 1")
        except Unavailable as down:
            return JSONResponse({"status": "unavailable", "error": str(down)}, status_code=503)
        return {"status": "ok"}

    app.state.db = db
    return app
