"""POST /jobs (submit under an idempotency key) and GET /jobs/{job_id} (its state)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from faultline.service.schemas import (
    BAD,
    ID_MAX,
    TEXT_PATTERN,
    JobCreated,
    JobRequest,
    JobStatus,
    guarded_responses,
)
from faultline.service.state import ServiceDep
from runtime.core.payload import payload_problem
from runtime.real import jobs

JobId = Annotated[str, Path(max_length=ID_MAX, pattern=TEXT_PATTERN)]


class PayloadRefused(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def router(guarded: list) -> APIRouter:
    api = APIRouter(tags=["jobs"])

    @api.post(
        "/jobs",
        status_code=201,
        response_model=JobCreated,
        responses={200: {"model": JobCreated}, **guarded_responses(guarded)},
        dependencies=guarded,
        operation_id="submit_job",
    )
    def post_job(body: JobRequest, state: ServiceDep):
        """Submit a job. The same idempotency_key again answers 200 with the first job's id."""
        payload: dict[str, Any] = body.payload.model_dump(exclude_unset=True)  # type: ignore[attr-defined]
        problem = payload_problem(payload)  # the queue's own rule, so it never refuses what we store
        if problem is not None:
            raise PayloadRefused(problem.field, str(problem))
        job_id, created = jobs.submit(
            state.db, state.queue, payload, body.idempotency_key, dedupe=state.policy.dedupe_submissions
        )
        (state.metrics.submissions if created else state.metrics.dedupe_hits).inc()
        return JSONResponse({"job_id": job_id}, status_code=201 if created else 200)

    @api.get("/jobs/{job_id}", response_model=JobStatus, responses=BAD, operation_id="get_job")
    def get_job(job_id: JobId, state: ServiceDep):
        """A job's state, attempts, timestamps (run ms) and last error."""
        found = jobs.status(state.db, job_id)
        if found is None:
            return JSONResponse({"error": f"no job {job_id!r}", "field": "job_id"}, status_code=404)
        return found

    return api
