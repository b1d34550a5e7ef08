"""The job service at load: POST /jobs requests per second, p50 and p99, from a bounded load generator
on 127.0.0.1, at 1, 8 and 32 concurrent clients, on SQLite and on Postgres, with `faultline serve
--workers 1` and `--workers 2`.

Each client is a keep-alive HTTP/1.1 connection (h11) sending one request at a time (the next when the answer
is in), each job with an idempotency key of its own (the safe service claims it in the transaction that
publishes the job). A level stops after --requests requests or --seconds seconds, whichever comes
first; a request that gets no answer within --timeout seconds counts as an error, and so does any
answer but 201/200. No worker drains the queue: the service's own cost is measured. Reports, never
asserts.

    python benchmarks/bench_service.py [--clients 1 8 32] [--service-workers 1 2] [--dbs sqlite postgres]
                                       [--requests 2000] [--seconds 20] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.parse
from typing import Any

import h11
import psutil

from faultline.service.harness import service_process
from runtime.real.db import drop_database, ensure_database

SERVER = os.environ.get("FAULTLINE_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
OK = (200, 201)


class Connection:
    """One keep-alive HTTP/1.1 connection to the service, spoken through h11 (uvicorn's own protocol
    library): a light client, so that the generator is not the limit it measures."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.http = h11.Connection(h11.CLIENT)

    async def post(self, path: str, body: bytes) -> int:
        """POST `body`; the answer's status (the body is read and dropped)."""
        if self.writer is None or self.http.our_state is not h11.IDLE:
            await self._open()
        assert self.reader is not None and self.writer is not None
        headers = [("Host", self.host), ("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        self.writer.write(self.http.send(h11.Request(method="POST", target=path, headers=headers)))
        self.writer.write(self.http.send(h11.Data(data=body)))
        self.writer.write(self.http.send(h11.EndOfMessage()))
        status = 0
        while True:
            event = self.http.next_event()
            if event is h11.NEED_DATA:
                self.http.receive_data(await asyncio.wait_for(self.reader.read(65536), self.timeout))
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.EndOfMessage):
                self.http.start_next_cycle()
                return status
            elif isinstance(event, h11.ConnectionClosed):
                raise ConnectionError("the service closed the connection")

    async def _open(self) -> None:
        await self.close()
        self.http = h11.Connection(h11.CLIENT)
        self.reader, self.writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), self.timeout)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
            self.writer = None


async def _client(connection: Connection, prefix: str, counter: list[int], limit: int, end: float, out: dict) -> None:
    try:
        while counter[0] < limit and time.perf_counter() < end:
            n = counter[0]
            counter[0] += 1
            body = json.dumps({"payload": {"amount": 1}, "idempotency_key": f"{prefix}-{n}"}).encode()
            began = time.perf_counter()
            try:
                status = await connection.post("/jobs", body)
            except (TimeoutError, OSError, h11.ProtocolError):
                out["errors"] += 1
                await connection.close()
                continue
            out["latencies"].append(time.perf_counter() - began)
            if status in OK:
                out["ok"] += 1
            else:
                out["errors"] += 1
                out.setdefault("statuses", {}).setdefault(str(status), 0)
                out["statuses"][str(status)] += 1
    finally:
        await connection.close()


async def load(base: str, prefix: str, clients: int, requests: int, seconds: float, timeout: float) -> dict[str, Any]:
    """`clients` connections sending POST /jobs until `requests` are sent or `seconds` pass."""
    out: dict[str, Any] = {"latencies": [], "errors": 0, "ok": 0}
    counter = [0]
    address = urllib.parse.urlsplit(base)
    host, port = address.hostname or "127.0.0.1", address.port or 80
    began, cpu = time.perf_counter(), time.process_time()
    end = began + seconds
    await asyncio.gather(
        *(_client(Connection(host, port, timeout), prefix, counter, requests, end, out) for _ in range(clients))
    )
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    latencies = sorted(out["latencies"])
    cut = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else [0.0] * 99
    answered = out["ok"]
    return {
        "clients": clients,
        "requests": counter[0],
        "answered_ok": answered,
        "errors": out["errors"],
        **({"statuses": out["statuses"]} if "statuses" in out else {}),
        "requests_per_s": round(answered / elapsed, 1),
        "p50_ms": round(cut[49] * 1000, 2),
        "p99_ms": round(cut[98] * 1000, 2),
        "seconds": round(elapsed, 2),
        "generator_cpu_share": round(cpu / elapsed, 2),  # near 1.0: the load generator itself is the limit
    }


def rss_mb(pid: int) -> float:
    """Resident size of a process and its children, in MiB."""
    root = psutil.Process(pid)
    total = 0
    for process in [root, *root.children(recursive=True)]:
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return round(total / 2**20, 1)


def run_service(db: str, workers: int, args) -> dict[str, Any]:
    levels = []
    with service_process(db, "safe", "--workers", str(workers)) as (base, proc):
        asyncio.run(load(base, "warm", 1, 50, 5, args.timeout))  # connections, caches, first transactions
        for clients in args.clients:
            prefix = f"w{workers}c{clients}"
            levels.append(asyncio.run(load(base, prefix, clients, args.requests, args.seconds, args.timeout)))
        rss = rss_mb(proc.pid)
    return {"levels": levels, "service_rss_mb": rss}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--service-workers", type=int, nargs="+", default=[1, 2], choices=range(1, 17))
    parser.add_argument("--dbs", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"])
    parser.add_argument("--requests", type=int, default=2000, help="requests per level at most")
    parser.add_argument("--seconds", type=float, default=20, help="seconds per level at most")
    parser.add_argument("--timeout", type=float, default=10, help="seconds a request may wait for its answer")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if min(args.clients) < 1 or args.requests < 1 or args.seconds <= 0 or args.timeout <= 0:
        parser.error("--clients, --requests, --seconds and --timeout must be positive")
    load_before = os.getloadavg()
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for db_kind in args.dbs:
            for workers in args.service_workers:
                if db_kind == "postgres":
                    db = f"{SERVER}/faultline_bench_service_{os.getpid()}_{workers}"
                    drop_database(db)
                    ensure_database(db)
                else:
                    db = os.path.join(scratch, f"service_{workers}.sqlite")
                try:
                    results[f"{db_kind}_workers{workers}"] = run_service(db, workers, args)
                finally:
                    if db_kind == "postgres":
                        drop_database(db)
                if not args.json:
                    for level in results[f"{db_kind}_workers{workers}"]["levels"]:
                        print(
                            f"{db_kind:8} --workers {workers}  {level['clients']:>3} clients: "
                            f"{level['requests_per_s']:>8.1f} req/s  p50 {level['p50_ms']:>7.2f} ms  "
                            f"p99 {level['p99_ms']:>7.2f} ms  errors {level['errors']}",
                            flush=True,
                        )
    report = {
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "results": results,
    }
    if args.json:
        print(json.dumps(report, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
