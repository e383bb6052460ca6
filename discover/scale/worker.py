"""`discover worker`: one process, many tasks at once, one browser.

Celery runs the tasks on `worker_concurrency` threads (the "threads" pool); every thread hands
its unit to ONE asyncio event loop running in a thread of its own, where the runtime (the
world server with `--web`, the browser or the pool of remote browsers), the store and the
fleet's politeness live for the life of the process. Units of one run share a `TaskEnv`
(one fetcher, one link checker), so a worker behaves like the in-process run it replaces;
more processes (or machines) add CPU for extraction and classification.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import socket
import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Awaitable, TypeVar

from discover.errors import ConfigError, DiscoverError

if TYPE_CHECKING:
    from discover.runtime import Runtime
    from discover.scale.limits import RedisPoliteness
    from discover.settings import Settings
    from discover.store import Store
    from discover.tasks import TaskEnv

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Runs whose fetcher and link checker a worker keeps open (older ones are closed).
KEEP_RUNS = 4

def default_name() -> str:
    return f"discover-{os.getpid()}@{socket.gethostname()}"


class WorkerState:
    def __init__(self, settings: "Settings", name: str = "") -> None:
        from discover.runtime import Runtime
        from discover.scale import queue_for
        from discover.store import Store

        self.settings = settings
        self.name = name or default_name()
        self.loop = asyncio.new_event_loop()
        # extract/classify and the store's calls run here; the default pool is too small for many units
        self.loop.set_default_executor(concurrent.futures.ThreadPoolExecutor(
            max_workers=settings.worker_concurrency + 4, thread_name_prefix="discover-io"))
        self._thread = threading.Thread(target=self.loop.run_forever, name="discover-loop", daemon=True)
        self._thread.start()
        self.store: Store = Store.open(settings.db_url())
        self.politeness: RedisPoliteness = self.call(self._politeness())
        self.runtime: Runtime = Runtime(settings, politeness=self.politeness).start()
        self.world = self.runtime.world.name if self.runtime.world is not None else ""
        #: This database's queue: runs on another database never reach this worker.
        self.queue = queue_for(self.store.instance_id())
        self._envs: OrderedDict[int, TaskEnv] = OrderedDict()
        self._claims: set[str] = set()
        self._stop = threading.Event()
        self._beat = threading.Thread(target=self._heartbeat, name="discover-heartbeat", daemon=True)
        self._beat.start()
        self._env_lock = asyncio.Lock()
        self.units_done = 0

    async def _politeness(self) -> "RedisPoliteness":
        from discover.scale.limits import RedisPoliteness

        return RedisPoliteness(self.settings.broker, worker=self.name, block_ttl=self.settings.engine_block_ttl,
                               lease_ttl=max(60.0, 4 * self.settings.timeout))

    def call(self, coro: Awaitable[T], timeout: float | None = None) -> T:
        """Run a coroutine on the worker's loop from a Celery thread and wait for it."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)  # type: ignore[arg-type]

    # --- one unit ----------------------------------------------------------------------
    def run_unit(self, run_id: int, stage: str, key: str, item: Any, run_settings: dict[str, Any],
                 world: str) -> str:
        """"done", "skipped" (already done), "failed" (recorded) or "busy" (claimed elsewhere)."""
        return self.call(self._run_unit(run_id, stage, key, item, run_settings, world))

    async def _run_unit(self, run_id: int, stage: str, key: str, item: Any, run_settings: dict[str, Any],
                        world: str) -> str:
        from discover.tasks import KINDS

        store = self.store
        ttl = self.settings.task_claim_ttl
        claim = self.politeness.claim_key(run_id, stage, key, scope=self.queue)
        if not await self.politeness.claim(claim, ttl):
            return "busy"       # running on another worker now (this is a redelivered copy)
        self._claims.add(claim)
        started = time.monotonic()
        try:
            # Under the claim: a redelivered or resent task whose work is recorded is not run again.
            if await asyncio.to_thread(store.task_done, run_id, stage, key):
                return "skipped"
            kind = KINDS.get(stage)
            try:
                if kind is None:
                    raise ConfigError(f"this worker does not know the stage {stage!r}",
                                      hint="run the same version of discover on every machine")
                if world != self.world:
                    # A world run on a worker on the real internet would send real traffic (and
                    # the reverse would find nothing): refuse rather than guess.
                    raise ConfigError(f"the run is in the web world {world or '(the real internet)'!r} but worker "
                                      f"{self.name} is in {self.world or '(the real internet)'!r}",
                                      hint="start every worker with the same --web as the run")
                env = await self._env(run_id, run_settings)
                result = await kind.run_one(env, kind.decode_item(item))
            except DiscoverError as exc:
                await asyncio.to_thread(self._save_failure, run_id, stage, key, exc)
                return "failed"
            await asyncio.to_thread(store.save_task_result, run_id, stage, key, status="done",
                                    result=kind.encode_result(result), worker=self.name,
                                    elapsed_s=round(time.monotonic() - started, 4))
            self.units_done += 1
            return "done"
        finally:
            self._claims.discard(claim)
            try:
                await self.politeness.release_claim(claim)
            except Exception as exc:  # noqa: BLE001 - the claim expires by itself
                log.debug("releasing %s: %s", claim, exc)

    def _heartbeat(self) -> None:
        """Keep this worker's claims alive from a thread of its own: a unit that keeps the event
        loop busy (classification is CPU work) must not lose its claim to a second worker."""
        from redis import Redis

        from discover.scale.limits import REFRESH_SCRIPT

        ttl = self.settings.task_claim_ttl
        client = Redis.from_url(self.settings.broker, socket_connect_timeout=5, socket_timeout=5)
        refresh = client.register_script(REFRESH_SCRIPT)
        try:
            while not self._stop.wait(ttl / 3):
                for claim in list(self._claims):
                    try:
                        if not refresh(keys=[claim], args=[self.name, max(1, int(ttl * 1000))]) \
                                and claim in self._claims:
                            log.warning("lost the claim %s (Redis unreachable longer than task_claim_ttl)", claim)
                    except Exception as exc:  # noqa: BLE001 - Redis hiccup: try again on the next beat
                        log.debug("heartbeat %s: %s", claim, exc)
        finally:
            client.close()

    def _save_failure(self, run_id: int, stage: str, key: str, exc: BaseException) -> None:
        error = {"type": type(exc).__name__, "message": str(exc), "hint": getattr(exc, "hint", None) or "",
                 "exit_code": getattr(exc, "exit_code", 70), "worker": self.name}
        self.store.save_task_result(run_id, stage, key, status="failed", error=error, worker=self.name)

    def record_failure(self, run_id: int, stage: str, key: str, exc: BaseException) -> None:
        """An error retried to the end (a bug, a database that stays away): the run must hear of it."""
        try:
            self._save_failure(run_id, stage, key, exc)
        except Exception as err:  # noqa: BLE001 - the store itself is down: the coordinator's stall check reports it
            log.error("could not record the failure of %s %s: %s", stage, key, err)

    async def _env(self, run_id: int, run_settings: dict[str, Any]) -> "TaskEnv":
        from discover.tasks import RUN_SETTINGS, TaskEnv

        async with self._env_lock:
            env = self._envs.get(run_id)
            if env is None:
                own = {k: v for k, v in run_settings.items() if k in RUN_SETTINGS}
                if "per_host_concurrency" in own:
                    own["per_host_concurrency"] = min(int(own["per_host_concurrency"]), self.settings.concurrency)
                env = TaskEnv(self.runtime, self.store, run_id, self.settings.replace(**own))
                self._envs[run_id] = env
                while len(self._envs) > KEEP_RUNS:
                    _old, stale = self._envs.popitem(last=False)
                    await stale.aclose()
            self._envs.move_to_end(run_id)
            return env

    # --- shutdown ----------------------------------------------------------------------
    def close(self) -> None:
        async def shut() -> None:
            for env in list(self._envs.values()):
                await env.aclose()
            self._envs.clear()
            await self.runtime.close()
            await self.politeness.aclose()

        self._stop.set()
        try:
            self.call(shut(), timeout=60)
        except Exception as exc:  # noqa: BLE001 - shutting down anyway
            log.debug("worker shutdown: %s", exc)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.store.close()


def run_worker(settings: "Settings", *, concurrency: int, name: str = "", loglevel: str = "warning") -> int:
    """Start the worker and block until it stops (Ctrl-C / SIGTERM: finishes its tasks first)."""
    from discover.scale.app import make_app, set_runner

    app = make_app(settings)
    state = WorkerState(settings, name)
    set_runner(state)
    try:
        worker = app.Worker(hostname=state.name, pool="threads", concurrency=concurrency, queues=[state.queue],
                            loglevel=loglevel.upper(), quiet=True, without_mingle=True, without_gossip=True,
                            optimization="fair")
        worker.start()
        return int(worker.exitcode or 0)
    finally:
        set_runner(None)
        state.close()
