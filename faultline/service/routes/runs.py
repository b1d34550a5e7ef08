"""GET /runs/{run_id} and GET /runs/{run_id}/tasks: a workflow run read back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from faultline.service.schemas import BAD, ID_MAX, TEXT_PATTERN, RunStatus, TaskStatus
from faultline.service.state import Service, ServiceDep
from runtime.real import workflow_store

RunId = Annotated[str, Path(max_length=ID_MAX, pattern=TEXT_PATTERN)]


def _found(state: Service, run_id: str):
    found = workflow_store.run_status(state.db, run_id)
    if found is None:
        return JSONResponse({"error": f"no run {run_id!r}", "field": "run_id"}, status_code=404)
    return found


def router(guarded: list) -> APIRouter:
    api = APIRouter(tags=["runs"])

    @api.get("/runs/{run_id}", response_model=RunStatus, responses=BAD, operation_id="get_run")
    def get_run(run_id: RunId, state: ServiceDep):
        """A run's state and each task's state, attempts and times (run ms)."""
        return _found(state, run_id)

    @api.get("/runs/{run_id}/tasks", response_model=list[TaskStatus], responses=BAD, operation_id="get_run_tasks")
    def get_run_tasks(run_id: RunId, state: ServiceDep):
        """The run's tasks, in the spec's order."""
        found = _found(state, run_id)
        return found if isinstance(found, JSONResponse) else found["tasks"]

    return api
