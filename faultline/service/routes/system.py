"""GET /metrics (Prometheus) and GET /health (the database answers); both open without a key."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from faultline.service.state import ServiceDep
from runtime.real.db import Unavailable


def router(guarded: list) -> APIRouter:
    api = APIRouter(tags=["system"])

    @api.get("/metrics", response_class=Response, operation_id="metrics")
    def metrics(state: ServiceDep):
        return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @api.get("/health", operation_id="health")
    def health(state: ServiceDep):
        try:
            state.db.ping()
        except Unavailable as down:
            return JSONResponse({"status": "unavailable", "error": str(down)}, status_code=503)
        return {"status": "ok"}

    return api
