"""The probe's corner of the machine's shared servers: a Redis database number of its own, a Postgres
database of its own, queue names of its own - claimed before a probe, removed after it. The servers
themselves are never stopped or reconfigured."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from runtime.real.db import drop_database, ensure_database

CLAIM_KEY = "faultline:probe:claim"


def claim_redis_db(url: str, probe_id: str) -> int:
    """An empty Redis database number (1-15) claimed for this probe (SET NX of a claim key)."""
    import redis

    for number in range(1, 16):
        client = redis.Redis.from_url(with_redis_db(url, number))
        try:
            if client.dbsize() == 0 and client.set(CLAIM_KEY, probe_id, nx=True, ex=3600):
                return number
        finally:
            client.close()
    raise RuntimeError("no empty Redis database number (1-15) is free for a probe")


def release_redis_db(url: str, number: int, probe_id: str) -> None:
    """Empty the probe's database number - only if it still holds this probe's claim."""
    import redis

    client = redis.Redis.from_url(with_redis_db(url, number))
    try:
        if client.get(CLAIM_KEY) in (probe_id.encode(), None):
            client.flushdb()
    finally:
        client.close()


def with_redis_db(url: str, number: int) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{number}"))


def with_pg_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def create_pg_database(url: str, name: str) -> str:
    """A fresh Postgres database for this probe (the server's `postgres` database is asked to make it)."""
    target = with_pg_database(url, name)
    ensure_database(target)
    return target


def drop_pg_database(url: str, name: str) -> None:
    drop_database(with_pg_database(url, name))


def delete_amqp_queues(url: str, names: list[str]) -> None:
    """Delete the probe's queues (and exchanges of the same names) from the broker's vhost."""
    import kombu

    with kombu.Connection(url, connect_timeout=5) as connection:
        channel = connection.channel()
        for name in names:
            for remove in (channel.queue_delete, channel.exchange_delete):
                try:
                    remove(name)
                except Exception:  # noqa: BLE001 - absent already; the channel may need reopening
                    channel = connection.channel()
