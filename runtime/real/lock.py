"""The schedulers' leader lock in Redis (`--lock redis://host:port/db`), the real twin of the Redis
model in runtime/sim/lock.py: the lock is a key `SET <lock> "<epoch>:<holder>" NX PX <ttl>`, renewed
only by its holder (compare, then PEXPIRE), its epoch an INCR of a counter beside it: the fencing
token a fenced trigger carries to the database (runtime/core/workflow/progress.py, fence_admits).
Redis keeps the time: the key expires on Redis's clock whatever its holder is doing (frozen by a
SIGSTOP, say), which is the failure FM_025 is about.

One Lua script makes an acquire atomic, as the model's one step is. A run's keys carry a prefix of
its own and are deleted when it ends (`clear`); the Redis server is shared, never flushed.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from runtime.core import history as ev
from runtime.core.errors import BadInputError
from runtime.core.ports import OK, UNAVAILABLE

DEFAULT_LOCK_URL = "redis://127.0.0.1:6379/0"
"""Where a scenario whose lock is Redis's (`leader_lock="redis"`) keeps it without --lock."""
TIMEOUT_S = 2.0

# KEYS[1]: the lock, KEYS[2]: its epoch counter. ARGV[1]: the caller, ARGV[2]: the TTL (ms).
# Answers {0, 0}: someone else holds it; {1, epoch}: renewed; {2, epoch}: taken in a new epoch.
ACQUIRE = """
local held = redis.call('GET', KEYS[1])
if held then
  local epoch, holder = string.match(held, '^(%d+):(.*)$')
  if holder ~= ARGV[1] then return {0, 0} end
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1, tonumber(epoch)}
end
local epoch = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], epoch .. ':' .. ARGV[1], 'NX', 'PX', ARGV[2])
return {2, epoch}
"""


def check_lock_url(url: str) -> str:
    """A redis:// URL naming a database number, or bad input (one line naming --lock)."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise BadInputError(f"--lock {url!r} must be a redis://host:port/db URL")
    path = parts.path.strip("/")
    if path and not path.isdigit():
        raise BadInputError(f"--lock {url!r}: the path must be a Redis database number, got {path!r}")
    return url


class RedisLock:
    """The lock port on Redis: acquire_lock answers as runtime/sim/lock.py's Lock does, and records
    `leader_elected` in the run's history (the database) when a new epoch begins."""

    def __init__(self, url: str, db) -> None:
        self.url, self.db = check_lock_url(url), db
        self.prefix = f"faultline:{uuid.uuid4().hex[:16]}:"
        self._client = None
        self._script = None

    def _redis(self):
        if self._client is None:  # in the process that uses it (redis-py's pool also resets after a fork)
            import redis

            self._client = redis.Redis.from_url(
                self.url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S, decode_responses=True
            )
            self._script = self._client.register_script(ACQUIRE)
        return self._client

    def keys(self, lock: str) -> list[str]:
        return [f"{self.prefix}lock:{lock}", f"{self.prefix}epoch:{lock}"]

    def check(self) -> None:
        """Bad input (one line) when the server at the URL doesn't answer."""
        import redis

        try:
            self._redis().ping()
        except (redis.RedisError, OSError) as error:
            raise BadInputError(f"no Redis answers at {self.url} for the leader lock ({error})") from None

    def acquire_lock(self, actor: str, lock: str, lease_ms: int) -> tuple[str, int | None]:
        import redis

        ttl_ms = max(1, round(lease_ms * self.db.scale))  # virtual ms -> real ms, on Redis's clock
        try:
            self._redis()
            assert self._script is not None
            answer, epoch = self._script(keys=self.keys(lock), args=[actor, ttl_ms])
        except (redis.RedisError, OSError):
            return UNAVAILABLE, None
        if answer == 0:
            return OK, None
        if answer == 2:
            self.db.record_event(ev.LEADER_ELECTED, actor, None, None, None, lock, int(epoch))
        return OK, int(epoch)

    def clear(self) -> None:
        """Delete the run's keys (the server and its other keys are left alone)."""
        import redis

        try:
            client = self._redis()
            names = list(client.scan_iter(match=f"{self.prefix}*", count=100))
            if names:
                client.delete(*names)
        except (redis.RedisError, OSError):
            pass
        finally:
            if self._client is not None:
                self._client.close()
            self._client = self._script = None
