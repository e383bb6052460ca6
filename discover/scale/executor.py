"""The coordinator side of `discover run --broker redis://... --db postgresql://...`.

`map(kind, items)` sends one Celery task per item whose key this run has not finished yet
(a resumed run sends only what is missing), then follows `task_results` in the store until
every key is done, ticking the progress bar. A key recorded as failed fails the run with the
worker's own message. If nothing finishes for a long time the workers are pinged: none alive
serving this database is an error; otherwise the missing keys are sent again (harmless: tasks are idempotent), in
case their messages were lost with a broker that restarted without persistence.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from discover.errors import DiscoverError, ExecutorError

if TYPE_CHECKING:
    from discover.pipeline import RunContext
    from discover.settings import Settings
    from discover.tasks import TaskKind

log = logging.getLogger(__name__)
I = TypeVar("I")
O = TypeVar("O")


class CeleryExecutor:
    name = "celery"

    def __init__(self, settings: "Settings", *, poll_s: float = 0.25, stall_s: float | None = None,
                 ping_timeout: float = 2.0) -> None:
        from discover.scale.app import make_app

        self.settings = settings
        self.app = make_app(settings)
        self.poll_s = poll_s
        self.stall_s = stall_s if stall_s is not None else max(
            60.0, 2 * settings.task_visibility_timeout + settings.task_claim_ttl)
        self.ping_timeout = ping_timeout
        self.run_settings: dict[str, Any] = {}
        self.world = ""
        self.queue = ""
        self.sent = 0

    async def start(self, ctx: "RunContext") -> None:
        from discover.scale import require_shared_db
        from discover.scale import queue_for
        from discover.scale.checks import check_broker, worker_queues
        from discover.tasks import RUN_SETTINGS

        if ctx.store.engine.dialect.name != "postgresql":
            require_shared_db(ctx.settings.db_url())
        status, detail = await asyncio.to_thread(check_broker, self.settings.broker)
        if status != "ok":
            raise ExecutorError(f"cannot use the broker: {detail}", hint="start Redis, or check --broker")
        self.queue = queue_for(await asyncio.to_thread(ctx.store.instance_id))
        queues = await asyncio.to_thread(worker_queues, self.app, self.ping_timeout)
        serving = [w for w, q in queues.items() if self.queue in q]
        if not serving:
            others = f" ({len(queues)} alive, on other databases)" if queues else ""
            raise ExecutorError(f"no discover worker serves this database on the broker{others}",
                                hint=f"start one: discover worker --broker {_redacted(self.settings.broker)} "
                                     "--db <the same database as the run> (and the same --web)")
        ctx.summary["workers"] = len(serving)
        self.run_settings = {k: getattr(ctx.settings, k) for k in RUN_SETTINGS}
        self.world = ctx.runtime.world.name if ctx.runtime.world is not None else ""

    async def map(self, kind: "TaskKind[I, O]", items: Sequence[I], ctx: "RunContext") -> list[O]:
        if not items:
            return []
        store, run_id = ctx.store, ctx.run_id
        keys = [kind.key(i) for i in items]
        unique: dict[str, I] = {}
        for k, item in zip(keys, items):
            unique.setdefault(k, item)
        statuses = await asyncio.to_thread(store.task_statuses, run_id, kind.name)
        todo = [k for k in unique if statuses.get(k) != "done"]
        await asyncio.to_thread(self._send, kind, run_id, [(k, unique[k]) for k in todo])
        total = len(unique)
        finished = sum(1 for k in unique if statuses.get(k) == "done")
        # Polled by counts (one small query); the keys themselves are read only when the counts
        # say every unit may be done or one failed (units of an earlier coordinator of this run
        # may still be finishing, so a count alone proves nothing).
        base_done, base_failed = _others(statuses, unique)
        ctx.progress(kind.name, finished, total)
        last_change = time.monotonic()
        while finished < total:
            await asyncio.sleep(self.poll_s)
            counts = await asyncio.to_thread(store.task_counts, run_id, kind.name)
            now_done = min(total, counts.get("done", 0) - base_done)
            if counts.get("failed", 0) > base_failed or now_done >= total:
                statuses = await asyncio.to_thread(store.task_statuses, run_id, kind.name)
                failed = [k for k in unique if statuses.get(k) == "failed"]
                if failed:
                    raise self._failure(store, run_id, kind.name, failed)
                now_done = sum(1 for k in unique if statuses.get(k) == "done")
                base_done, base_failed = _others(statuses, unique)
            if now_done != finished:
                finished, last_change = now_done, time.monotonic()
                ctx.progress(kind.name, finished, total)
            elif time.monotonic() - last_change > self.stall_s:
                statuses = await asyncio.to_thread(store.task_statuses, run_id, kind.name)
                await self._stalled(kind, run_id, {k: unique[k] for k in unique if statuses.get(k) != "done"})
                last_change = time.monotonic()
        records = await asyncio.to_thread(store.task_results, run_id, kind.name, list(unique))
        ordered = list(unique)
        loaded = await asyncio.to_thread(kind.load_results, store, [records[k].result for k in ordered])
        results = dict(zip(ordered, loaded))
        return [results[k] for k in keys]

    def _send(self, kind: "TaskKind[Any, Any]", run_id: int, pending: list[tuple[str, Any]]) -> None:
        from discover.scale import TASK

        with self.app.producer_or_acquire() as producer:
            for key, item in pending:
                self.app.send_task(TASK, args=[run_id, kind.name, key, kind.encode_item(item), self.run_settings,
                                               self.world], queue=self.queue, producer=producer)
                self.sent += 1

    def _failure(self, store: Any, run_id: int, stage: str, keys: list[str]) -> DiscoverError:
        rec = store.task_result(run_id, stage, keys[0])
        err = rec.error if rec is not None else {}
        more = f" (and {len(keys) - 1} more)" if len(keys) > 1 else ""
        exc = ExecutorError(f"{stage} {keys[0]}{more} failed on {err.get('worker') or 'a worker'}: "
                            f"{err.get('message') or 'unknown error'}", hint=err.get("hint") or None)
        # The worker's own error class decides the exit code (a bad --web is 2, a missing browser 3 ...).
        exc.exit_code = int(err.get("exit_code") or 70)
        return exc

    async def _stalled(self, kind: "TaskKind[Any, Any]", run_id: int, pending: dict[str, Any]) -> None:
        from discover.scale.checks import worker_queues

        queues = await asyncio.to_thread(worker_queues, self.app, self.ping_timeout)
        if not any(self.queue in q for q in queues.values()):
            raise ExecutorError(f"no worker is alive and {len(pending)} {kind.name} task(s) are unfinished",
                                hint="start workers (`discover worker ...`), then `discover run --resume` "
                                     "with the same --broker and --db")
        log.warning("no %s task finished for %.0f s; sending the %d unfinished ones again", kind.name,
                    self.stall_s, len(pending))
        await asyncio.to_thread(self._send, kind, run_id, list(pending.items()))

    async def aclose(self) -> None:
        try:
            self.app.close()
        except Exception as exc:  # noqa: BLE001 - closing connections of a broker that went away
            log.debug("closing the Celery app: %s", exc)


def _others(statuses: dict[str, str], ours: dict[str, Any]) -> tuple[int, int]:
    """(done, failed) among the stage's tasks that are not this map's."""
    done = sum(1 for k, v in statuses.items() if v == "done" and k not in ours)
    failed = sum(1 for k, v in statuses.items() if v == "failed" and k not in ours)
    return done, failed


def _redacted(url: str) -> str:
    from discover.urls import redact_url

    return redact_url(url)
