"""The job service in-process (FastAPI's TestClient: no socket), on a fresh SQLite file and a fresh
Postgres database; `table_counts` says whether a request wrote anything."""

import pytest

from runtime.real.db import Database
from tests.conftest import fresh_postgres

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
    yield from fresh_postgres("faultline_service")


def table_counts(url: str) -> dict[str, int]:
    database = Database(url)
    try:
        sql = "SELECT " + ", ".join(f"(SELECT count(*) FROM {table})" for table in TABLES)
        return dict(zip(TABLES, database.read(sql)[0], strict=True))
    finally:
        database.close()
