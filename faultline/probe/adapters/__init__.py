"""The adapters Faultline ships: one per probed queue configuration (`faultline probe --list`)."""

from __future__ import annotations

from faultline.probe.adapters.celery import Celery
from faultline.probe.adapters.dramatiq import Dramatiq
from faultline.probe.adapters.huey import Huey
from faultline.probe.adapters.procrastinate import Procrastinate
from faultline.probe.adapters.rq import RQ
from faultline.probe.contract import Adapter

ADAPTERS: dict[str, Adapter] = {
    adapter.name: adapter
    for adapter in (
        RQ(),
        Procrastinate(),
        Celery("celery-redis", "redis"),
        Celery("celery-rabbitmq", "rabbitmq"),
        Dramatiq(),
        Huey(),
    )
}
SERVERS = {
    "redis": "redis://127.0.0.1:6379",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672/%2F",
    "postgres": "postgresql://postgres@127.0.0.1:5432/postgres",
}
"""Where each kind of server runs on this machine (loopback); `--server URL` points a probe elsewhere."""
