"""RQ (Redis Queue): jobs in Redis, the `rq worker` CLI, its registries as the final state."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from faultline.probe.contract import (
    FAILED,
    MISSING,
    QUEUED,
    RUNNING,
    SCHEDULED,
    SUCCEEDED,
    Configuration,
    Job,
    Knob,
    ProbeContext,
    Submitted,
)
from faultline.probe.handler import lab_job
from faultline.probe.servers import claim_redis_db, release_redis_db, with_redis_db

_STATES = {
    "queued": QUEUED,
    "started": RUNNING,
    "finished": SUCCEEDED,
    "failed": FAILED,
    "stopped": FAILED,
    "canceled": FAILED,
    "deferred": SCHEDULED,
    "scheduled": SCHEDULED,
    "created": QUEUED,
    "rate_limited": QUEUED,
    "ready_to_enqueue": QUEUED,
}


def faultline_job(submission: str, request: str, key: str) -> None:
    """The probed task: RQ imports it by its dotted path in the worker."""
    lab_job(submission, request, key)


class RQ:
    name = "rq"
    distribution = "rq"
    server = "redis"
    knobs = {
        "retries": Knob(name="retries", default=0, help="Retry(max=N) on every job (RQ: no retry by default)"),
        "job_timeout": Knob(
            name="job_timeout", default=180, help="seconds before a running job is timed out / abandoned"
        ),
        "maintenance_interval": Knob(
            name="maintenance_interval",
            default=600,
            help="seconds between a worker's registry cleanups (rq worker "
            "--maintenance-interval), which find abandoned jobs",
        ),
        "worker_ttl": Knob(
            name="worker_ttl",
            default=420,
            help="rq worker --worker-ttl: an idle worker wakes (and may run maintenance) every worker_ttl - 15 s",
        ),
        "unique": Knob(
            name="unique", default=False, kind=bool, help="enqueue with job_id=<key>, unique=True (RQ's own dedupe)"
        ),
    }
    configurations = {
        "default": Configuration(name="default", settings={}, source="RQ's defaults"),
        "recommended": Configuration(
            name="recommended",
            settings={"retries": 3, "job_timeout": 5, "maintenance_interval": 3, "worker_ttl": 16, "unique": True},
            source="python-rq.org/docs/jobs (Retry, job_timeout, unique) and /docs/workers (maintenance)",
        ),
    }

    def attempts(self, settings: Mapping[str, Any]) -> int:
        return 1 + settings["retries"]

    def recovery_ms(self, settings: Mapping[str, Any]) -> int:
        # An execution's registry entry lives min(job_timeout, job monitoring interval 30 s) + 60 s past
        # its last heartbeat; a worker's maintenance pass then finds it abandoned.
        # An idle worker blocks on the queue for worker_ttl - 15 s between maintenance checks.
        timeout = settings["job_timeout"]
        idle = max(1, settings["worker_ttl"] - 15)
        return (min(timeout, 30) + 60 + max(settings["maintenance_interval"], idle)) * 1000

    def prepare(self, ctx: ProbeContext) -> None:
        ctx.extra["db"] = claim_redis_db(ctx.server_url, ctx.probe_id)
        ctx.extra["queue"] = f"faultline-{ctx.probe_id}"

    def _queue(self, ctx: ProbeContext):
        import redis
        from rq import Queue

        connection = redis.Redis.from_url(with_redis_db(ctx.server_url, ctx.extra["db"]))
        return Queue(ctx.extra["queue"], connection=connection)

    def submit(self, ctx: ProbeContext, job: Job) -> Submitted:
        from rq import Retry
        from rq.exceptions import DuplicateJobError

        queue = self._queue(ctx)
        args = (job.submission, job.request, job.key)
        options = {"job_timeout": ctx.settings["job_timeout"]}
        if ctx.settings["retries"]:
            options["retry"] = Retry(max=ctx.settings["retries"])
        job_id = f"{ctx.probe_id}-{job.key}" if ctx.settings["unique"] else None
        try:
            if job.delay_ms:
                made = queue.enqueue_in(
                    timedelta(milliseconds=job.delay_ms),
                    faultline_job,
                    *args,
                    job_id=job_id,
                    unique=job_id is not None,
                    **options,
                )
            else:
                made = queue.enqueue(faultline_job, *args, job_id=job_id, unique=job_id is not None, **options)
        except DuplicateJobError:
            return Submitted(library_id=str(job_id), deduplicated=True)  # a unique job: it has an id
        finally:
            queue.connection.close()
        return Submitted(library_id=made.id)

    def worker_command(self, ctx: ProbeContext) -> list[str]:
        return [
            sys.executable,
            "-m",
            "rq.cli",
            "worker",
            ctx.extra["queue"],
            "--url",
            with_redis_db(ctx.worker_url, ctx.extra["db"]),
            "--maintenance-interval",
            str(ctx.settings["maintenance_interval"]),
            "--with-scheduler",
        ]

    def states(self, ctx: ProbeContext, library_ids: list[str]) -> dict[str, str]:
        from rq.exceptions import NoSuchJobError
        from rq.job import Job as RQJob

        queue = self._queue(ctx)
        found = {}
        try:
            for library_id in library_ids:
                try:
                    status = RQJob.fetch(library_id, connection=queue.connection).get_status()
                except NoSuchJobError:
                    found[library_id] = MISSING
                    continue
                found[library_id] = _STATES.get(str(getattr(status, "value", status)), QUEUED)
        finally:
            queue.connection.close()
        return found

    def cleanup(self, ctx: ProbeContext) -> None:
        if "db" in ctx.extra:
            release_redis_db(ctx.server_url, ctx.extra["db"], ctx.probe_id)
