"""`faultline serve`: the job service over HTTP (FastAPI on uvicorn), on the real world's SQL ports.

POST /jobs submits a job under an optional idempotency key (201 new, 200 the key's first job);
GET /jobs/{job_id} reads its state back; GET /metrics is Prometheus; GET /health checks the database.
Bad requests get a 4xx JSON error naming the field, and write nothing.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from annotated_types import Ge, Le
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, StrictStr
from starlette.exceptions import HTTPException

from runtime.core.policy import Policy
from runtime.real import jobs
from runtime.real.db import Database, Unavailable
from runtime.real.queue import SqlQueue

MAX_BODY_BYTES = 64 * 1024


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
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            response = error(413, f"the body is over {MAX_BODY_BYTES} bytes", "body")
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
