"""Test-wide settings and fixtures.

Hypothesis runs derandomized by default so CI is reproducible; run `pytest --hypothesis-profile=explore`
for fresh random examples on every run. `postgres_url` gives each test process a fresh database.
"""

import os
import uuid

import pytest
from hypothesis import settings

settings.register_profile("default", derandomize=True, deadline=None, database=None, max_examples=100)
settings.register_profile("explore", deadline=None, max_examples=500)
settings.load_profile("default")

POSTGRES_SERVER = os.environ.get("FAULTLINE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
REDIS_SERVER = os.environ.get("FAULTLINE_TEST_REDIS", "redis://127.0.0.1:6379/0")


def fresh_postgres(prefix: str):
    """A new Postgres database of the caller's own (a generator: yields its URL, drops it afterwards).
    Off CI, with no server reachable, the test skips with the reason; with CI set it must run."""
    from runtime.real.db import drop_database, ensure_database

    url = f"{POSTGRES_SERVER}/{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        ensure_database(url)
    except Exception as error:  # no server reachable
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Postgres at {POSTGRES_SERVER} ({str(error).splitlines()[0]}); set CI=1 to require one")
    yield url
    drop_database(url)


def fresh_redis(prefix: str):
    """A Redis database number of the caller's own (a generator: yields its redis:// URL, empties and
    releases it afterwards). Off CI, with no server reachable, the test skips; with CI set it must run."""
    from faultline.probe.servers import claim_redis_db, release_redis_db, with_redis_db

    owner = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        number = claim_redis_db(REDIS_SERVER, owner)
    except Exception as error:  # no server reachable
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {REDIS_SERVER} ({str(error).splitlines()[0]}); set CI=1 to require one")
    yield with_redis_db(REDIS_SERVER, number)
    release_redis_db(REDIS_SERVER, number, owner)


@pytest.fixture(scope="session")
def redis_url():
    """A Redis database number for this test process, emptied afterwards."""
    yield from fresh_redis("faultline_test")


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh Postgres database for this test process, dropped afterwards."""
    yield from fresh_postgres("faultline_test")
