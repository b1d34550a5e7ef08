"""huey on Redis: the `huey_consumer` CLI, its Redis storage (queue, schedule, results) as the final
state. The consumer loads `faultline.probe.adapters.huey_worker.huey`, built from the probe's settings."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from faultline.probe.contract import (
    FAILED,
    MISSING,
    QUEUED,
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
from faultline.probe.servers import claim_redis_db, release_redis_db, with_redis_db


def make_huey(url: str, settings: Mapping[str, Any]):
    from huey import RedisHuey

    huey = RedisHuey("faultline", url=url)

    @huey.task(name="faultline_job", retries=settings["retries"], retry_delay=settings["retry_delay"])
    def faultline_job(submission: str, request: str, key: str) -> bool:
        lab_job(submission, request, key)
        return True

    return huey, faultline_job


class Huey:
    name = "huey"
    distribution = "huey"
    server = "redis"
    knobs = {
        "retries": Knob(name="retries", default=0, help="the task's retries (huey: none by default)"),
        "retry_delay": Knob(name="retry_delay", default=0, help="seconds between retries"),
    }
    configurations = {
        "default": Configuration(name="default", settings={}, source="huey's defaults"),
        "recommended": Configuration(
            name="recommended",
            settings={"retries": 3, "retry_delay": 1},
            source="huey.readthedocs.io: guide (retrying tasks that fail)",
        ),
    }

    def attempts(self, settings: Mapping[str, Any]) -> int:
        return 1 + settings["retries"]

    def recovery_ms(self, settings: Mapping[str, Any]) -> int:
        return 5_000  # huey takes a task off the queue before it runs it: nothing comes back later

    def prepare(self, ctx: ProbeContext) -> None:
        ctx.extra["db"] = claim_redis_db(ctx.server_url, ctx.probe_id)
        hand_to_worker(ctx, "huey", {"url": with_redis_db(ctx.worker_url, ctx.extra["db"]), "settings": ctx.settings})

    def _client(self, ctx: ProbeContext):
        if "huey" not in ctx.extra:
            ctx.extra["huey"], ctx.extra["task"] = make_huey(
                with_redis_db(ctx.server_url, ctx.extra["db"]), ctx.settings
            )
        return ctx.extra["huey"], ctx.extra["task"]

    def submit(self, ctx: ProbeContext, job: Job) -> Submitted:
        _huey, task = self._client(ctx)
        args = (job.submission, job.request, job.key)
        result = task.schedule(args=args, delay=job.delay_ms / 1000) if job.delay_ms else task(*args)
        return Submitted(library_id=result.id)

    def worker_command(self, ctx: ProbeContext) -> list[str]:
        return [
            sys.executable,
            "-m",
            "huey.bin.huey_consumer",
            "faultline.probe.adapters.huey_worker.huey",
            "--workers",
            "1",
            "--worker-type",
            "thread",
            "--delay",
            "0.1",
        ]

    def states(self, ctx: ProbeContext, library_ids: list[str]) -> dict[str, str]:
        from huey.exceptions import TaskException

        huey, _task = self._client(ctx)
        pending = {task.id for task in huey.pending()}
        scheduled = {task.id for task in huey.scheduled()}
        found = {}
        for library_id in library_ids:
            try:
                value = huey.result(library_id, preserve=True)
            except TaskException:
                found[library_id] = FAILED
                continue
            if value is not None:
                found[library_id] = SUCCEEDED
            elif library_id in pending:
                found[library_id] = QUEUED
            elif library_id in scheduled:
                found[library_id] = SCHEDULED
            else:  # huey holds no trace of it: running right now, or gone with a dead consumer
                found[library_id] = MISSING
        return found

    def cleanup(self, ctx: ProbeContext) -> None:
        if "db" in ctx.extra:
            release_redis_db(ctx.server_url, ctx.extra["db"], ctx.probe_id)


def load_worker_huey():
    config = handed_to_worker("huey")
    return make_huey(config["url"], config["settings"])[0]
