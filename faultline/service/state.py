"""What every route of the job service shares (its database, queue, policy, metrics and API key),
handed to routes through FastAPI's `Depends`, and the API-key check for mutating routes."""

from __future__ import annotations

import hmac
from typing import Annotated

import attrs
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CollectorRegistry, Counter, Histogram

from runtime.core.policy import Policy
from runtime.real.db import Database
from runtime.real.queue import SqlQueue


class Metrics:
    """The service's own Prometheus metrics (one registry per app)."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.submissions = Counter("faultline_api_submissions", "Jobs submitted (new jobs)", registry=registry)
        self.dedupe_hits = Counter(
            "faultline_api_dedupe_hits", "Submissions answered with an existing job", registry=registry
        )
        self.runs_started = Counter("faultline_api_workflow_runs", "Workflow runs triggered", registry=registry)
        self.redriven = Counter(
            "faultline_api_redriven", "Dead-lettered jobs moved back to the queue", registry=registry
        )
        self.latency = Histogram(
            "faultline_api_request_seconds",
            "Request latency; method is one of the HTTP methods or `other`, route a route's path or `unmatched`",
            ["method", "route", "status"],
            registry=registry,
        )

    def observe(self, method: str, route: str, status: str, seconds: float) -> None:
        self.latency.labels(method, route, status).observe(seconds)


@attrs.define
class Service:
    db: Database
    queue: SqlQueue  # or a BrokeredQueue around it (--broker)
    policy: Policy
    metrics: Metrics
    api_key: str | None = None


class Unauthorized(Exception):
    """A mutating request without the service's API key (401, nothing written)."""


async def service(request: Request) -> Service:
    """The service's state (async: a dependency that never blocks runs on the event loop, not on a
    worker thread of its own)."""
    return request.app.state.service


BEARER = HTTPBearer(auto_error=False, description="The service's API key (faultline serve --api-key-file)")


ServiceDep = Annotated[Service, Depends(service)]


async def require_key(
    found: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)], state: ServiceDep
) -> None:
    """Mutating routes need `Authorization: Bearer <key>` when the service has a key, compared in
    constant time."""
    given = found.credentials.encode() if found is not None else b""
    key = (state.api_key or "").encode()  # guarded routes exist only when the service has a key
    if found is None or not key or not hmac.compare_digest(given, key):
        raise Unauthorized()
