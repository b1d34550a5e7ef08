"""Probe tests need the machine's Redis, RabbitMQ and Postgres. Off CI, a test whose server is not
reachable skips with the reason; with CI set it must run (the servers are started by .ci/run)."""

import os
import socket

import pytest

from faultline.probe.adapters import ADAPTERS, SERVERS
from tests.real.conftest import faultline_cli  # noqa: F401  (a fixture: the CLI in its own process)

PORTS = {"redis": 6379, "rabbitmq": 5672, "postgres": 5432}
NEEDS = {"celery-rabbitmq": ("rabbitmq", "redis"), "dramatiq": ("rabbitmq", "redis")}


def reachable(server: str) -> bool:
    try:
        socket.create_connection(("127.0.0.1", PORTS[server]), timeout=1).close()
        return True
    except OSError:
        return False


def require_servers(adapter_name: str) -> None:
    needed = NEEDS.get(adapter_name, (ADAPTERS[adapter_name].server,))
    missing = [server for server in needed if not reachable(server)]
    if missing and not os.environ.get("CI"):
        pytest.skip(f"no {', '.join(missing)} on 127.0.0.1 for {adapter_name}; set CI=1 to require it")


def leftovers(probe_id: str) -> list[str]:
    """What a probe left on the shared servers: a claimed Redis database, its Postgres database, its queues."""
    import kombu
    import psycopg
    import redis

    found = []
    for number in range(1, 16):
        client = redis.Redis.from_url(f"redis://127.0.0.1:6379/{number}")
        if client.get("faultline:probe:claim") == probe_id.encode():
            found.append(f"redis db {number}")
        client.close()
    with psycopg.connect(SERVERS["postgres"], autocommit=True) as db:
        if db.execute("SELECT 1 FROM pg_database WHERE datname = %s", (f"faultline_probe_{probe_id}",)).fetchone():
            found.append("postgres database")
    with kombu.Connection(SERVERS["rabbitmq"], connect_timeout=5) as connection:
        try:
            connection.channel().queue_declare(f"faultline-{probe_id}", passive=True)
            found.append("rabbitmq queue")
        except Exception:  # noqa: BLE001 - gone, as it should be
            pass
    return found
