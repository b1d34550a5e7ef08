"""Faultline's SQL, by name. Every statement the real world runs lives in runtime/real/sql/<module>.sql
under a `-- name: NAME` line (procrastinate's queries.sql is the model), written once for both
dialects with `?` placeholders (a Postgres transaction turns them into `%s`). A statement that one
dialect writes its own way follows its shared text as `-- name: NAME [postgres]` (or `[sqlite]`).

    SQL = queries("queue")
    SQL.lease_next                      # the shared text
    SQL.of("lease_next", "postgres")    # the dialect's own, else the shared text
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "sql"
HEADER = re.compile(r"^-- name: (\w+)(?: \[(sqlite|postgres)\])?\s*$", re.MULTILINE)


class Queries:
    """The named statements of one module's .sql file."""

    def __init__(self, module: str, shared: dict[str, str], dialects: dict[tuple[str, str], str]) -> None:
        self._module, self._shared, self._dialects = module, shared, dialects

    def __getattr__(self, name: str) -> str:
        try:
            return self._shared[name]
        except KeyError:
            raise AttributeError(f"runtime/real/sql/{self._module}.sql has no query named {name!r}") from None

    def of(self, name: str, dialect: str) -> str:
        """The statement as `dialect` ("sqlite" or "postgres") runs it."""
        return self._dialects.get((name, dialect)) or getattr(self, name)

    def names(self) -> list[str]:
        return sorted(self._shared)


@functools.cache
def queries(module: str) -> Queries:
    """The statements of runtime/real/sql/<module>.sql, parsed once per process."""
    text = (FOLDER / f"{module}.sql").read_text(encoding="utf-8")
    shared: dict[str, str] = {}
    dialects: dict[tuple[str, str], str] = {}
    headers = list(HEADER.finditer(text))
    for n, header in enumerate(headers):
        end = headers[n + 1].start() if n + 1 < len(headers) else len(text)
        body = text[header.end() : end].strip()
        body = body[:-1].rstrip() if body.endswith(";") else body
        name, dialect = header.group(1), header.group(2)
        table = dialects if dialect else shared
        key = (name, dialect) if dialect else name
        if key in table:
            raise ValueError(f"runtime/real/sql/{module}.sql names {name!r} twice")
        table[key] = body  # type: ignore[index]
    for name, dialect in dialects:
        if name not in shared:
            raise ValueError(f"runtime/real/sql/{module}.sql: {name} [{dialect}] has no shared text before it")
    return Queries(module, shared, dialects)
