"""POST /workflows (keep a spec, YAML or {"yaml": ...}) and POST /workflows/{id}/trigger (start a run)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from faultline.service.schemas import (
    ID_MAX,
    TEXT_PATTERN,
    WORKFLOW_BODY,
    YAML_TYPES,
    Error,
    RunCreated,
    WorkflowBody,
    WorkflowCreated,
    guarded_responses,
)
from faultline.service.state import ServiceDep
from faultline.workflow_yaml import parse as parse_workflow
from runtime.core.workflow.spec import WorkflowError
from runtime.real import workflow_store

WorkflowId = Annotated[str, Path(max_length=ID_MAX, pattern=TEXT_PATTERN)]


def _links(operation: str, field: str) -> dict:
    """An OpenAPI link: the response's `field` is the next operation's path parameter of that name."""
    return {operation: {"operationId": operation, "parameters": {field: f"$response.body#/{field}"}}}


async def raw_body(request: Request) -> bytes:
    return await request.body()


def error(status: int, message: str, field: str) -> JSONResponse:
    return JSONResponse({"error": message, "field": field}, status_code=status)


def spec_text(raw: bytes, content_type: str | None) -> str | JSONResponse:
    """The spec's YAML text from the body, or the error answering it."""
    kind = (content_type or "application/json").split(";")[0].strip().lower()
    if kind in YAML_TYPES:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return error(400, "the body is not UTF-8 text", "body")
    if kind != "application/json":
        return error(415, f'send the spec as application/yaml or as JSON {{"yaml": ...}}, not {kind}', "content-type")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return error(400, "the body is not valid JSON", "body")
    try:
        return WorkflowBody.model_validate(data).yaml
    except ValidationError as bad_body:
        first = bad_body.errors()[0]
        field = ".".join(str(part) for part in first.get("loc", ())) or "body"
        return error(422, f"{field}: {first.get('msg', 'invalid')}", field)


def router(guarded: list) -> APIRouter:
    api = APIRouter(tags=["workflows"])

    @api.post(
        "/workflows",
        status_code=201,
        response_model=WorkflowCreated,
        responses={
            **guarded_responses(guarded),
            415: {"model": Error},
            201: {"links": _links("trigger_workflow", "workflow_id")},
        },
        openapi_extra={"requestBody": WORKFLOW_BODY},
        operation_id="create_workflow",
        dependencies=guarded,
    )
    def post_workflow(
        raw: Annotated[bytes, Depends(raw_body)],
        state: ServiceDep,
        content_type: Annotated[str | None, Header(include_in_schema=False)] = None,
    ):
        """Keep a workflow spec: its YAML as the body, or JSON `{"yaml": ...}`. A spec that can never run
        (a cycle, an unknown dependency, a repeated task, a wrong type, too long or too deep) is
        refused with 422 naming it."""
        text = spec_text(raw, content_type)
        if isinstance(text, JSONResponse):
            return text
        try:
            spec = parse_workflow(text, source="yaml")
        except WorkflowError as refused:
            return error(422, str(refused), "yaml")
        workflow_id = workflow_store.create(state.db, spec)
        body = {"workflow_id": workflow_id, "name": spec.name, "tasks": [task.name for task in spec.tasks]}
        return JSONResponse(body, status_code=201)

    @api.post(
        "/workflows/{workflow_id}/trigger",
        status_code=201,
        response_model=RunCreated,
        responses={
            **guarded_responses(guarded),
            201: {"links": {**_links("get_run", "run_id"), **_links("get_run_tasks", "run_id")}},
        },
        operation_id="trigger_workflow",
        dependencies=guarded,
    )
    def trigger_workflow(workflow_id: WorkflowId, state: ServiceDep):
        """Start a run of the workflow: one pending task per task; the dispatcher takes it from there."""
        run = workflow_store.trigger(state.db, workflow_id)
        if run is None:
            return error(404, f"no workflow {workflow_id!r}", "workflow_id")
        state.metrics.runs_started.inc()
        return JSONResponse({"run_id": run}, status_code=201)

    return api
