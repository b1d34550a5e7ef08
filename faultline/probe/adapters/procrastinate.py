"""procrastinate: jobs in Postgres, the library's own worker (App.run_worker), its jobs table as the
final state. The worker process is `python -m faultline.probe.adapters.procrastinate` (below), which
builds the probed app from the probe's settings and calls procrastinate's own `run_worker`."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from datetime import UTC, datetime
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
    hand_to_worker,
    handed_to_worker,
)
from faultline.probe.handler import lab_job
from faultline.probe.servers import create_pg_database, drop_pg_database, with_pg_database

TASK = "faultline_job"
QUEUE = "faultline"
RETRY_STALLED_EVERY_S = 2


def make_app(conninfo: str, settings: Mapping[str, Any], *, sync: bool = False):
    """The probed procrastinate app: one task that runs the lab's handler, and - when `retry_stalled`
    is set - the periodic task procrastinate's docs give for retrying stalled jobs."""
    import procrastinate

    connector = (
        procrastinate.SyncPsycopgConnector(conninfo=conninfo)
        if sync
        else procrastinate.PsycopgConnector(conninfo=conninfo)
    )
    app = procrastinate.App(
        connector=connector,
        worker_defaults={
            "update_heartbeat_interval": settings["heartbeat"],
            "stalled_worker_timeout": settings["stalled_timeout"],
        },
    )
    retries = settings["retries"]

    @app.task(name=TASK, retry=procrastinate.RetryStrategy(max_attempts=retries) if retries else False)
    def faultline_job(submission: str, request: str, key: str) -> None:
        lab_job(submission, request, key)

    if settings["retry_stalled"]:
        seconds = settings["stalled_timeout"]

        @app.periodic(cron=f"* * * * * */{RETRY_STALLED_EVERY_S}")
        @app.task(name="retry_stalled_jobs", queue=QUEUE, queueing_lock="retry_stalled_jobs", pass_context=True)
        async def retry_stalled_jobs(context, timestamp):
            for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=seconds):
                await app.job_manager.retry_job(job)

    return app


class Procrastinate:
    name = "procrastinate"
    distribution = "procrastinate"
    server = "postgres"
    knobs = {
        "retries": Knob(name="retries", default=0, help="RetryStrategy(max_attempts=N) on the task (default: none)"),
        "retry_stalled": Knob(
            name="retry_stalled",
            default=False,
            kind=bool,
            help="run the periodic task from procrastinate's docs that retries jobs of stalled workers",
        ),
        "stalled_timeout": Knob(
            name="stalled_timeout", default=30, help="seconds without a heartbeat before a worker counts as stalled"
        ),
        "heartbeat": Knob(name="heartbeat", default=10, help="the worker's heartbeat interval, seconds"),
        "queueing_lock": Knob(
            name="queueing_lock", default=False, kind=bool, help="defer with queueing_lock=<key> (its own dedupe)"
        ),
    }
    configurations = {
        "default": Configuration(name="default", settings={}, source="procrastinate's defaults"),
        "recommended": Configuration(
            name="recommended",
            settings={"retries": 3, "retry_stalled": True, "stalled_timeout": 5, "heartbeat": 1, "queueing_lock": True},
            source="procrastinate.readthedocs.io: howto/production/retry_stalled_jobs, howto/advanced/retry, "
            "howto/advanced/queueing_locks",
        ),
    }

    def attempts(self, settings: Mapping[str, Any]) -> int:
        return 1 + settings["retries"]

    def recovery_ms(self, settings: Mapping[str, Any]) -> int:
        if not settings["retry_stalled"]:
            return 10**9  # nothing in the library takes back a stalled job by itself
        return (settings["stalled_timeout"] + settings["heartbeat"] + RETRY_STALLED_EVERY_S) * 1000

    def prepare(self, ctx: ProbeContext) -> None:
        ctx.extra["database"] = f"faultline_probe_{ctx.probe_id}"
        create_pg_database(ctx.server_url, ctx.extra["database"])
        ctx.extra["queue"] = QUEUE
        hand_to_worker(
            ctx,
            "procrastinate",
            {"conninfo": with_pg_database(ctx.worker_url, ctx.extra["database"]), "settings": ctx.settings},
        )
        app = self._client(ctx)
        with app.open():
            app.schema_manager.apply_schema()

    def _client(self, ctx: ProbeContext):
        return make_app(with_pg_database(ctx.server_url, ctx.extra["database"]), ctx.settings, sync=True)

    def submit(self, ctx: ProbeContext, job: Job) -> Submitted:
        from procrastinate.exceptions import AlreadyEnqueued

        app = self._client(ctx)
        options = {"queue": ctx.extra["queue"]}
        if job.delay_ms:
            options["schedule_in"] = {"seconds": job.delay_ms / 1000}
        if ctx.settings["queueing_lock"]:
            options["queueing_lock"] = job.key
        with app.open():
            try:
                job_id = (
                    app.tasks[TASK]
                    .configure(**options)
                    .defer(submission=job.submission, request=job.request, key=job.key)
                )
            except AlreadyEnqueued:  # the job that holds the lock, as procrastinate's own API lists it
                owners = sorted(found.id for found in app.job_manager.list_jobs(queueing_lock=job.key))
                return Submitted(library_id=str(owners[0]), deduplicated=True)
        return Submitted(library_id=str(job_id))

    def worker_command(self, ctx: ProbeContext) -> list[str]:
        return [sys.executable, "-m", "faultline.probe.adapters.procrastinate"]

    def states(self, ctx: ProbeContext, library_ids: list[str]) -> dict[str, str]:
        """Each job's state as procrastinate's own API lists it (JobManager.list_jobs)."""
        found = dict.fromkeys(library_ids, MISSING)
        app = self._client(ctx)
        with app.open():
            listed = list(app.job_manager.list_jobs(queue=ctx.extra["queue"]))
        now = datetime.now(UTC)
        rows = [
            (str(job.id), job.status, job.scheduled_at is not None and job.scheduled_at > now)
            for job in listed
            if str(job.id) in found
        ]
        for job_id, status, later in rows:
            if status == "todo":
                found[job_id] = SCHEDULED if later else QUEUED
            elif status in ("doing", "aborting"):
                found[job_id] = RUNNING
            elif status == "succeeded":
                found[job_id] = SUCCEEDED
            else:  # failed, cancelled, aborted
                found[job_id] = FAILED
        return found

    def cleanup(self, ctx: ProbeContext) -> None:
        if "database" in ctx.extra:
            drop_pg_database(ctx.server_url, ctx.extra["database"])


def main() -> None:
    """The worker process: procrastinate's own worker, on the probed app."""
    config = handed_to_worker("procrastinate")
    app = make_app(config["conninfo"], config["settings"])
    app.run_worker(queues=[QUEUE], concurrency=1, install_signal_handlers=True)


if __name__ == "__main__":
    main()
