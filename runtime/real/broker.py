"""RabbitMQ as a BrokerPort (`--broker amqp://...`), through pika: the real twin of the model in
runtime/sim/broker.py, held to the same answers by tests/contract/test_broker_contract.py.

One durable classic queue per run (its name the run's own; deleted afterwards, `delete`); each actor
one connection with one channel: a consumer with manual acks and `basic_qos(prefetch)`, a publisher
with publisher confirms or without. A delivery tag is valid only on the channel that delivered it:
tags carry the number of the connection they came on, and an ack for an older one answers False
without a word to the broker (acking an unknown tag would close the channel). A lost connection -
an error on any call - is forgotten, and the next call opens a new one.

RabbitMQ's delivery timeout (`consumer_timeout`) is the server's: 3.10 (Debian 12) sets it only in
rabbitmq.conf, for every queue, and checks it once a minute - the lab never reconfigures a shared
server, so the timeout is exercised in the simulator only.
"""

from __future__ import annotations

import os
from collections import deque
from typing import Any
from urllib.parse import urlsplit

from runtime.core.errors import BadInputError
from runtime.core.ports import BrokerDelivery

DEFAULT_BROKER_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
SERVICE_QUEUE = "faultline-jobs"
"""The job service's queue on its broker (`faultline serve|worker|up --broker`): long-lived, as its
database is; `--broker-queue` names another."""
"""Where a scenario with a broker (`broker="rabbitmq"`) finds it without --broker."""
WAIT_S = 0.5
"""How long a `get` waits for the broker to push a delivery before it answers None."""
TIMEOUT_S = 5.0
CUT_AFTER_S = 0.3
"""How long a lost publish's link stays dark before it is cut (a confirm is long overdue by then)."""


def check_broker_url(url: str) -> str:
    """An amqp:// URL (bad input otherwise, one line naming --broker)."""
    parts = urlsplit(url)
    if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
        raise BadInputError(f"--broker {url!r} must be an amqp://user:password@host:port/vhost URL")
    return url


class _Connection:
    __slots__ = ("number", "connection", "channel", "consuming", "pushed", "unacked")

    def __init__(self, number: int, connection, channel) -> None:
        self.number, self.connection, self.channel = number, connection, channel
        self.consuming = False
        self.pushed: deque[tuple[int, str, bool]] = deque()  # (tag, body, redelivered) not yet taken
        self.unacked: set[int] = set()


class RabbitBroker:
    def __init__(
        self,
        url: str,
        queue: str,
        *,
        prefetch: int = 1,
        confirms: bool = True,
        wait_s: float = WAIT_S,
        proxied: frozenset[str] = frozenset(),
        consumer_timeout_s: float | None = None,
        on_timeout=None,
    ):
        """`proxied`: the actors whose connection goes through a TCP proxy of this process
        (runtime/real/proxy.py), so that a fault can drop it with a publish on the way, or the delivery
        timeout close it: `consumer_timeout_s` after a delivery still unacked, `on_timeout(actor, body)`
        says so and the proxy cuts the consumer's connection - what RabbitMQ does at its own
        consumer_timeout, which its 3.10 server sets only in its configuration file."""
        self.url, self.queue, self.prefetch, self.confirms, self.wait_s = url, queue, prefetch, confirms, wait_s
        self.proxied = proxied
        self.consumer_timeout_s, self.on_timeout = consumer_timeout_s, on_timeout
        self._connections: dict[str, _Connection] = {}
        self._opened: dict[str, int] = {}
        self._proxy: Any = None
        self._pid = os.getpid()
        self._losing: set[str] = set()
        self.deliveries = self.redeliveries = 0

    # -- connections -----------------------------------------------------------------------
    def _connect_once(self):
        """A connection of the lab's own, or bad input (one line) when no RabbitMQ answers at the URL."""
        import pika

        parameters = pika.URLParameters(self.url)
        parameters.socket_timeout = parameters.blocked_connection_timeout = TIMEOUT_S
        parameters.connection_attempts = 1
        try:
            return pika.BlockingConnection(parameters)
        except Exception as error:  # noqa: BLE001 - refused, unreachable, bad credentials
            raise BadInputError(f"no RabbitMQ answers at {self.url} ({str(error) or type(error).__name__})") from None

    def check(self) -> None:
        """Bad input (one line) when no RabbitMQ answers at the URL."""
        self._connect_once().close()

    def prepare(self) -> None:
        """Declare the run's queue, and close: each process opens its own connection after the fork."""
        connection = self._connect_once()
        try:
            connection.channel().queue_declare(self.queue, durable=True)
        finally:
            connection.close()

    def _open(self, actor: str) -> _Connection:
        """`actor`'s connection, checked first: one the network dropped while it was idle is replaced
        before anything is sent on it (as the database's pre-ping does)."""
        if self._pid != os.getpid():  # a forked process: its parent's connections and proxy thread are not its own
            self._pid, self._connections, self._proxy = os.getpid(), {}, None
        held = self._connections.get(actor)
        if held is not None:
            try:
                held.connection.process_data_events(time_limit=0)
                return held
            except Exception:  # noqa: BLE001 - dropped while idle: what it held went back
                self._lost(actor)
        import pika

        parameters = pika.URLParameters(self.url)
        parameters.socket_timeout = parameters.blocked_connection_timeout = TIMEOUT_S
        parameters.connection_attempts = 1
        if actor in self.proxied:
            if self._proxy is None:
                from runtime.real.proxy import Proxy

                self._proxy = Proxy(parameters.host, parameters.port).start()
            parameters.host, parameters.port = "127.0.0.1", self._proxy.port
        connection = pika.BlockingConnection(parameters)
        channel = connection.channel()
        channel.queue_declare(self.queue, durable=True)
        if self.confirms:
            channel.confirm_delivery()
        number = self._opened[actor] = self._opened.get(actor, 0) + 1
        held = self._connections[actor] = _Connection(number, connection, channel)
        return held

    def _lost(self, actor: str) -> None:
        """Forget `actor`'s connection (the broker requeues what it held unacked)."""
        held = self._connections.pop(actor, None)
        if held is not None:
            try:
                if held.connection.is_open:
                    held.connection.close()
            except Exception:  # noqa: BLE001 - it is gone either way
                pass

    # -- the port --------------------------------------------------------------------------
    def publish(self, actor: str, body: str) -> bool:
        import pika

        try:
            held = self._open(actor)
            properties = pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent)
            if actor in self._losing:
                return self._publish_lost(actor, held, body, properties)
            held.channel.basic_publish("", self.queue, body.encode(), properties, mandatory=self.confirms)
            return True
        except Exception:  # noqa: BLE001 - a lost connection, a nack, an unroutable message
            self._lost(actor)
            return False

    def lose_next_publish(self, actor: str) -> None:
        """A fault: `actor`'s connection (through the proxy: `actor` must be in `proxied`) goes dark
        with its next publish on the way, and is cut."""
        assert actor in self.proxied, f"{actor}'s connection does not go through the proxy"
        self._losing.add(actor)

    def _publish_lost(self, actor: str, held: _Connection, body: str, properties) -> bool:
        """Publish into a dark link, then cut it: the bytes never reach the broker. Without confirms
        the client has already been told yes; with them it waits for a confirm that never comes."""
        import threading

        self._losing.discard(actor)
        proxy = self._proxy
        proxy.blackhole()
        cut = threading.Timer(CUT_AFTER_S, proxy.cut)
        cut.start()
        try:
            held.channel.basic_publish("", self.queue, body.encode(), properties, mandatory=self.confirms)
            answer = True
        except Exception:  # noqa: BLE001 - the confirm never came: the connection was cut
            answer = False
        finally:
            cut.join()
            proxy.heal()
            self._lost(actor)
        return answer

    def get(self, actor: str) -> BrokerDelivery | None:
        try:
            held = self._open(actor)
            if not held.consuming:
                held.channel.basic_qos(prefetch_count=self.prefetch)

                def pushed(channel, method, properties, body, held=held, actor=actor) -> None:
                    held.pushed.append((method.delivery_tag, body.decode(), bool(method.redelivered)))
                    held.unacked.add(method.delivery_tag)
                    self.deliveries += 1
                    self.redeliveries += bool(method.redelivered)
                    if self.consumer_timeout_s is not None:
                        self._arm(actor, held, method.delivery_tag, body.decode())

                held.channel.basic_consume(self.queue, pushed, auto_ack=False)
                held.consuming = True
            held.connection.process_data_events(time_limit=0)
            if not held.pushed:
                held.connection.process_data_events(time_limit=self.wait_s)
        except Exception:  # noqa: BLE001 - the connection is lost: what it held goes back
            self._lost(actor)
            return None
        if not held.pushed:
            return None
        tag, body, redelivered = held.pushed.popleft()
        return BrokerDelivery((held.number, tag), body, redelivered)

    def _arm(self, actor: str, held: _Connection, tag: int, body: str) -> None:
        """The delivery timeout of one delivery: if it is still unacked on its connection when the time
        is up, the consumer's connection is cut (its deliveries requeued by RabbitMQ)."""
        import threading

        def time_out() -> None:
            if self._connections.get(actor) is not held or tag not in held.unacked:
                return
            if self.on_timeout is not None:
                self.on_timeout(actor, body)
            self._proxy.cut()
            self._proxy.heal()

        timer = threading.Timer(self.consumer_timeout_s or 0.0, time_out)
        timer.daemon = True
        timer.start()

    def ack(self, actor: str, tag: tuple[int, int]) -> bool:
        held = self._connections.get(actor)
        if held is None or held.number != tag[0] or tag[1] not in held.unacked:
            return False
        try:
            held.channel.basic_ack(tag[1])
            held.connection.process_data_events(time_limit=0)  # a channel the broker closed says so here
        except Exception:  # noqa: BLE001
            self._lost(actor)
            return False
        held.unacked.discard(tag[1])
        return True

    def drop(self, actor: str) -> None:
        self._lost(actor)

    def figures(self) -> dict[str, int]:
        unacked = sum(len(held.unacked) for held in self._connections.values())
        return {"deliveries": self.deliveries, "redeliveries": self.redeliveries, "unacked": unacked}

    def delete(self) -> None:
        """Close every connection and delete the run's queue (nothing else on the server)."""
        for actor in sorted(self._connections):
            self._lost(actor)
        if self._proxy is not None:
            self._proxy.stop()
            self._proxy = None
        import pika

        try:
            connection = pika.BlockingConnection(pika.URLParameters(self.url))
            try:
                connection.channel().queue_delete(self.queue)
            finally:
                connection.close()
        except Exception:  # noqa: BLE001 - a server that is gone took the queue with it
            pass
