"""The job service's routes, one APIRouter per resource. `routers(guarded)` builds them: `guarded`
are the dependencies a mutating route takes (the API-key check when the service has a key)."""

from __future__ import annotations

from fastapi import APIRouter

from faultline.service.routes import dead_letters, jobs, runs, system, workflows


def routers(guarded: list) -> list[APIRouter]:
    return [module.router(guarded) for module in (jobs, workflows, runs, dead_letters, system)]
