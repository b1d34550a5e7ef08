"""The real world's tests: a real SQLite file and a real Postgres database, real processes.

`db_url` is parametrized over both backends (Postgres skips off CI when no server is reachable)."""

import pytest

SCALE = 0.3  # real ms per virtual ms: the FM timings (leases of 1 s, jobs of 100 ms) at a third


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "real.sqlite")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def faultline_cli():
    """Run the `faultline` command in its own process (the real world forks: keep pytest out of it)."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]

    def call(*args: str, timeout: float = 60):
        return subprocess.run(
            [sys.executable, "-m", "faultline", *args], capture_output=True, text=True, cwd=root, timeout=timeout
        )

    return call
