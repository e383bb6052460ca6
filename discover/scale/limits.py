"""Politeness shared by a fleet of workers, in Redis (the broker's server), and task claims.

Every decision is one Lua script run atomically on the Redis server with the server's own
clock (`TIME`), so workers on machines whose clocks disagree still share one timeline:

    host lease      a sorted set of lease ids scored by expiry: at most `concurrency` unexpired
                    leases per host across the fleet; a lease of a killed worker expires by itself
    host spacing    the earliest time of the next request to the host (per_host_delay)
    engine turn     the last query time (query_delay) and a one-minute window (queries_per_minute)
                    per engine, and a back-off deadline every worker honours after a block
    engine block    "<reason> (seen by <worker>)" with a TTL: a captcha seen by one worker
                    stops that engine for all of them for `engine_block_ttl` seconds
    task claim      SET NX with a TTL, kept alive by a heartbeat while the task runs, so a
                    redelivered task never runs twice at once, and a killed worker's claim
                    expires for another worker to take over

Keys live under `discover:` in the broker's database.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import uuid
from typing import Any

log = logging.getLogger(__name__)

PREFIX = "discover"

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

# KEYS[1] leases (zset id → expiry ms) ; ARGV: limit, lease id, ttl ms → 1 taken / 0 full
_ACQUIRE = _NOW + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
  return 1
end
return 0
"""

# KEYS[1] next-at ms ; ARGV: delay ms → ms to wait before this request (the slot is reserved)
_SPACING = _NOW + """
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
local wait = nxt - now
if wait < 0 then wait = 0 end
local base = now
if nxt > now then base = nxt end
local delay = tonumber(ARGV[1])
redis.call('SET', KEYS[1], base + delay, 'PX', math.floor(wait + delay + 1000))
return wait
"""

# KEYS: last, window, backoff ; ARGV: gap ms, per minute, member → 0 (turn taken) or ms to wait
_ENGINE_TURN = _NOW + """
local gap = tonumber(ARGV[1])
local per_minute = tonumber(ARGV[2])
local wait = tonumber(redis.call('GET', KEYS[3]) or '0') - now
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
if last > 0 and last + gap - now > wait then wait = last + gap - now end
if per_minute > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - 60000)
  if redis.call('ZCARD', KEYS[2]) >= per_minute then
    local oldest = tonumber(redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')[2])
    if oldest + 60000 - now > wait then wait = oldest + 60000 - now end
  end
end
if wait > 0 then return wait end
redis.call('SET', KEYS[1], now, 'PX', math.floor(gap + 120000))
if per_minute > 0 then
  redis.call('ZADD', KEYS[2], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[2], 61000)
end
return 0
"""

# KEYS[1] backoff-until ms ; ARGV: seconds ms → the deadline
_BACKOFF = _NOW + """
local deadline = now + tonumber(ARGV[1])
local old = tonumber(redis.call('GET', KEYS[1]) or '0')
if old > deadline then deadline = old end
redis.call('SET', KEYS[1], deadline, 'PX', math.floor(deadline - now + 1000))
return deadline
"""

# KEYS[1] claim ; ARGV: owner, ttl ms → 1 if still ours (and extended)
REFRESH_SCRIPT = _REFRESH = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
  return 1
end
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def _ms(seconds: float) -> int:
    return max(1, int(round(seconds * 1000)))


class RedisLease:
    """A fleet-wide concurrency slot for one host: `async with lease:` (many tasks may hold
    the same object at once; each holds its own lease id)."""

    def __init__(self, owner: "RedisPoliteness", key: str, limit: int) -> None:
        self.owner = owner
        self.key = key
        self.limit = max(1, limit)
        self._held: dict[Any, list[str]] = {}

    async def __aenter__(self) -> "RedisLease":
        lease = uuid.uuid4().hex
        await self.owner.acquire(self.key, self.limit, lease)
        self._held.setdefault(asyncio.current_task(), []).append(lease)
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any, /) -> None:
        task = asyncio.current_task()
        stack = self._held.get(task) or []
        lease = stack.pop() if stack else ""
        if not stack:
            self._held.pop(task, None)
        if lease:
            await self.owner.release_lease(self.key, lease)


class RedisHostSlot:
    def __init__(self, owner: "RedisPoliteness", host: str, concurrency: int) -> None:
        self.owner = owner
        self.host = host
        self.sem = RedisLease(owner, owner.key("host", host, "leases"), concurrency)

    async def turn(self, delay: float) -> None:
        if delay <= 0:
            return
        wait_ms = await self.owner.script("spacing", [self.owner.key("host", self.host, "next")], [_ms(delay)])
        if wait_ms > 0:
            await asyncio.sleep(wait_ms / 1000)


class RedisPoliteness:
    """The `discover.politeness.Politeness` interface, shared through Redis by every worker."""

    shared = True

    def __init__(self, url: str, *, worker: str = "", lease_ttl: float = 60.0, block_ttl: float = 1800.0,
                 poll_s: float = 0.02) -> None:
        import redis.asyncio as aioredis

        self.url = url
        self.worker = worker or f"pid-{uuid.uuid4().hex[:8]}"
        self.lease_ttl = lease_ttl
        self.block_ttl = block_ttl
        self.poll_s = poll_s
        self.redis = aioredis.from_url(url, decode_responses=True, health_check_interval=30)
        self._scripts = {name: self.redis.register_script(src) for name, src in (
            ("acquire", _ACQUIRE), ("spacing", _SPACING), ("engine_turn", _ENGINE_TURN),
            ("backoff", _BACKOFF), ("refresh", _REFRESH), ("release", _RELEASE))}
        self._slots: dict[str, RedisHostSlot] = {}
        self._rng = random.Random()

    @staticmethod
    def key(*parts: str) -> str:
        return ":".join((PREFIX, *parts))

    async def script(self, name: str, keys: list[str], args: list[Any]) -> int:
        return int(await self._scripts[name](keys=keys, args=args))

    # --- hosts -------------------------------------------------------------------------
    def host_slot(self, host: str, concurrency: int) -> RedisHostSlot:
        slot = self._slots.get(host)
        if slot is None or slot.sem.limit != max(1, concurrency):
            slot = self._slots[host] = RedisHostSlot(self, host, concurrency)
        return slot

    def host_limit(self, host: str, concurrency: int) -> RedisLease:
        return self.host_slot(host, concurrency).sem

    async def acquire(self, key: str, limit: int, lease: str) -> None:
        while not await self.script("acquire", [key], [limit, lease, _ms(self.lease_ttl)]):
            # Jitter: workers that poll in step would keep colliding on the same free slot.
            await asyncio.sleep(self.poll_s * (1 + self._rng.random()))

    async def release_lease(self, key: str, lease: str) -> None:
        await self.redis.zrem(key, lease)

    async def leases(self, host: str) -> int:
        """Unexpired leases on `host` across the fleet (for tests and `doctor`)."""
        key = self.key("host", host, "leases")
        now = await self.redis.time()
        await self.redis.zremrangebyscore(key, "-inf", int(now[0]) * 1000 + int(now[1]) // 1000)
        return int(await self.redis.zcard(key))

    # --- engines -----------------------------------------------------------------------
    async def engine_turn(self, engine: str, gap: float, per_minute: int) -> None:
        keys = [self.key("engine", engine, "last"), self.key("engine", engine, "window"),
                self.key("engine", engine, "backoff")]
        while True:
            wait_ms = await self.script("engine_turn", keys, [_ms(gap) if gap > 0 else 0, max(0, per_minute),
                                                              uuid.uuid4().hex])
            if wait_ms <= 0:
                return
            await asyncio.sleep(wait_ms / 1000)

    async def engine_backoff(self, engine: str, seconds: float) -> None:
        await self.script("backoff", [self.key("engine", engine, "backoff")], [_ms(seconds)])

    async def block_engine(self, engine: str, reason: str) -> None:
        await self.redis.set(self.key("engine", engine, "blocked"), f"{reason} (seen by {self.worker})",
                             ex=max(1, int(self.block_ttl)))
        log.warning("%s blocked (%s): stopped for the whole fleet for %.0f s", engine, reason, self.block_ttl)

    async def engine_blocked(self, engine: str) -> str:
        return str(await self.redis.get(self.key("engine", engine, "blocked")) or "")

    async def blocked_engines(self) -> dict[str, tuple[str, int]]:
        """engine → (reason, seconds left) for every engine the fleet is keeping away from."""
        out: dict[str, tuple[str, int]] = {}
        async for key in self.redis.scan_iter(match=self.key("engine", "*", "blocked")):
            reason = await self.redis.get(key)
            if reason:
                out[str(key).split(":")[2]] = (str(reason), int(await self.redis.ttl(key)))
        return out

    # --- task claims -------------------------------------------------------------------
    def claim_key(self, run_id: int, stage: str, key: str, scope: str = "") -> str:
        """The claim of one unit; `scope` (the database's queue) keeps run 1 of one database apart
        from run 1 of another sharing this Redis."""
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:40]
        return self.key("claim", scope or "-", str(run_id), stage, digest)

    async def claim(self, claim_key: str, ttl: float) -> bool:
        return bool(await self.redis.set(claim_key, self.worker, nx=True, px=_ms(ttl)))

    async def refresh_claim(self, claim_key: str, ttl: float) -> bool:
        return bool(await self.script("refresh", [claim_key], [self.worker, _ms(ttl)]))

    async def release_claim(self, claim_key: str) -> None:
        await self.script("release", [claim_key], [self.worker])

    async def claims_of(self, worker: str) -> list[str]:
        """The claim keys `worker` holds now (tests: is that worker in the middle of a task?)."""
        out = []
        async for key in self.redis.scan_iter(match=self.key("claim", "*")):
            if await self.redis.get(key) == worker:
                out.append(key)
        return out

    async def aclose(self) -> None:
        await self.redis.aclose()
