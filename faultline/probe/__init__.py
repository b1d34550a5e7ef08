"""Probes: other people's queues (Celery, RQ, procrastinate, Dramatiq, huey) under real faults,
judged by the lab's invariants from a client log, the lab's handler inside their worker and their
own final state (docs/13_probes.md)."""
