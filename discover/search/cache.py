"""SERP cache: the same query on the same engine is not searched twice within a TTL.

`SerpCache` is the protocol the runner uses; `MemorySerpCache` keeps entries in this process
(the store provides a database-backed implementation with the same two methods).
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Protocol, runtime_checkable

from discover.records import SerpResult


@runtime_checkable
class SerpCache(Protocol):
    def get(self, engine: str, query_text: str, page: int) -> list[SerpResult] | None:
        """The cached results of that page, or None when absent or expired ([] = cached no-results)."""

    def put(self, engine: str, query_text: str, page: int, results: list[SerpResult]) -> None:
        """Remember one page's results."""


def cache_key(engine: str, query_text: str, page: int) -> tuple[str, str, int]:
    return engine.strip().lower(), " ".join(query_text.split()), int(page)


class MemorySerpCache:
    """In-process SerpCache with a TTL in seconds (0 = entries never expire)."""

    def __init__(self, ttl: float = 7 * 24 * 3600, *, clock: Callable[[], float] = time.monotonic,
                 max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.clock = clock
        self.max_entries = max_entries
        self._data: dict[tuple[str, str, int], tuple[float, list[SerpResult]]] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, engine: str, query_text: str, page: int) -> list[SerpResult] | None:
        key = cache_key(engine, query_text, page)
        with self._lock:
            entry = self._data.get(key)
            if entry is not None and self.ttl and self.clock() - entry[0] > self.ttl:
                del self._data[key]
                entry = None
            if entry is None:
                self.misses += 1
                return None
            self.hits += 1
            return list(entry[1])

    def put(self, engine: str, query_text: str, page: int, results: list[SerpResult]) -> None:
        with self._lock:
            if len(self._data) >= self.max_entries:
                del self._data[next(iter(self._data))]   # oldest insertion first
            self._data[cache_key(engine, query_text, page)] = (self.clock(), list(results))

    def __len__(self) -> int:
        return len(self._data)
