"""`faultline serve`: the job service over HTTP (FastAPI on uvicorn), on the real world's SQL ports.

POST /jobs submits a job under an optional idempotency key (201 new, 200 the key's first job);
GET /jobs/{job_id} reads its state back; POST /workflows keeps a workflow spec (YAML), POST
/workflows/{id}/trigger starts a run, GET /runs/{id} and /runs/{id}/tasks read it back; POST
/dead-letters/redrive redrives; GET /metrics is Prometheus; GET /health checks the database.

Bad requests get a 4xx JSON error naming the field and write nothing (the Guard middleware, the
schemas, one handler per error kind). Routes are plain functions on the thread pool, each thread
with its own connection, so one slow request never holds up the others. With an API key every
mutating route needs `Authorization: Bearer <key>`.
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from faultline.service.guard import Guard
from faultline.service.routes import routers
from faultline.service.routes.jobs import PayloadRefused
from faultline.service.schemas import MAX_BODY_BYTES, WORKFLOW_BODY_BYTES
from faultline.service.state import Metrics, Service, Unauthorized, require_key
from runtime.core.brokered import BrokeredQueue
from runtime.core.policy import Policy
from runtime.real.broker import SERVICE_QUEUE, RabbitBroker
from runtime.real.db import SERVICE_BUSY_MS, Database, Unavailable
from runtime.real.queue import SqlQueue

THREADS = 16
"""Requests served side by side per process (each thread keeps one database connection)."""


def error(status: int, message: str, field: str, headers=None) -> JSONResponse:
    return JSONResponse({"error": message, "field": field}, status_code=status, headers=headers)


def create_app(
    db_url: str,
    policy: Policy | None = None,
    api_key: str | None = None,
    broker_url: str | None = None,
    broker_queue: str = SERVICE_QUEUE,
) -> FastAPI:
    """The app on the database at `db_url`; with `broker_url`, each submitted job is also announced
    to RabbitMQ (on `broker_queue`) once committed, for `faultline worker --broker` to deliver."""
    policy = policy or Policy.safe()
    db = Database(db_url, busy_ms=SERVICE_BUSY_MS)  # a request waits its turn, then answers 503
    db.open()
    metrics = Metrics()
    queue: Any = SqlQueue(db, policy)
    if broker_url is not None:
        broker = RabbitBroker(broker_url, broker_queue)
        broker.prepare()
        queue = BrokeredQueue(queue, broker, policy, db.record_event)
    state = Service(db=db, queue=queue, policy=policy, metrics=metrics, api_key=api_key)

    async def lifespan(app: FastAPI):
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
        yield

    app = FastAPI(
        title="Faultline job service",
        version="1",
        description="Submit jobs with an idempotency key; read their state; Prometheus metrics."
        + (" Mutating routes need `Authorization: Bearer <key>`." if api_key else ""),
        lifespan=lifespan,
    )
    app.state.service = state
    guarded = [Depends(require_key)] if api_key else []
    for router in routers(guarded):
        app.include_router(router)
    app.add_middleware(
        Guard,
        cap_for=lambda path: WORKFLOW_BODY_BYTES if path == "/workflows" else MAX_BODY_BYTES,
        observe=metrics.observe,
        json_only=lambda path: path != "/workflows",  # a spec may come as YAML
    )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        """Errors the framework raises itself (an unparsable body, an unknown path or method)."""
        field = {400: "body", 404: "path", 405: "method"}.get(exc.status_code, "request")
        return error(exc.status_code, str(exc.detail), field, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        first = exc.errors()[0]
        if first.get("type") == "json_invalid":
            return error(400, "the body is not valid JSON", "body")
        where = [str(part) for part in first.get("loc", ()) if part not in ("body", "path", "query", "header")]
        field = ".".join(where) or "body"
        message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        return error(422, f"{field}: {message}", field)

    @app.exception_handler(PayloadRefused)
    async def refused(request: Request, exc: PayloadRefused):
        return error(422, exc.message, exc.field)

    @app.exception_handler(Unauthorized)
    async def unauthorized(request: Request, exc: Unauthorized):
        return error(
            401,
            "this route needs Authorization: Bearer <the service's API key>",
            "authorization",
            {"WWW-Authenticate": "Bearer"},
        )

    @app.exception_handler(Unavailable)
    async def unavailable(request: Request, exc: Unavailable):
        """The one answer to a database that is away: retry (a submit with the same idempotency_key)."""
        return error(503, "the database is unavailable; retry (with the same idempotency_key, if any)", "database")

    return app


ENV_DB, ENV_POLICY, ENV_KEY = "FAULTLINE_SERVE_DB", "FAULTLINE_SERVE_POLICY", "FAULTLINE_SERVE_KEY"
ENV_BROKER, ENV_BROKER_QUEUE = "FAULTLINE_SERVE_BROKER", "FAULTLINE_SERVE_BROKER_QUEUE"


def app_from_env() -> FastAPI:
    """The app each of `faultline serve --workers N`'s processes builds (uvicorn imports it by name)."""
    policy = Policy.naive() if os.environ.get(ENV_POLICY) == "naive" else Policy.safe()
    return create_app(
        os.environ[ENV_DB],
        policy,
        os.environ.get(ENV_KEY) or None,
        os.environ.get(ENV_BROKER) or None,
        os.environ.get(ENV_BROKER_QUEUE) or SERVICE_QUEUE,
    )
