"""RabbitMQ as the simulator models it (a BrokerPort; runtime/real/broker.py drives the real one and
tests/contract/test_broker_contract.py holds the two to the same answers):

- one durable queue of ready messages; a message requeued goes back to the head, marked redelivered;
- each actor one connection with one channel. A consumer (an actor that has asked for work once)
  has up to `prefetch` deliveries unacked: the broker pushes ready messages to the consumers with
  room, in turn, as soon as it has them - to a consumer busy with other work too, which takes them
  when it next asks;
- an ack names a delivery tag of the channel that delivered it; an ack on a channel that is gone
  answers False (the message was requeued when the channel closed);
- a lost connection (`drop`) requeues everything its channel held unacked;
- the delivery timeout (`consumer_timeout`): a channel that holds a delivery unacked for longer is
  closed by the broker (`expire`), and its deliveries are requeued - while its consumer may still
  be working on one;
- a publish whose connection is lost before the broker has it (`lose_next_publish`) is gone: with
  confirms the publisher is told (False), without them it is not (True).
"""

from __future__ import annotations

from collections import deque

from runtime.core.ports import BrokerDelivery


class _Channel:
    __slots__ = ("number", "next_tag", "unacked", "pushed")

    def __init__(self, number: int) -> None:
        self.number, self.next_tag = number, 1
        self.unacked: dict[int, tuple[str, bool, int]] = {}  # tag -> (body, redelivered, delivered at ms)
        self.pushed: deque[int] = deque()  # tags delivered to the client, not yet taken by the application


class Broker:
    def __init__(
        self, clock, *, prefetch: int = 1, confirms: bool = True, consumer_timeout_ms: int | None = None
    ) -> None:
        self._clock = clock
        self.prefetch, self.confirms, self.consumer_timeout_ms = prefetch, confirms, consumer_timeout_ms
        self.ready: deque[tuple[str, bool]] = deque()  # (body, redelivered), head first
        self._channels: dict[str, _Channel] = {}
        self._opened: dict[str, int] = {}  # actor -> channels opened so far (a tag names its channel)
        self._losing: set[str] = set()  # actors whose next publish is lost on the way
        self._consumers: list[str] = []  # in the order they began consuming
        self._turn = 0  # whose turn it is to be pushed the next message (round robin)
        self.deliveries = self.redeliveries = 0

    def _channel(self, actor: str) -> _Channel:
        channel = self._channels.get(actor)
        if channel is None:
            number = self._opened[actor] = self._opened.get(actor, 0) + 1
            channel = self._channels[actor] = _Channel(number)
        return channel

    def publish(self, actor: str, body: str) -> bool:
        if actor in self._losing:
            self._losing.discard(actor)
            self._channels.pop(actor, None)  # the connection that lost it is gone
            return not self.confirms
        self._channel(actor)
        self.ready.append((body, False))
        self._push()
        return True

    def lose_next_publish(self, actor: str) -> None:
        """A fault: `actor`'s connection drops while its next publish is on the way."""
        self._losing.add(actor)

    def _push(self) -> None:
        """Hand ready messages to the consumers with room (unacked below the prefetch), in turn."""
        consumers = [actor for actor in self._consumers if actor in self._channels]
        while self.ready and consumers:
            room = [
                actor
                for actor in consumers[self._turn % len(consumers) :] + consumers[: self._turn % len(consumers)]
                if len(self._channels[actor].unacked) < self.prefetch
            ]
            if not room:
                return
            actor = room[0]
            self._turn = consumers.index(actor) + 1
            channel = self._channels[actor]
            body, redelivered = self.ready.popleft()
            tag = channel.next_tag
            channel.next_tag += 1
            channel.unacked[tag] = (body, redelivered, self._clock.now_ms)
            channel.pushed.append(tag)
            self.deliveries += 1
            self.redeliveries += redelivered

    def get(self, actor: str):
        channel = self._channel(actor)
        if actor not in self._consumers:  # it begins consuming
            self._consumers.append(actor)
        self._push()
        if not channel.pushed:
            return None
        tag = channel.pushed.popleft()
        body, redelivered, _ = channel.unacked[tag]
        return BrokerDelivery((channel.number, tag), body, redelivered)

    def ack(self, actor: str, tag: tuple[int, int]) -> bool:
        channel = self._channels.get(actor)
        if channel is None or channel.number != tag[0] or tag[1] not in channel.unacked:
            return False
        del channel.unacked[tag[1]]
        self._push()
        return True

    def drop(self, actor: str) -> None:
        channel = self._channels.pop(actor, None)
        if channel is not None:
            self._requeue(channel)
            self._push()

    def _requeue(self, channel: _Channel) -> None:
        """The channel's unacked deliveries back to the head of the queue, in their order, redelivered."""
        for tag in sorted(channel.unacked, reverse=True):
            self.ready.appendleft((channel.unacked[tag][0], True))

    def expire(self) -> list[tuple[str, str]]:
        """The delivery timeout: close each channel holding a delivery unacked past consumer_timeout_ms
        (its deliveries requeued); (actor, body) of each delivery that timed out, in name then tag order."""
        timeout = self.consumer_timeout_ms
        if timeout is None:
            return []
        now = self._clock.now_ms
        late = [
            (actor, channel.unacked[tag][0])
            for actor, channel in sorted(self._channels.items())
            for tag in sorted(channel.unacked)
            if now - channel.unacked[tag][2] >= timeout
        ]
        for actor in dict.fromkeys(actor for actor, _ in late):
            self.drop(actor)
        return late

    def next_timeout_ms(self) -> int | None:
        """When the next delivery would time out (None: none held, or no timeout)."""
        timeout = self.consumer_timeout_ms
        if timeout is None:
            return None
        held = [at for channel in self._channels.values() for _, _, at in channel.unacked.values()]
        return min(held) + timeout if held else None

    def waiting(self) -> bool:
        """A message is ready, or pushed to a consumer that has not taken it yet."""
        return bool(self.ready) or any(channel.pushed for channel in self._channels.values())

    def figures(self) -> dict[str, int]:
        unacked = sum(len(channel.unacked) for channel in self._channels.values())
        return {"deliveries": self.deliveries, "redeliveries": self.redeliveries, "unacked": unacked}
