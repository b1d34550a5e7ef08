"""POST /dead-letters/redrive: the operator's redrive of every dead-lettered job."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.exceptions import HTTPException

from faultline.service.schemas import Redriven, RedriveRequest, guarded_responses
from faultline.service.state import ServiceDep
from runtime.core.faults import OPERATOR


def router(guarded: list) -> APIRouter:
    api = APIRouter(tags=["dead letters"])

    @api.post(
        "/dead-letters/redrive",
        response_model=Redriven,
        responses=guarded_responses(guarded),
        operation_id="redrive",
        dependencies=guarded,
    )
    def redrive(body: RedriveRequest, state: ServiceDep):
        """Move every dead-lettered job back to the queue: under its own id and key (`keep`, the
        default: a committed effect is found, not redone), or as new jobs of the same requests (`mint`)."""
        if getattr(state.queue, "broker", None) is not None:
            raise HTTPException(409, "a redrive through the broker is not built yet: nothing was moved")
        moved = state.queue.redrive(OPERATOR, body.ids == "keep")
        state.metrics.redriven.inc(moved)
        return {"redriven": moved}

    return api
