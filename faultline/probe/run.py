"""Run one probe: a third-party queue, one drill, real processes, real faults; a RunRecord out.

    client (the library's API) ──submit──▶ broker / database ◀──proxy── the library's worker
                                                                      └─ the lab's handler
The lab starts the library's own worker processes (each in its own process group), submits the
drill's jobs through the library's client, lands the drill's fault when a handler reaches the hold
(SIGKILL, SIGSTOP) or at the proxy (cut, blackhole, latency), restarts a killed worker as a process
manager would, and polls the queue's own state. From the client log, the lab's book (deliveries,
effects, returns) and the queue's final state it builds a RunRecord the invariants judge.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import attrs

from faultline.probe.contract import FAILED, SUCCEEDED, Adapter, Job, ProbeContext
from faultline.probe.drills import DRILLS, KILL, Drill, LinkFault, Strike
from faultline.probe.record import build_record
from runtime.core.errors import BadInputError
from runtime.core.record import RunRecord
from runtime.real.ledger import Book
from runtime.real.proxy import Proxy

POLL_S = 0.05
STATE_POLL_S = 0.25
BOOT_LIMIT_S = 60.0
SETTLE_CAP_MS = 75_000
"""The longest quiet period a probe waits for a queue to take back a job (the library's own recovery
time, from its settings, when that is shorter)."""


@attrs.define
class Worker:
    """One worker slot (w1, w2): the library's worker process the lab started, and its incarnation."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    incarnation: int = 0
    process: subprocess.Popen | None = None
    restart_at: float | None = None
    stopped: bool = False

    def start(self) -> None:
        self.incarnation += 1
        with open(self.log, "ab") as stream:
            self.process = subprocess.Popen(
                self.argv, env=self.env, stdout=stream, stderr=subprocess.STDOUT, start_new_session=True
            )

    def signal(self, signum: int) -> None:
        """Signal the worker and every process it started, wherever they went (RQ's work horse and
        Celery's pool leave the worker's process group): a SIGKILL freezes the tree first, so nothing
        forks past it."""
        if self.process is None or self.process.poll() is not None:
            return
        if signum == signal.SIGKILL:
            for pid in process_tree(self.process.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGSTOP)
        for pid in process_tree(self.process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, grace_s: float = 5.0) -> None:
        """The end of the run: SIGTERM (a warm shutdown), then SIGKILL whatever is left of the group."""
        if self.process is None:
            return
        if self.stopped:
            self.signal(signal.SIGCONT)
        self.signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(grace_s)
        self.signal(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)


@attrs.frozen(kw_only=True)
class ProbeResult:
    record: RunRecord
    facts: dict
    """What the run measured beyond the verdict: jobs lost, doubled, stuck, time to recover."""


def through_proxy(url: str, port: int) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))


def run_probe(
    adapter: Adapter,
    drill_name: str,
    settings: dict,
    *,
    seed: int = 0,
    settle_ms: int | None = None,
    configuration: str = "custom",
) -> ProbeResult:
    drill = DRILLS[drill_name]
    settings = dict(settings)
    server_url = settings.pop("server_url")  # the rest are knob values
    settings = {**{k: v for k, v in drill.settings.items() if k in adapter.knobs}, **settings}
    knobs = {name: settings.get(name, knob.default) for name, knob in adapter.knobs.items()}  # defaults filled
    if settle_ms is None and (drill.strike is not None or drill.link is not None):
        own = adapter.recovery_ms(knobs) + 5_000
        settle_ms = max(drill.settle_ms, min(own, SETTLE_CAP_MS))
    if settle_ms is not None:
        drill = attrs.evolve(drill, settle_ms=settle_ms)
    workdir = Path(tempfile.mkdtemp(prefix=f"faultline-probe-{adapter.name}-"))
    with _terminate_as_interrupt():
        try:
            return _run(adapter, drill, settings, knobs, server_url, seed, workdir, configuration)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def _terminate_as_interrupt():
    """A SIGTERM (a `kill`, a CI timeout) ends the probe as Ctrl-C does: the workers it started are
    stopped and its corner of the shared servers is removed on the way out, never left running."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(
    adapter, drill: Drill, settings: dict, knobs: dict, server_url: str, seed: int, workdir: Path, configuration: str
) -> ProbeResult:
    """`settings`: the knobs set (the record names them); `knobs`: every knob's value, defaults filled."""
    parts = urlsplit(server_url)
    book = Book.create(workdir / "book.sqlite")
    origin = time.monotonic_ns()
    holds = []
    fault = drill.strike or drill.link
    if fault is not None:
        holds.append(
            {"point": fault.point, "job": fault.job, "attempt": getattr(fault, "attempt", 1), "ms": drill.hold_ms}
        )
    (workdir / "probe.json").write_text(json.dumps({"holds": holds, "work_ms": drill.work_ms}))
    with Proxy(parts.hostname or "127.0.0.1", parts.port or 0) as proxy:
        ctx = ProbeContext(
            probe_id=f"fl{seed}x{secrets.token_hex(4)}",
            workdir=workdir,
            settings=knobs,
            server_url=server_url,
            worker_url=through_proxy(server_url, proxy.port),
        )
        adapter.prepare(ctx)
        workers: list[Worker] = []
        ids: dict[str, str] = {}  # submission -> the library's id for it
        seen: dict[str, str] = {}  # submission -> the state the lab last saw
        facts: dict = {}
        final_states: dict[str, str] = {}
        try:
            env = {**os.environ, **ctx.env(), "PYTHONUNBUFFERED": "1"}
            for n in range(1, drill.workers + 1):
                name = f"w{n}"
                worker = Worker(
                    name, adapter.worker_command(ctx), {**env, "FAULTLINE_PROBE_WORKER": name}, workdir / f"{name}.log"
                )
                worker.start()
                workers.append(worker)
            _drive(adapter, drill, ctx, book, proxy, workers, origin, ids, seen, facts)
            for worker in workers:
                worker.stop()
            final_states = adapter.states(ctx, list(ids.values()))
            _observe(book, adapter, ids, final_states, seen)
            facts["ended_ns"] = time.monotonic_ns()
        finally:
            for worker in workers:
                worker.stop()
            adapter.cleanup(ctx)
        logs = {w.name: _tail(w.log) for w in workers}
    record = build_record(
        book,
        origin,
        adapter=adapter,
        drill=drill,
        settings=settings,
        knobs=knobs,
        configuration=configuration,
        seed=seed,
        ids=ids,
        final_states=final_states,
        facts=facts,
        probe_id=ctx.probe_id,
    )
    facts["worker_logs"] = logs
    book.close()
    return ProbeResult(record=record, facts=facts)


def _observe(book: Book, adapter, ids: dict[str, str], states: dict[str, str], seen: dict[str, str]) -> None:
    """Record, at the time of this poll, every job the queue's own state shows newly succeeded or failed."""
    for submission, library_id in ids.items():
        state = states.get(library_id)
        if state != seen.get(submission) and state in (SUCCEEDED, FAILED):
            book.event("acked" if state == SUCCEEDED else "dead_lettered", adapter.name, submission, observed=True)
        if state is not None:
            seen[submission] = state


def _drive(
    adapter,
    drill: Drill,
    ctx,
    book: Book,
    proxy: Proxy,
    workers: list[Worker],
    origin: int,
    ids: dict[str, str],
    seen: dict[str, str],
    facts: dict,
) -> None:
    """Submit, strike, restart, poll until the queue settles or the quiet period ends."""
    drive = Drive(adapter, drill, ctx, book, proxy, workers, origin, ids, seen, facts)
    drive.submit_all()
    drive.run()


class Drive:
    """One drill's run against a live queue: the submissions, the planned fault when its moment comes,
    the workers' restarts, the queue's state polled until it settles."""

    def __init__(self, adapter, drill: Drill, ctx, book: Book, proxy: Proxy, workers, origin: int, ids, seen, facts):
        self.adapter, self.drill, self.ctx, self.book, self.proxy = adapter, drill, ctx, book, proxy
        self.workers, self.origin, self.ids, self.seen, self.facts = workers, origin, ids, seen, facts
        self.fault_needed = drill.strike is not None or drill.link is not None
        facts.update(fault_bit=self.fault_needed, fault_at_ms=None)
        self.fault_bit = not self.fault_needed
        self.fault_done_at: float | None = None if self.fault_needed else time.monotonic()
        self.link_until: float | None = None
        self.resume_at: float | None = None
        self.held_before = 0
        self.next_poll = 0.0
        self.boot_deadline = time.monotonic() + BOOT_LIMIT_S + drill.delay_ms / 1000

    def submit_all(self) -> None:
        drill, book = self.drill, self.book
        jobs = [
            Job(submission=f"s{n}", request=f"r{n}", key=f"k{n}", delay_ms=drill.delay_ms)
            for n in range(1, drill.jobs + 1)
        ]
        if drill.duplicate_key:
            jobs.insert(1, Job(submission="s1b", request="r1", key="k1", delay_ms=drill.delay_ms))
        owner: dict[str, str] = {}  # library id -> the submission that made it
        for message, job in enumerate(jobs, start=1):
            # a delayed job is due no earlier than this (the library reads its clock after we read ours)
            due_ms = (time.monotonic_ns() - self.origin) // 1_000_000 + job.delay_ms
            submitted = self.adapter.submit(self.ctx, job)
            if submitted.deduplicated:
                book.event("submit_deduplicated", "client", owner[submitted.library_id], key=job.key)
                continue
            owner.setdefault(submitted.library_id, job.submission)
            self.ids[job.submission] = submitted.library_id
            book.event(
                "submitted",
                "client",
                job.submission,
                message=message,
                request=job.request,
                key=job.key,
                payload={"eta_ms": due_ms} if job.delay_ms else {},  # INV_011: it never starts before
            )

    def run(self) -> None:
        while True:
            now = time.monotonic()
            strike, link = self.drill.strike, self.drill.link
            if not self.fault_bit and strike is not None:
                self.strike(now, strike)
            if not self.fault_bit and link is not None:
                self.cut_link(now, link)
            self.heal(now)
            self.supervise(now)
            if now >= self.next_poll:
                self.next_poll = now + STATE_POLL_S
                if self.settled(now):
                    break
                self.refuse_if_never_bit(now)
            time.sleep(POLL_S)
        facts = self.facts
        facts["fault_bit"] = facts["fault_bit"] if self.fault_needed else None
        if facts["fault_bit"] is False:
            raise BadInputError(
                f"the planned fault of drill {self.drill.name} did not bite (no connection was open, or no byte "
                "tried to cross the dark link): the run proves nothing and is refused; run it again"
            )

    def strike(self, now: float, strike: Strike) -> None:
        """The strike: a handler reached the hold - kill or stop its worker."""
        book = self.book
        reached = [r for r in book.reached(strike.point) if r[0] == strike.job and r[1] == strike.attempt]
        if not reached:
            return
        worker = next(w for w in self.workers if w.name == reached[0][2])
        self.fault_bit, self.fault_done_at = True, None
        kill = strike.action == KILL
        when = book.event(
            "crashed" if kill else "paused",
            worker.name,
            strike.job,
            strike.attempt,
            point=strike.point,
            **({"incarnation": worker.incarnation} if kill else {"duration_ms": strike.stop_ms}),
        )
        self.facts["fault_at_ms"] = (when - self.origin) // 1_000_000
        if kill:
            worker.signal(signal.SIGKILL)
            worker.restart_at = now + strike.restart_ms / 1000
        else:
            worker.signal(signal.SIGSTOP)
            worker.stopped = True
            self.resume_at = now + strike.stop_ms / 1000

    def cut_link(self, now: float, link: LinkFault) -> None:
        """The link fault: a handler reached the hold - cut, blackhole or slow the broker's link."""
        book, proxy = self.book, self.proxy
        if not [r for r in book.reached(link.point) if r[0] == link.job]:
            return
        self.fault_bit = proxy.open_connections > 0
        latency = {"latency_ms": link.latency_ms} if link.mode == "latency" else {}
        when = book.event("link_fault_started", "proxy", mode=link.mode, target=self.adapter.server, **latency)
        self.facts["fault_at_ms"] = (when - self.origin) // 1_000_000
        self.held_before = proxy.held_bytes
        getattr(proxy, link.mode)(*latency.values())
        self.link_until = now + link.for_ms / 1000
        if not self.fault_bit:  # nothing was connected: the cut touched nobody
            self.facts["fault_bit"] = False
            self.fault_bit = True

    def heal(self, now: float) -> None:
        """The link's fault ends, and a stopped worker resumes, when their time comes."""
        if self.link_until is not None and now >= self.link_until:
            if (
                self.drill.link is not None
                and self.drill.link.mode == "blackhole"
                and self.proxy.held_bytes == self.held_before
            ):
                self.facts["fault_bit"] = False  # nobody spoke while the link was dark: it proved nothing
            self.proxy.heal()
            self.book.event("link_fault_ended", "proxy")
            self.link_until, self.fault_done_at = None, now
        if self.resume_at is not None and now >= self.resume_at:
            for worker in self.workers:
                if worker.stopped:
                    self.book.event("resumed", worker.name)
                    worker.signal(signal.SIGCONT)
                    worker.stopped = False
            self.resume_at, self.fault_done_at = None, now

    def supervise(self, now: float) -> None:
        """The process manager: restart a killed worker when due, note one that died on its own."""
        for worker in self.workers:
            if worker.restart_at is not None and now >= worker.restart_at:
                with contextlib.suppress(ChildProcessError):
                    worker.process.wait(5)
                worker.start()
                self.book.event("restarted", worker.name, incarnation=worker.incarnation)
                worker.restart_at, self.fault_done_at = None, now
            elif worker.restart_at is None and not worker.stopped and not worker.alive():
                # it died on its own: the process manager notes it and restarts it
                self.book.event("crashed", worker.name, point="exited", incarnation=worker.incarnation)
                worker.restart_at = now + 1.0

    def settled(self, now: float) -> bool:
        """Poll the queue's own state of every job; True once the run is over (every job settled, or
        the quiet period after the fault ended)."""
        ids, seen, facts = self.ids, self.seen, self.facts
        _observe(self.book, self.adapter, ids, self.adapter.states(self.ctx, list(ids.values())), seen)
        # settled: the queue's own verdict on every job. "missing" is no verdict while the run goes
        # on (a queue that keeps no running state shows a job in a worker's hands as missing).
        settled = all(seen.get(s) in (SUCCEEDED, FAILED) for s in ids)
        done_at = self.fault_done_at
        if done_at is None or not (settled or now >= done_at + self.drill.settle_ms / 1000):
            return False
        facts["settled"] = settled
        facts["recovered_ms"] = int((now - done_at) * 1000) if settled else None
        return True

    def refuse_if_never_bit(self, now: float) -> None:
        """No handler reached the fault's hold in time: the drill proves nothing."""
        drill = self.drill
        fault = drill.strike or drill.link
        if (
            fault is not None
            and self.fault_done_at is None
            and not self.fault_bit
            and now >= self.boot_deadline + drill.hold_ms / 1000
        ):
            raise BadInputError(
                f"the planned fault of drill {drill.name} did not bite: no handler reached "
                f"{fault.point} in {BOOT_LIMIT_S:.0f} s (is the worker starting? "
                "see its log with --keep)"
            )


def process_tree(root: int) -> list[int]:
    """`root` and all its descendants, from /proc (parents first)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stream:
                stat = stream.read()
        except OSError:
            continue
        parent = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(parent, []).append(int(entry))
    tree, queue = [], [root]
    while queue:
        pid = queue.pop(0)
        tree.append(pid)
        queue.extend(sorted(children.get(pid, ())))
    return tree


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
