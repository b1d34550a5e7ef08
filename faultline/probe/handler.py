"""The lab's handler: what every probed task runs, inside the probed queue's own worker.

    from faultline.probe.handler import lab_job
    @app.task                      # the library's own decorator
    def faultline_job(submission, request, key):
        lab_job(submission, request, key)

It records the delivery (`leased` + `started`, with the worker and its pid), commits the effect to
the lab's ledger (a row and its `effect_committed` event in one transaction), and records that it
returned. Between those steps the plan can hold it at a named point - `before_effect`,
`after_effect` - so that a fault (SIGKILL, SIGSTOP) lands exactly there: the handler writes that it
reached the point, then waits; the driver sees the row and strikes. Where it runs comes from the
environment the lab starts the worker with (FAULTLINE_PROBE_DIR, FAULTLINE_PROBE_WORKER).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from runtime.real.ledger import Book

POINTS = ("before_effect", "after_effect")
"""Where the plan can hold the handler (docs/13_probes.md)."""

_BOOK: Book | None = None


def _book() -> Book:
    global _BOOK
    if _BOOK is None or _BOOK.pid != os.getpid():  # a forked pool child opens its own connection
        _BOOK = Book(Path(os.environ["FAULTLINE_PROBE_DIR"]) / "book.sqlite")
    return _BOOK


def _settings() -> dict:
    return json.loads((Path(os.environ["FAULTLINE_PROBE_DIR"]) / "probe.json").read_text())


def _hold(book: Book, holds: list[dict], point: str, job: str, attempt: int, actor: str) -> None:
    for hold in holds:
        if hold["point"] == point and hold.get("job", job) == job and hold.get("attempt", attempt) == attempt:
            book.event("hold", actor, job, attempt, point=point)
            time.sleep(hold["ms"] / 1000)
            return


def lab_job(submission: str, request: str, key: str | None = None) -> None:
    """Run one delivery of a probed job (`submission` is the lab's job id, s1, s2, ...)."""
    book = _book()
    settings = _settings()
    actor = os.environ.get("FAULTLINE_PROBE_WORKER", "worker")
    attempt, token = book.deliver(submission, actor, os.getpid())
    holds = settings.get("holds", [])
    _hold(book, holds, "before_effect", submission, attempt, actor)
    if settings.get("work_ms"):
        time.sleep(settings["work_ms"] / 1000)
    book.effect(submission, actor, attempt, token, request, key)
    _hold(book, holds, "after_effect", submission, attempt, actor)
    book.event("returned", actor, submission, attempt, token)
