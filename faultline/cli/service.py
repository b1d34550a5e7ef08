"""`faultline serve`, `faultline worker` and `faultline drill`: the real world's job service, its
worker pool, and drills that break them for real (docs/08_real_world.md)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys

import click

from faultline.cli.app import cli
from faultline.cli.common import EXIT_HOLDS, EXIT_VIOLATED

SERVICE_DB = ".faultline/jobs.sqlite"
CREATE_DB = click.option(
    "--create-db", is_flag=True, help="With a postgresql:// --db: create the database if it does not exist."
)
API_KEY_ENV = "FAULTLINE_API_KEY"
KEY_CHARS = frozenset(chr(c) for c in range(0x21, 0x7F))
DB_HELP = "A SQLite file or a postgresql:// URL."


def broker_options(command):
    """--broker and --broker-queue: RabbitMQ delivering the service's jobs (serve, worker, up)."""
    command = click.option(
        "--broker-queue",
        default=None,
        metavar="NAME",
        help="With --broker: the queue on the broker (default faultline-jobs); serve and worker name the same.",
    )(command)
    return click.option(
        "--broker",
        default=None,
        metavar="URL",
        help="RabbitMQ delivers the jobs: an amqp://user:password@host:port/vhost URL (serve announces each "
        "committed job there, worker consumes it).",
    )(command)


def check_broker(broker: str | None, queue: str | None) -> str | None:
    """--broker names a RabbitMQ that answers and --broker-queue a plain name (bad input, exit 2,
    otherwise); the queue's name, or None without a broker."""
    import re

    from runtime.core.errors import BadInputError
    from runtime.real.broker import SERVICE_QUEUE, RabbitBroker, check_broker_url

    if broker is None:
        if queue is not None:
            raise BadInputError("--broker-queue only applies with --broker; add --broker, or drop it")
        return None
    name = SERVICE_QUEUE if queue is None else queue
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}", name) or name.startswith("amq."):
        raise BadInputError(f"--broker-queue {name!r}: 1 to 200 of A-Z a-z 0-9 . _ -, not starting with amq.")
    RabbitBroker(check_broker_url(broker), name).check()
    return name


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
@click.option(
    "--workers", type=click.IntRange(1, 16), default=1, show_default=True, help="Service processes (uvicorn's)."
)
@click.option(
    "--api-key-file",
    default=None,
    metavar="FILE",
    help=f"A file holding the API key every mutating route then needs as `Authorization: Bearer <key>` "
    f"(or set {API_KEY_ENV}).",
)
@broker_options
@CREATE_DB
def serve_command(
    db: str,
    host: str,
    port: int,
    policy_name: str,
    workers: int,
    api_key_file: str | None,
    broker: str | None,
    broker_queue: str | None,
    create_db: bool,
) -> None:
    """The job service: POST /jobs, GET /jobs/{id}, workflows, /metrics, /health, OpenAPI at /docs.
    A new SQLite --db is created owner-only (0600)."""
    import uvicorn

    from faultline.realcheck import OPEN, check_database, check_port
    from faultline.service import api
    from faultline.service.worker import wait_for_database
    from runtime.core.policy import Policy
    from runtime.real.db import Database

    key = api_key(api_key_file)
    check_port(host, port, "--port")
    queue = check_broker(broker, broker_queue)
    check_database(db, mode=OPEN, create=create_db)
    if key is None and not is_loopback(host):
        click.echo(
            f"faultline serve: warning: --host {host} is reachable from other machines and no API key is set: "
            f"anyone who reaches it can submit and redrive jobs (--api-key-file FILE or {API_KEY_ENV})",
            err=True,
        )
    policy = Policy.safe() if policy_name == "safe" else Policy.naive()
    click.echo(f"faultline serve: http://{host}:{port} on {db}, {workers} process(es) (Ctrl-C stops)", err=True)
    wait_for_database(Database(db), "faultline serve", lambda line: click.echo(line, err=True))  # migrated once
    if workers == 1:
        app = api.create_app(db, policy, key, broker, queue or "")
        uvicorn.run(app, host=host, port=port, log_level="warning")
        return
    os.environ.update({api.ENV_DB: db, api.ENV_POLICY: policy_name, api.ENV_KEY: key or ""})
    os.environ.update({api.ENV_BROKER: broker or "", api.ENV_BROKER_QUEUE: queue or ""})
    uvicorn.run(
        "faultline.service.api:app_from_env", factory=True, workers=workers, host=host, port=port, log_level="warning"
    )


def api_key(path: str | None) -> str | None:
    """The service's API key: from --api-key-file, else $FAULTLINE_API_KEY, else none. 16 to 512
    visible ASCII characters (what a Bearer token may carry)."""
    from faultline.inputs import read_text_file
    from runtime.core.errors import BadInputError

    if path is not None:
        key = read_text_file(path, max_chars=1024, noun="API key file", fix="give a file holding the key").strip()
        where = f"--api-key-file {path!r}"
    else:
        key = os.environ.get(API_KEY_ENV, "")
        if not key:
            return None
        where = API_KEY_ENV
    if not 16 <= len(key) <= 512 or not set(key) <= KEY_CHARS:
        raise BadInputError(
            f"{where}: the key must be 16 to 512 visible ASCII characters "
            "(e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return key


def is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@cli.command("worker")
@click.option("--db", default=SERVICE_DB, show_default=True, metavar="PATH|URL", help=DB_HELP)
@click.option("--policy", "policy_name", type=click.Choice(["safe", "naive"]), default="safe", show_default=True)
@click.option("--concurrency", type=click.IntRange(1, 64), default=2, show_default=True, help="Worker processes.")
@click.option("--metrics-port", type=click.IntRange(1, 65535), default=9100, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="Where /metrics listens.")
@broker_options
@CREATE_DB
def worker_command(
    db: str,
    policy_name: str,
    concurrency: int,
    metrics_port: int,
    host: str,
    broker: str | None,
    broker_queue: str | None,
    create_db: bool,
) -> None:
    """Worker processes serving the job service's queue, with /metrics for the worker side."""
    from faultline.realcheck import OPEN, check_database, check_port

    check_port(host, metrics_port, "--metrics-port")
    queue = check_broker(broker, broker_queue)
    check_database(db, mode=OPEN, create=create_db)
    from faultline.service.worker import Pool, multiprocess_mode
    from runtime.core.policy import Policy
    from runtime.real.broker import RabbitBroker

    folder = multiprocess_mode()
    rabbit = None
    if broker is not None and queue is not None:
        rabbit = RabbitBroker(broker, queue, wait_s=0.005)
        rabbit.prepare()
    pool = Pool(db, Policy.safe() if policy_name == "safe" else Policy.naive(), concurrency, broker=rabbit)

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


@cli.command("up")
@click.option("--db", default=SERVICE_DB, show_default=True, metavar="PATH|URL", help=DB_HELP)
@click.option("--host", default="127.0.0.1", show_default=True, help="Where the service and /metrics listen.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True, help="The service's port.")
@click.option("--metrics-port", type=click.IntRange(1, 65535), default=9100, show_default=True)
@click.option("--concurrency", type=click.IntRange(1, 64), default=2, show_default=True, help="Worker processes.")
@click.option("--policy", "policy_name", type=click.Choice(["safe", "naive"]), default="safe", show_default=True)
@broker_options
@CREATE_DB
def up_command(
    db: str,
    host: str,
    port: int,
    metrics_port: int,
    concurrency: int,
    policy_name: str,
    broker: str | None,
    broker_queue: str | None,
    create_db: bool,
) -> None:
    """The service and a worker pool on one database (the embedded SQLite by default), URLs printed;
    Ctrl-C stops both and leaves no process behind."""
    from faultline.realcheck import OPEN, check_database, check_port
    from faultline.service import up
    from runtime.core.errors import BadInputError

    if port == metrics_port:
        raise BadInputError(f"--port and --metrics-port are both {port}; give each its own")
    check_port(host, port, "--port")
    check_port(host, metrics_port, "--metrics-port")
    queue = check_broker(broker, broker_queue)
    check_database(db, mode=OPEN, create=create_db)
    common = ["--db", db, "--policy", policy_name]
    if broker is not None and queue is not None:
        common += ["--broker", broker, "--broker-queue", queue]
    base = f"http://{host}:{port}"
    click.echo(
        f"faultline up: the job service at {base} (OpenAPI at {base}/docs), {concurrency} worker(s) with "
        f"metrics at http://{host}:{metrics_port}/metrics, on {db}. Ctrl-C stops both.",
        err=True,
    )
    click.echo(
        f"try:  curl -s -X POST {base}/jobs -H 'content-type: application/json' "
        """-d '{"payload": {"fail_n_times": 2}, "idempotency_key": "proof-1"}'""",
        err=True,
    )
    code = up.run(
        {
            "serve": ["serve", *common, "--host", host, "--port", str(port)],
            "worker": [
                "worker",
                *common,
                "--host",
                host,
                "--metrics-port",
                str(metrics_port),
                "--concurrency",
                str(concurrency),
            ],
        },
        say=lambda line: click.echo(line, err=True),
    )
    sys.exit(code)


@cli.command("drill")
@click.argument("name", type=click.Choice(["worker-crash", "duplicate-submission", "db-outage", "api-crash"]))
@click.option("--db", default=None, metavar="PATH|URL", help=DB_HELP + " Default: a temporary SQLite file.")
@click.option("--policy", "policy_name", type=click.Choice(["safe", "naive"]), default="safe", show_default=True)
@click.option("--reset", is_flag=True, help="With --db: wipe the Faultline database already there.")
@CREATE_DB
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def drill_command(name: str, db: str | None, policy_name: str, reset: bool, create_db: bool, as_json: bool) -> None:
    """Start the service and workers, break them for real, judge the run, compare the metrics.

    Exit 0 when every invariant holds, 1 when one is violated."""
    from faultline.cli.common import refuse_unless
    from faultline.service import drills

    refuse_unless(db is not None, click.get_current_context(), ("reset", "create_db"), "--db")
    if db is not None:
        from faultline.realcheck import RESET, check_database

        check_database(db, mode=RESET, reset=reset, create=create_db)
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
    """Move every dead-lettered job of the job service back to its queue (the operator's redrive). The
    database must exist: this command never creates one."""
    from faultline.realcheck import READ, check_database
    from runtime.core.faults import OPERATOR
    from runtime.core.policy import Policy
    from runtime.real.db import Database
    from runtime.real.queue import SqlQueue

    check_database(db, mode=READ)
    database = Database(db)
    try:
        database.open()
        moved = SqlQueue(database, Policy.safe()).redrive(OPERATOR, ids == "keep")
    finally:
        database.close()
    click.echo(json.dumps({"redriven": moved}) if as_json else f"redriven: {moved} job(s), ids {ids}")
