"""Dramatiq on RabbitMQ: the `dramatiq` CLI worker, its Results middleware (Redis) and its RabbitMQ
queues (ready, delayed and dead-letter) as the final state. The worker loads
`faultline.probe.adapters.dramatiq_worker`, which declares the probed actor from the probe's settings."""

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
from faultline.probe.servers import claim_redis_db, delete_amqp_queues, release_redis_db, with_redis_db

REDIS = "redis://127.0.0.1:6379"


def make_broker(amqp_url: str, results_url: str, queue: str, settings: Mapping[str, Any]):
    """A RabbitMQ broker with the Results middleware, and the probed actor on `queue`."""
    import dramatiq
    from dramatiq.brokers.rabbitmq import RabbitmqBroker
    from dramatiq.results import Results
    from dramatiq.results.backends import RedisBackend

    broker = RabbitmqBroker(url=amqp_url)
    broker.add_middleware(Results(backend=RedisBackend(url=results_url), store_results=True))
    dramatiq.set_broker(broker)

    def faultline_job(submission: str, request: str, key: str) -> bool:
        lab_job(submission, request, key)
        return True

    actor = dramatiq.actor(
        actor_name="faultline_job",
        queue_name=queue,
        max_retries=settings["max_retries"],
        min_backoff=settings["min_backoff_ms"],
        max_backoff=settings["max_backoff_ms"],
        broker=broker,
    )(faultline_job)
    return broker, actor


class Dramatiq:
    name = "dramatiq"
    distribution = "dramatiq"
    server = "rabbitmq"
    knobs = {
        "max_retries": Knob(name="max_retries", default=20, help="the actor's max_retries (Retries middleware)"),
        "min_backoff_ms": Knob(name="min_backoff_ms", default=15_000, help="the first retry's backoff, ms"),
        "max_backoff_ms": Knob(name="max_backoff_ms", default=60_000, help="the longest backoff, ms"),
    }
    configurations = {
        "default": Configuration(name="default", settings={}, source="Dramatiq's defaults"),
        "recommended": Configuration(
            name="recommended",
            settings={"max_retries": 3, "min_backoff_ms": 1_000, "max_backoff_ms": 5_000},
            source="dramatiq.io/cookbook.html and guide.html (retries, backoff)",
        ),
    }

    def attempts(self, settings: Mapping[str, Any]) -> int:
        return 1 + settings["max_retries"]

    def recovery_ms(self, settings: Mapping[str, Any]) -> int:
        return 5_000  # RabbitMQ requeues a dead consumer's unacked messages when its connection drops

    def prepare(self, ctx: ProbeContext) -> None:
        ctx.extra["db"] = claim_redis_db(REDIS, ctx.probe_id)
        ctx.extra["queue"] = f"faultline-{ctx.probe_id}"
        hand_to_worker(
            ctx,
            "dramatiq",
            {
                "broker": ctx.worker_url,
                "results": with_redis_db(REDIS, ctx.extra["db"]),
                "queue": ctx.extra["queue"],
                "settings": ctx.settings,
            },
        )

    def _client(self, ctx: ProbeContext):
        if "actor" not in ctx.extra:
            ctx.extra["broker"], ctx.extra["actor"] = make_broker(
                ctx.server_url, with_redis_db(REDIS, ctx.extra["db"]), ctx.extra["queue"], ctx.settings
            )
        return ctx.extra["actor"]

    def submit(self, ctx: ProbeContext, job: Job) -> Submitted:
        actor = self._client(ctx)
        options = {"delay": job.delay_ms} if job.delay_ms else {}
        message = actor.send_with_options(args=(job.submission, job.request, job.key), **options)
        ctx.extra.setdefault("messages", {})[message.message_id] = message
        return Submitted(library_id=message.message_id)

    def worker_command(self, ctx: ProbeContext) -> list[str]:
        return [
            sys.executable,
            "-m",
            "dramatiq",
            "faultline.probe.adapters.dramatiq_worker",
            "--processes",
            "1",
            "--threads",
            "1",
            "--queues",
            ctx.extra["queue"],
        ]

    def _depths(self, ctx: ProbeContext) -> dict[str, int]:
        import kombu

        queue = ctx.extra["queue"]
        depths = {}
        with kombu.Connection(ctx.server_url, connect_timeout=5) as connection:
            for name in (queue, f"{queue}.DQ", f"{queue}.XQ"):
                try:
                    depths[name] = connection.channel().queue_declare(name, passive=True)[1]
                except Exception:  # noqa: BLE001 - not declared (yet)
                    depths[name] = 0
        return depths

    def states(self, ctx: ProbeContext, library_ids: list[str]) -> dict[str, str]:
        from dramatiq.results import ResultFailure, ResultMissing

        broker = self._client(ctx) and ctx.extra["broker"]
        backend = next(m for m in broker.middleware if type(m).__name__ == "Results").backend
        found, depths = {}, None
        for library_id in library_ids:
            message = ctx.extra["messages"][library_id]
            try:
                backend.get_result(message)
                found[library_id] = SUCCEEDED
            except ResultFailure:
                found[library_id] = FAILED
            except ResultMissing:
                depths = self._depths(ctx) if depths is None else depths
                queue = ctx.extra["queue"]
                if depths[f"{queue}.XQ"]:
                    found[library_id] = FAILED
                elif depths[f"{queue}.DQ"]:
                    found[library_id] = SCHEDULED
                elif depths[queue]:
                    found[library_id] = QUEUED
                else:
                    found[library_id] = MISSING
        return found

    def cleanup(self, ctx: ProbeContext) -> None:
        broker = ctx.extra.pop("broker", None)
        if broker is not None:
            broker.close()
        if "queue" in ctx.extra:
            queue = ctx.extra["queue"]
            delete_amqp_queues(ctx.server_url, [queue, f"{queue}.DQ", f"{queue}.XQ"])
        if "db" in ctx.extra:
            release_redis_db(REDIS, ctx.extra["db"], ctx.probe_id)


def load_worker_broker():
    config = handed_to_worker("dramatiq")
    return make_broker(config["broker"], config["results"], config["queue"], config["settings"])[0]
