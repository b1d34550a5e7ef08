"""Celery: on Redis or on RabbitMQ, the `celery worker` CLI (prefork pool), its result backend and its
broker queue as the final state. The worker loads `faultline.probe.adapters.celery_worker`, which
builds the probed app from the probe's settings."""

from __future__ import annotations

import sys
from collections.abc import Mapping
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
from faultline.probe.servers import claim_redis_db, delete_amqp_queues, release_redis_db, with_redis_db

TASK = "faultline_job"
REDIS = "redis://127.0.0.1:6379"
"""The result backend (and, for `celery-redis`, the broker): the machine's Redis, a database number of
the probe's own."""


def make_app(broker: str, backend: str, queue: str, settings: Mapping[str, Any]):
    import celery

    app = celery.Celery("faultline_probe", broker=broker, backend=backend)
    app.conf.update(
        task_default_queue=queue,
        task_acks_late=settings["acks_late"],
        task_reject_on_worker_lost=settings["reject_on_worker_lost"],
        worker_prefetch_multiplier=settings["prefetch_multiplier"],
        task_track_started=True,  # the backend says STARTED while a task runs (read-only bookkeeping)
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        result_expires=3600,
    )
    if "visibility_timeout" in settings:
        app.conf.broker_transport_options = {"visibility_timeout": settings["visibility_timeout"]}

    @app.task(name=f"{TASK}.{queue}", bind=True)
    def faultline_job(self, submission: str, request: str, key: str) -> None:
        lab_job(submission, request, key)

    return app


class Celery:
    distribution = "celery"
    knobs = {
        "acks_late": Knob(name="acks_late", default=False, kind=bool, help="task_acks_late: ack after the task ran"),
        "reject_on_worker_lost": Knob(
            name="reject_on_worker_lost",
            default=False,
            kind=bool,
            help="task_reject_on_worker_lost: requeue a task whose pool process died",
        ),
        "prefetch_multiplier": Knob(name="prefetch_multiplier", default=4, help="worker_prefetch_multiplier"),
        "task_id": Knob(
            name="task_id", default=False, kind=bool, help="apply_async(task_id=<key>): the client names the task"
        ),
    }

    def __init__(self, name: str, server: str) -> None:
        self.name, self.server = name, server
        if server == "redis":
            self.knobs = {
                **Celery.knobs,
                "visibility_timeout": Knob(
                    name="visibility_timeout",
                    default=3600,
                    help="broker_transport_options visibility_timeout (Redis transport), seconds",
                ),
            }
        recommended = {"acks_late": True, "reject_on_worker_lost": True, "prefetch_multiplier": 1, "task_id": True}
        self.configurations = {
            "default": Configuration(name="default", settings={}, source="Celery's defaults"),
            "recommended": Configuration(
                name="recommended",
                settings=recommended,
                source="docs.celeryq.dev: userguide/tasks (acks_late, reject_on_worker_lost), "
                "userguide/optimizing (prefetch_multiplier 1)",
            ),
        }

    def attempts(self, settings: Mapping[str, Any]) -> int:
        return 1

    def recovery_ms(self, settings: Mapping[str, Any]) -> int:
        if self.server == "redis":  # an unacked message comes back once its visibility timeout passed
            return settings["visibility_timeout"] * 1000
        return 5_000  # RabbitMQ requeues a dead consumer's unacked messages when its connection drops

    def prepare(self, ctx: ProbeContext) -> None:
        ctx.extra["db"] = claim_redis_db(REDIS, ctx.probe_id)
        ctx.extra["queue"] = f"faultline-{ctx.probe_id}"
        worker_broker = with_redis_db(ctx.worker_url, ctx.extra["db"]) if self.server == "redis" else ctx.worker_url
        hand_to_worker(
            ctx,
            "celery",
            {
                "broker": worker_broker,
                "backend": with_redis_db(ctx.worker_url if self.server == "redis" else REDIS, ctx.extra["db"]),
                "queue": ctx.extra["queue"],
                "settings": ctx.settings,
            },
        )

    def _client(self, ctx: ProbeContext):
        broker = with_redis_db(ctx.server_url, ctx.extra["db"]) if self.server == "redis" else ctx.server_url
        return make_app(broker, with_redis_db(REDIS, ctx.extra["db"]), ctx.extra["queue"], ctx.settings)

    def submit(self, ctx: ProbeContext, job: Job) -> Submitted:
        app = ctx.extra.get("app") or ctx.extra.setdefault("app", self._client(ctx))
        options: dict[str, Any] = {}
        if job.delay_ms:
            options["countdown"] = job.delay_ms / 1000
        if ctx.settings["task_id"]:
            options["task_id"] = f"{ctx.probe_id}-{job.key}"
        result = app.tasks[f"{TASK}.{ctx.extra['queue']}"].apply_async(
            args=(job.submission, job.request, job.key), **options
        )
        return Submitted(library_id=result.id)

    def worker_command(self, ctx: ProbeContext) -> list[str]:
        return [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "faultline.probe.adapters.celery_worker",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            "1",
            "--queues",
            ctx.extra["queue"],
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "INFO",
        ]

    def _waiting(self, ctx: ProbeContext) -> int:
        """Messages of the probe's queue the broker still holds (ready, and unacked on Redis)."""
        if self.server == "redis":
            import redis

            client = redis.Redis.from_url(with_redis_db(ctx.server_url, ctx.extra["db"]))
            try:
                return client.llen(ctx.extra["queue"]) + client.hlen("unacked")
            finally:
                client.close()
        import kombu

        with kombu.Connection(ctx.server_url, connect_timeout=5) as connection:
            try:
                _name, ready, consumers = connection.channel().queue_declare(ctx.extra["queue"], passive=True)
            except Exception:  # noqa: BLE001 - no such queue yet
                return 0
            return ready

    def states(self, ctx: ProbeContext, library_ids: list[str]) -> dict[str, str]:
        app = ctx.extra.get("app") or ctx.extra.setdefault("app", self._client(ctx))
        found = {}
        waiting = None
        for library_id in library_ids:
            state = app.AsyncResult(library_id).state
            if state == "SUCCESS":
                found[library_id] = SUCCEEDED
            elif state in ("FAILURE", "REVOKED"):
                found[library_id] = FAILED
            elif state == "STARTED":
                found[library_id] = RUNNING
            elif state == "RETRY":
                found[library_id] = SCHEDULED
            else:  # PENDING: queued, or unknown to the broker too
                waiting = self._waiting(ctx) if waiting is None else waiting
                found[library_id] = QUEUED if waiting else MISSING
        return found

    def cleanup(self, ctx: ProbeContext) -> None:
        app = ctx.extra.pop("app", None)
        if app is not None:
            app.close()
        if self.server == "rabbitmq" and "queue" in ctx.extra:
            delete_amqp_queues(ctx.server_url, [ctx.extra["queue"]])
        if "db" in ctx.extra:
            release_redis_db(REDIS, ctx.extra["db"], ctx.probe_id)


def load_worker_app():

    config = handed_to_worker("celery")
    return make_app(config["broker"], config["backend"], config["queue"], config["settings"])
