"""`faultline serve`, `faultline worker` and `faultline drill`: the real world's job service, its
worker pool, and drills that break them for real (docs/08_real_world.md)."""

from __future__ import annotations

import json
import shutil
import signal
import sys

import click

from faultline.cli.app import cli
from faultline.cli.common import EXIT_HOLDS, EXIT_VIOLATED

SERVICE_DB = ".faultline/jobs.sqlite"
DB_HELP = "A SQLite file or a postgresql:// URL."


@cli.command("serve")
@click.option("--db", default=SERVICE_DB, show_default=True, metavar="PATH|URL", help=DB_HELP)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--policy",
    "policy_name",
    type=click.Choice(["safe", "naive"]),
    default="safe",
    show_default=True,
    help="naive: the draft service that does not dedupe submissions by idempotency_key.",
)
def serve_command(db: str, host: str, port: int, policy_name: str) -> None:
    """The job service: POST /jobs, GET /jobs/{id}, /metrics, /health, OpenAPI at /docs."""
    from faultline.realcheck import check_database

    check_database(db, "--db")
    import uvicorn

    from faultline.service.api import create_app

    click.echo(f"faultline serve: http://{host}:{port} on {db} (Ctrl-C stops)", err=True)
    from runtime.core.policy import Policy

    policy = Policy.safe() if policy_name == "safe" else Policy.naive()
    uvicorn.run(create_app(db, policy), host=host, port=port, log_level="warning")


@cli.command("worker")
@click.option("--db", default=SERVICE_DB, show_default=True, metavar="PATH|URL", help=DB_HELP)
@click.option("--policy", "policy_name", type=click.Choice(["safe", "naive"]), default="safe", show_default=True)
@click.option("--concurrency", type=click.IntRange(1, 64), default=2, show_default=True, help="Worker processes.")
@click.option("--metrics-port", type=click.IntRange(1, 65535), default=9100, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="Where /metrics listens.")
def worker_command(db: str, policy_name: str, concurrency: int, metrics_port: int, host: str) -> None:
    """Worker processes serving the job service's queue, with /metrics for the worker side."""
    from faultline.realcheck import check_database

    check_database(db, "--db")
    from faultline.service.worker import Pool, multiprocess_mode
    from runtime.core.policy import Policy

    folder = multiprocess_mode()
    pool = Pool(db, Policy.safe() if policy_name == "safe" else Policy.naive(), concurrency)

    def stop(signum, frame):
        pool.stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(
        f"faultline worker: {concurrency} process(es), policy {policy_name}, metrics http://{host}:{metrics_port}/metrics",
        err=True,
    )
    try:
        pool.run(metrics_port, host, say=lambda line: click.echo(line, err=True))
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # the worker processes' metric files


@cli.command("drill")
@click.argument("name", type=click.Choice(["worker-crash", "duplicate-submission", "db-outage"]))
@click.option("--db", default=None, metavar="PATH|URL", help=DB_HELP + " Default: a temporary SQLite file.")
@click.option("--policy", "policy_name", type=click.Choice(["safe", "naive"]), default="safe", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def drill_command(name: str, db: str | None, policy_name: str, as_json: bool) -> None:
    """Start the service and workers, break them for real, judge the run, compare the metrics.

    Exit 0 when every invariant holds, 1 when one is violated."""
    from faultline.service import drills

    if db is not None:
        from faultline.realcheck import check_database

        check_database(db, "--db")
    result = drills.run_drill(name, db, policy_name)
    if as_json:
        click.echo(json.dumps(result.to_json(), sort_keys=True))
    else:
        drills.print_result(result)
    sys.exit(EXIT_VIOLATED if result.violations else EXIT_HOLDS)


@cli.command("redrive")
@click.option("--db", default=SERVICE_DB, show_default=True, metavar="PATH|URL", help=DB_HELP)
@click.option(
    "--ids",
    type=click.Choice(["keep", "mint"]),
    default="keep",
    show_default=True,
    help="keep: each job goes back under its own id and key (a committed effect is found, not redone); "
    "mint: as a new job of the same request.",
)
@click.option("--json", "as_json", is_flag=True, help='Print {"redriven": N}.')
def redrive_command(db: str, ids: str, as_json: bool) -> None:
    """Move every dead-lettered job of the job service back to its queue (the operator's redrive)."""
    from pathlib import Path

    from faultline.realcheck import check_database
    from runtime.core.errors import BadInputError
    from runtime.core.faults import OPERATOR
    from runtime.core.policy import Policy
    from runtime.real.db import Database, dialect_of, sqlite_path
    from runtime.real.queue import SqlQueue

    check_database(db, "--db")
    if dialect_of(db) == "sqlite" and not Path(sqlite_path(db)).is_file():
        raise BadInputError(f"--db {db!r} is not a file; pass the job service's database (faultline serve --db)")
    database = Database(db)
    try:
        database.open()
        moved = SqlQueue(database, Policy.safe()).redrive(OPERATOR, ids == "keep")
    finally:
        database.close()
    click.echo(json.dumps({"redriven": moved}) if as_json else f"redriven: {moved} job(s), ids {ids}")
