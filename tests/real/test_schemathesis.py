"""Schemathesis, with every check it has, against the running service on SQLite and on Postgres, and
once with an API key (the scheme the OpenAPI document declares must be enforced): no 5xx, responses
match the schema, schema-violating requests are refused, schema-valid ones accepted. A drill: about
20 s a run. Its cache goes to the test's own folder, never the tree."""

import subprocess
import sys
from pathlib import Path

import pytest

from faultline.service.harness import service
from runtime.real.db import Database

KEY = "schemathesis-key-0123456789abcdef"


@pytest.mark.drill
@pytest.mark.parametrize("keyed", [False, True], ids=["open", "api-key"])
def test_schemathesis_finds_no_5xx_and_no_schema_violation(db_url, keyed, tmp_path):
    if keyed and not db_url.endswith(".sqlite"):
        pytest.skip("the API-key run is the same on both databases: SQLite covers it")
    Database(db_url).reset()
    extra, auth = (), []
    if keyed:
        (tmp_path / "key.txt").write_text(KEY)
        extra, auth = ("--api-key-file", str(tmp_path / "key.txt")), ["-H", f"Authorization: Bearer {KEY}"]
    st = Path(sys.executable).parent / "st"
    config = Path(__file__).with_name("schemathesis.toml")
    with service(db_url, "safe", *extra) as base:
        done = subprocess.run(
            [str(st), "--config-file", str(config), "run", f"{base}/openapi.json", "--max-examples", "30"]
            + ["--seed", "7", *auth],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
        )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "No issues found" in done.stdout
