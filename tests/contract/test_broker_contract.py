"""The broker port: the simulator's model of RabbitMQ (runtime/sim/broker.py) and a real RabbitMQ
server (runtime/real/broker.py) give the same answers to the same calls - deliveries pushed up to
the prefetch, acks, redelivery after a lost connection, a stale tag, a publish lost on the way with
and without confirms. The real one gets a queue of its own, deleted afterwards; network faults go
through the TCP proxy a run's broker keeps on 127.0.0.1, never to the server itself."""

from __future__ import annotations

import os
import socket
import uuid
from typing import Any
from urllib.parse import quote

import attrs
import pytest

from runtime.real.broker import RabbitBroker
from runtime.sim.broker import Broker
from runtime.sim.clock import VirtualClock

AMQP_HOST, AMQP_PORT = "127.0.0.1", 5672


@attrs.define
class BrokerWorld:
    broker: Any

    def lose_next_publish(self, actor: str, body: str) -> bool:
        """Publish with `actor`'s connection lost on the way; what the publish answered."""
        self.broker.lose_next_publish(actor)
        return self.broker.publish(actor, body)


def reachable() -> bool:
    try:
        socket.create_connection((AMQP_HOST, AMQP_PORT), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.fixture(params=["memory", "rabbitmq"])
def make(request):
    if request.param == "memory":
        yield lambda prefetch, confirms: BrokerWorld(Broker(VirtualClock(), prefetch=prefetch, confirms=confirms))
        return
    if not reachable():
        if os.environ.get("CI"):
            pytest.fail(f"no RabbitMQ at {AMQP_HOST}:{AMQP_PORT}")
        pytest.skip(f"no RabbitMQ at {AMQP_HOST}:{AMQP_PORT}; set CI=1 to require one")
    made: list[RabbitBroker] = []

    def build(prefetch: int, confirms: bool) -> BrokerWorld:
        url = f"amqp://guest:guest@{AMQP_HOST}:{AMQP_PORT}/{quote('/', safe='')}"
        queue = f"faultline-test-{uuid.uuid4().hex[:12]}"
        # The client's connection goes through the broker's own TCP proxy: a lost publish is cut there.
        broker = RabbitBroker(
            url, queue, prefetch=prefetch, confirms=confirms, wait_s=0.3, proxied=frozenset({"client"})
        )
        made.append(broker)
        return BrokerWorld(broker)

    yield build
    for broker in made:
        broker.delete()


def bodies(deliveries) -> list:
    return [(d.body, d.redelivered) if d is not None else None for d in deliveries]


def test_a_lost_connection_requeues_what_it_held_and_the_next_consumer_sees_it_redelivered(make):
    broker = make(prefetch=2, confirms=True).broker
    for body in ("a", "b", "c"):
        assert broker.publish("client", body)
    first = broker.get("c1")
    assert bodies([first]) == [("a", False)]  # and b is pushed to c1 too: its prefetch is 2
    assert bodies([broker.get("c2")]) == [("c", False)]
    broker.drop("c1")
    assert broker.ack("c1", first.tag) is False  # its channel is gone; a was requeued
    again = broker.get("c2")
    assert bodies([again]) == [("a", True)]
    assert broker.get("c2") is None  # c2 holds c and a unacked: its prefetch is spent
    assert broker.ack("c2", again.tag)
    assert bodies([broker.get("c2")]) == [("b", True)]
    figures = broker.figures()
    assert figures["redeliveries"] >= 2 and figures["unacked"] >= 2


def test_an_acked_delivery_is_gone_for_good(make):
    broker = make(prefetch=1, confirms=True).broker
    assert broker.publish("client", "only")
    delivery = broker.get("w1")
    assert broker.ack("w1", delivery.tag)
    broker.drop("w1")
    assert broker.get("w2") is None


@pytest.mark.parametrize("confirms", [True, False], ids=["confirms", "no-confirms"])
def test_a_publish_lost_on_the_way_is_gone_and_only_confirms_say_so(make, confirms):
    world = make(prefetch=1, confirms=confirms)
    assert world.lose_next_publish("client", "lost") is (not confirms)
    assert world.broker.publish("client", "after")
    delivery = world.broker.get("w1")
    assert bodies([delivery]) == [("after", False)]
    assert world.broker.ack("w1", delivery.tag)
    assert world.broker.get("w1") is None
