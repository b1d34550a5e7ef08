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


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh Postgres database for this test process, dropped afterwards."""
    yield from fresh_postgres("faultline_test")
