"""The lab's TCP proxy lives with the real world (runtime/real/proxy.py), which uses it too: a probe
points a third-party queue's processes at it, and a run's broker connections go through it."""

from runtime.real.proxy import BLACKHOLE, CUT, LATENCY, PASS, Proxy

__all__ = ["BLACKHOLE", "CUT", "LATENCY", "PASS", "Proxy"]
