"""The lab's TCP proxy: passes bytes, cuts every connection, blackholes, delays - on loopback only."""

import socket
import threading
import time

import pytest

from runtime.real.proxy import Proxy


@pytest.fixture
def echo():
    """An echo server on 127.0.0.1 (one thread per connection, closed at the end)."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve(conn):
        with conn:
            while not stop.is_set():
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                conn.sendall(data)

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    server.close()
    thread.join(5)


def talk(port: int, payload: bytes = b"ping", timeout: float = 2.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(payload)
        return conn.recv(65536)


def test_it_passes_bytes_both_ways(echo):
    with Proxy("127.0.0.1", echo) as proxy:
        assert talk(proxy.port) == b"ping"
        assert proxy.accepted == 1


def test_a_cut_resets_open_connections_and_refuses_new_ones_until_healed(echo):
    with Proxy("127.0.0.1", echo) as proxy:
        conn = socket.create_connection(("127.0.0.1", proxy.port), timeout=2)
        conn.sendall(b"a")
        assert conn.recv(10) == b"a"
        for _ in range(100):  # bounded: the proxy registers the pair once the upstream side is open
            if proxy.open_connections:
                break
            time.sleep(0.01)
        assert proxy.open_connections == 1
        proxy.cut()
        with pytest.raises(OSError):
            conn.sendall(b"b")
            if not conn.recv(10):
                raise ConnectionResetError("closed")
        conn.close()
        with pytest.raises(OSError):
            if not talk(proxy.port):
                raise ConnectionResetError("closed")
        proxy.heal()
        assert talk(proxy.port) == b"ping"


def test_a_blackhole_holds_bytes_until_healed_and_then_delivers_them_in_order(echo):
    with Proxy("127.0.0.1", echo) as proxy:
        conn = socket.create_connection(("127.0.0.1", proxy.port), timeout=0.3)
        proxy.blackhole()
        conn.sendall(b"held")
        with pytest.raises(TimeoutError):  # the peer waits on its own timeout
            conn.recv(10)
        assert proxy.held_bytes >= 4
        proxy.heal()
        conn.settimeout(2)
        assert conn.recv(10) == b"held"  # nothing lost, nothing reordered
        conn.close()


def test_latency_delays_each_way(echo):
    with Proxy("127.0.0.1", echo) as proxy:
        proxy.latency(150)
        began = time.monotonic()
        assert talk(proxy.port) == b"ping"
        assert time.monotonic() - began >= 0.3  # 150 ms there, 150 ms back
