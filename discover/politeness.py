"""Politeness towards hosts and search engines, as one interface with two implementations.

    runtime.politeness.host_slot(host, concurrency)   .sem (async with: a concurrency lease)
                                                      await .turn(delay) (spacing between requests)
    runtime.politeness.host_limit(host, concurrency)  the lease alone (the link checker)
    await engine_turn(engine, gap, per_minute)        a shared query budget (shared mode only)
    await engine_backoff(engine, seconds)             everyone waits after a block
    await block_engine(engine, reason) / engine_blocked(engine)

`LocalPoliteness` (one process, the default) keeps today's behaviour: each fetcher and link
checker has its own asyncio semaphores and timers, and the search runner keeps its own
per-engine spacing and block state. `discover.scale.limits.RedisPoliteness` implements the
same interface in Redis, so that the limits hold across every worker of a fleet together
(`shared = True`): ten workers never hit one host ten times as often, and a captcha seen by
one worker stops that engine for all of them.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Protocol


class Lease(Protocol):
    """A concurrency slot: `async with lease:`."""

    async def __aenter__(self) -> object: ...

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any, /) -> object: ...


class HostSlot(Protocol):
    @property
    def sem(self) -> Lease: ...

    async def turn(self, delay: float) -> None:
        """Wait until `delay` seconds have passed since the previous request to this host."""


class Politeness(Protocol):
    #: True when the limits are shared with other processes (the runner then asks before each query).
    shared: bool

    def host_slot(self, host: str, concurrency: int) -> HostSlot: ...

    def host_limit(self, host: str, concurrency: int) -> Lease: ...

    async def engine_turn(self, engine: str, gap: float, per_minute: int) -> None: ...

    async def engine_backoff(self, engine: str, seconds: float) -> None: ...

    async def block_engine(self, engine: str, reason: str) -> None: ...

    async def engine_blocked(self, engine: str) -> str: ...

    async def aclose(self) -> None: ...


class LocalHostSlot:
    """Per-host politeness in one process: a semaphore for concurrency and the earliest time of
    the next request."""

    def __init__(self, concurrency: int) -> None:
        self.sem = asyncio.Semaphore(concurrency)
        self.lock = asyncio.Lock()
        self.next_at = 0.0

    async def turn(self, delay: float) -> None:
        if delay <= 0:
            return
        async with self.lock:
            now = time.monotonic()
            wait = self.next_at - now
            self.next_at = max(now, self.next_at) + delay
        if wait > 0:
            await asyncio.sleep(wait)


class LocalPoliteness:
    """Limits of one process. Slots are not shared between callers: every fetcher and link
    checker asks for its own (as before), and engine state lives in the search runner."""

    shared = False

    def host_slot(self, host: str, concurrency: int) -> LocalHostSlot:
        return LocalHostSlot(concurrency)

    def host_limit(self, host: str, concurrency: int) -> asyncio.Semaphore:
        return asyncio.Semaphore(concurrency)

    async def engine_turn(self, engine: str, gap: float, per_minute: int) -> None:
        return None   # the runner spaces its own queries (see search/runner.py)

    async def engine_backoff(self, engine: str, seconds: float) -> None:
        return None   # the runner that saw the block sleeps itself

    async def block_engine(self, engine: str, reason: str) -> None:
        return None

    async def engine_blocked(self, engine: str) -> str:
        return ""

    async def aclose(self) -> None:
        return None
