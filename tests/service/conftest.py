"""The job service in-process (FastAPI's TestClient: no socket), on a fresh SQLite file and a fresh
Postgres database; `table_counts` says whether a request wrote anything."""

import os
import uuid

import pytest

from runtime.real.db import Database, drop_database, ensure_database
from tests.conftest import POSTGRES_SERVER

TABLES = (
    "history",
    "messages",
    "job_attempts",
    "submissions",
    "dead_letters",
    "ledger",
    "workflows",
    "runs",
    "run_tasks",
    "store_calls",
)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def service_db(request, tmp_path_factory):
    """A database URL of this module's own, removed afterwards."""
    if request.param == "sqlite":
        yield str(tmp_path_factory.mktemp("service") / "service.sqlite")
        return
    url = f"{POSTGRES_SERVER}/faultline_service_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        ensure_database(url)
    except Exception as error:  # no server reachable
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Postgres at {POSTGRES_SERVER} ({str(error).splitlines()[0]}); set CI=1 to require one")
    yield url
    drop_database(url)


def table_counts(url: str) -> dict[str, int]:
    database = Database(url)
    try:
        sql = "SELECT " + ", ".join(f"(SELECT count(*) FROM {table})" for table in TABLES)
        return dict(zip(TABLES, database.read(sql)[0], strict=True))
    finally:
        database.close()
