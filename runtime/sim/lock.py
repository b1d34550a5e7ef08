"""The leader lock in memory: each lock a key with a holder, an epoch and an expiry on the virtual
clock. One class serves both places a lock can live:

- in the store (`leader_lock="store"`): a row of the runs tables, behind the store's outages and
  call log, which a fenced trigger reads in its own transaction (runtime/sim/runs.py);
- in Redis (`leader_lock="redis"`): the model of `SET key holder NX PX ttl`, renewed only by its
  holder (compare, then PEXPIRE), with the epoch an `INCR` of a counter kept beside the key (the
  fencing token). The store can't read it: a fenced trigger carries the token and the store refuses
  one older than the newest it has accepted (Kleppmann, "How to do distributed locking", 2016).
  runtime/real/lock.py is the real one.

Either way an acquire answers (OK, epoch) to the holder after the call, (OK, None) to anyone else.
"""

from __future__ import annotations

from runtime.core import history as ev
from runtime.core.ports import OK


class Lock:
    def __init__(self, clock, history) -> None:
        self._clock, self._history = clock, history
        self.rows: dict[str, list] = {}  # lock -> [holder, epoch, expires_at_ms]

    def acquire_lock(self, actor: str, lock: str, lease_ms: int) -> tuple[str, int | None]:
        """Renew the lock if `actor` holds it, take it if it is free or expired, else leave it."""
        now = self._clock.now_ms
        row = self.rows.get(lock)
        if row is not None and row[2] > now:
            if row[0] != actor:
                return OK, None  # someone else leads
            row[2] = now + lease_ms  # renewed
            return OK, row[1]
        epoch = (row[1] if row is not None else 0) + 1
        self.rows[lock] = [actor, epoch, now + lease_ms]
        self._history.record(ev.LEADER_ELECTED, actor, None, None, None, lock, epoch)
        return OK, epoch
