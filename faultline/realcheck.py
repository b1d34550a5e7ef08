"""Checks of the real world's inputs before any work: a database Faultline can reach and own, and an
address it can listen on.

The rules, for every command that takes --db:
- a path that exists and is not a Faultline database (a text file, someone's SQLite file, a Postgres
  database with tables Faultline did not make) is refused and left untouched;
- a run wipes its database first: an existing Faultline database needs --reset (the lab's own
  scratch file, used when no --db is given, is wiped freely);
- no command creates a Postgres database unless --create-db asks, and read-only commands never
  create anything.
"""

from __future__ import annotations

import os
from pathlib import Path

from runtime.core.errors import BadInputError
from runtime.real.db import (
    BUSY_DB,
    EMPTY_DB,
    FAULTLINE_DB,
    FOREIGN_DB,
    MISSING_DB,
    Unavailable,
    dialect_of,
    ensure_database,
    inspect_database,
    sqlite_path,
)

RESET, OPEN, READ = "reset", "open", "read"
"""How a command uses its database: a run wipes it first; the service and its workers use it as it
is (created when new, waited for when it does not answer yet); a read-only command needs it to exist."""


def check_database(
    url: str, option: str = "--db", *, mode: str, reset: bool = False, create: bool = False, scratch: bool = False
) -> None:
    """Bad input (exit 2, nothing touched) unless `url` is a database this command may use as `mode`
    says. `scratch`: the lab's own default file, which a run wipes without --reset."""
    postgres = dialect_of(url) == "postgres"
    if postgres:
        _check_postgres_url(url, option, mode)
    else:
        _check_sqlite_path(url, option, mode)
    try:
        kind, why = inspect_database(url)
    except Unavailable as error:
        if mode == OPEN:
            return  # a service waits for its database to come up (it says so), never gives up at start

        raise BadInputError(
            f"{option} {url!r}: cannot reach the server ({error}); start Postgres or fix the URL"
        ) from None
    if kind == FOREIGN_DB:
        raise BadInputError(f"{option} {url!r} {why}: not a Faultline database; it was left untouched")
    if mode == READ and kind in (MISSING_DB, EMPTY_DB):
        raise BadInputError(
            f"{option} {url!r} {why}; pass the job service's database (faultline serve --db): "
            "this command never creates one"
        )
    if kind == MISSING_DB and postgres:
        if not create:
            raise BadInputError(f"{option} {url!r} does not exist; create it, or add --create-db")
        ensure_database(url)
    if mode == RESET and kind == FAULTLINE_DB and not reset and not scratch:
        raise BadInputError(
            f"{option} {url!r} holds a Faultline database and a run wipes it first; add --reset to wipe it, "
            "or give a new path"
        )
    if mode == RESET and kind == BUSY_DB:
        raise BadInputError(f"{option} {url!r} is locked by another process (a service or worker?); stop it first")


def _check_sqlite_path(url: str, option: str, mode: str) -> None:
    path = Path(sqlite_path(url))
    if str(path.parent) == ".faultline" and mode != READ:  # the defaults' folder
        path.parent.mkdir(exist_ok=True)
    if not url or not str(path) or path.is_dir():
        raise BadInputError(f"{option} {url!r}: give a SQLite file path or a postgresql:// URL")
    if len(os.fsencode(str(path))) > 4095 or any(len(os.fsencode(part)) > 255 for part in path.parts):
        raise BadInputError(f"{option} {url!r}: the file name is too long; choose a shorter one")
    if not path.parent.is_dir():
        raise BadInputError(f"{option} {url!r}: folder {str(path.parent)!r} does not exist; create it first")
    if mode != READ and not os.access(path.parent, os.W_OK):
        raise BadInputError(f"{option} {url!r}: folder {str(path.parent)!r} is not writable; choose another path")


def _check_postgres_url(url: str, option: str, mode: str) -> None:
    try:
        import psycopg

        info = psycopg.conninfo.conninfo_to_dict(url)
    except Exception as error:  # noqa: BLE001 - any parse error is bad input
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise BadInputError(
            f"{option} {url!r} is not a Postgres URL ({first}); e.g. postgresql://postgres@127.0.0.1:5432/faultline"
        ) from None
    if not info.get("dbname") or info["dbname"] == "postgres":
        raise BadInputError(f"{option} {url!r}: name a database of Faultline's own, e.g. .../faultline_lab")
    if "\x00" in url:
        raise BadInputError(f"{option}: a URL cannot contain a NUL character")


def check_port(host: str, port: int, option: str) -> None:
    """Bad input, before anything is created, when `host:port` cannot be listened on (taken, not an
    address of this machine, a name that does not resolve)."""
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError, ValueError) as error:
        raise BadInputError(f"--host {host!r} is not an address of this machine ({error}); e.g. 127.0.0.1") from None
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server itself will
        try:
            sock.bind(address)
        except OSError as error:
            raise BadInputError(
                f"{option} {port}: cannot listen on {host}:{port} ({error.strerror}); choose a free port"
            ) from None


REAL_WORLD_LIMITS = {
    "FM_009": (
        "fix",
        "the queue lives in the same database as the store, so an outage also stops submissions and "
        "leases; the backlog arrives the moment the database is back, and fresh jobs are not governed by "
        "the retry budget, so the fixed policy still offers the store more than 24 calls in that second "
        "(INV_008). The simulator's broker stays up through a store outage.",
    ),
}
"""FM id -> (the direction the real world cannot show, why). docs/08_real_world.md lists them."""
