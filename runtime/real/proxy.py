"""A TCP proxy on 127.0.0.1 between processes and their broker or database: a probed queue's
(faultline/probe), or a run's own broker connections (runtime/real/broker.py).

Network faults happen here, never on the shared servers: the processes are pointed at the proxy's
port, and the proxy can

- `cut()`: abort every open connection (a reset on both sides) and refuse new ones until healed;
- `blackhole()`: keep connections open and accept new ones, but let no byte through until healed (a
  partition: TCP holds the data and delivers it, in order, once the path is back; meanwhile the peers
  wait on their own timeouts). Bytes are held, never dropped: a real partition does not tear a hole in
  the middle of a TCP stream;
- `latency(ms)`: deliver every chunk `ms` late, each way;
- `heal()`: pass traffic again.

It runs an asyncio loop on a thread of the lab's driver process (the simulated world never sees it).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading

PASS, CUT, BLACKHOLE, LATENCY = "pass", "cut", "blackhole", "latency"


class Proxy:
    def __init__(self, upstream_host: str, upstream_port: int, *, host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.host = host
        self.port = 0
        self.mode = PASS
        self.latency_ms = 0
        self.accepted = 0
        self.held_bytes = 0
        """Bytes that arrived while the link was dark (held, then delivered once healed)."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="faultline-proxy", daemon=True)
        self._server: asyncio.base_events.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> Proxy:
        self._thread.start()
        self._server = self._call(asyncio.start_server(self._serve, self.host, 0))
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._call(self._close_all(stop=True))
            self._server = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> Proxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- faults -----------------------------------------------------------------------------
    def cut(self) -> None:
        self.mode = CUT
        self._call(self._close_all())

    def blackhole(self) -> None:
        self.mode = BLACKHOLE

    def latency(self, ms: int) -> None:
        self.latency_ms = ms
        self.mode = LATENCY

    def heal(self) -> None:
        self.mode = PASS
        self.latency_ms = 0

    @property
    def open_connections(self) -> int:
        return len(self._open) // 2

    # -- internals --------------------------------------------------------------------------
    def _call(self, coroutine, timeout: float = 10.0):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    async def _close_all(self, stop: bool = False) -> None:
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()
        if stop and self._server is not None:
            self._server.close()
            pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def _serve(self, client_reader, client_writer) -> None:
        self.accepted += 1
        if self.mode == CUT:
            client_writer.transport.abort()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.wait_for(asyncio.open_connection(*self.upstream), 10)
        except (TimeoutError, OSError):
            client_writer.transport.abort()
            return
        pair = {client_writer, upstream_writer}
        self._open |= pair
        await asyncio.gather(
            self._pump(client_reader, upstream_writer, pair),
            self._pump(upstream_reader, client_writer, pair),
        )

    async def _pump(self, reader, writer, pair) -> None:
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                if self.mode == BLACKHOLE:
                    self.held_bytes += len(chunk)
                    while self.mode == BLACKHOLE:  # hold it (and read no more: TCP backs the sender up)
                        await asyncio.sleep(0.02)
                if self.mode == LATENCY and self.latency_ms:
                    await asyncio.sleep(self.latency_ms / 1000)
                if self.mode == CUT:
                    break
                writer.write(chunk)
                await writer.drain()
        except (OSError, ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            for side in pair:
                with contextlib.suppress(Exception):
                    side.close()
            self._open -= pair
