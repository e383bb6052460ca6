"""Checks of the distributed set-up for `discover doctor` and the coordinator: the broker,
the workers alive and the queues they serve, and the engines the fleet keeps away from."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from celery import Celery


def check_broker(url: str) -> tuple[str, str]:
    """("ok", "Redis 7.0.15 at host:port/db") or ("error", why)."""
    from redis import Redis
    from redis.exceptions import RedisError

    from discover.urls import redact_url

    try:
        client = Redis.from_url(url, socket_connect_timeout=3, socket_timeout=5)
        try:
            client.ping()
            version = client.info("server").get("redis_version", "?")
        finally:
            client.close()
    except (RedisError, OSError, ValueError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return "error", f"{redact_url(url)}: {first}"
    return "ok", f"Redis {version} at {redact_url(url)}"


def ping_workers(app: "Celery", timeout: float = 2.0) -> dict[str, Any]:
    """worker name → its pong, for every worker that answered within `timeout`."""
    return dict(app.control.inspect(timeout=timeout).ping() or {})


def worker_queues(app: "Celery", timeout: float = 2.0) -> dict[str, list[str]]:
    """worker name → the queues it consumes."""
    replies = app.control.inspect(timeout=timeout).active_queues() or {}
    return {w: sorted(q.get("name", "?") for q in queues or []) for w, queues in replies.items()}


def worker_stats(app: "Celery", timeout: float = 2.0) -> dict[str, dict[str, Any]]:
    """worker name → {"concurrency", "active"} (threads, tasks running now)."""
    insp = app.control.inspect(timeout=timeout)
    stats = insp.stats() or {}
    active = insp.active() or {}
    return {w: {"concurrency": (s.get("pool") or {}).get("max-concurrency"), "active": len(active.get(w) or [])}
            for w, s in stats.items()}


def fleet_blocks(url: str) -> dict[str, tuple[str, int]]:
    """engine → (reason, seconds left) of the fleet-wide engine blocks."""
    import asyncio

    from discover.scale.limits import RedisPoliteness

    async def go() -> dict[str, tuple[str, int]]:
        pol = RedisPoliteness(url, worker="doctor")
        try:
            return await pol.blocked_engines()
        finally:
            await pol.aclose()

    return asyncio.run(go())
