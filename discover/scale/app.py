"""The Celery app: one task, `discover.unit(run_id, stage, key, item, run_settings, world)`.

Delivery is at least once and execution effectively once:

* `acks_late` + `task_reject_on_worker_lost`: a message is acknowledged after its task ran,
  so a worker killed mid-task (SIGKILL, a lost machine) leaves it unacknowledged and Redis
  hands it to another worker after `task_visibility_timeout` seconds;
* before running, the worker looks the key up in the store's `task_results` (done → nothing to
  do) and claims it in Redis (another worker running it right now → retried a little later);
* what a unit writes are upserts, and its result is one upsert keyed by (run, stage, key).

Messages are JSON (never pickles); there is no result backend: results are in PostgreSQL.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Protocol

from discover.scale import QUEUE, TASK  # noqa: F401 - QUEUE: the default for stray sends

if TYPE_CHECKING:
    from celery import Celery

    from discover.settings import Settings

log = logging.getLogger(__name__)

class UnitRunner(Protocol):
    """What runs the units in a worker process (discover.scale.worker.WorkerState)."""

    def run_unit(self, run_id: int, stage: str, key: str, item: Any, run_settings: dict[str, Any],
                 world: str) -> str: ...

    def record_failure(self, run_id: int, stage: str, key: str, exc: BaseException) -> None: ...


_runner: UnitRunner | None = None


def set_runner(runner: UnitRunner | None) -> None:
    """Install (or remove) this process's unit runner: `discover worker` does, before it starts."""
    global _runner
    _runner = runner


def current_runner() -> UnitRunner:
    if _runner is None:
        raise RuntimeError("no discover worker state in this process (start it with `discover worker`)")
    return _runner


#: Errors that are not the task's fault (a database restart, a dropped Redis connection) are
#: retried this many times with back-off before the task is recorded as failed.
MAX_ERROR_RETRIES = 5


def make_app(settings: "Settings") -> "Celery":
    from celery import Celery

    app = Celery("discover", broker=settings.broker, set_as_current=False)
    vt = int(settings.task_visibility_timeout)
    app.conf.update(
        task_serializer="json", accept_content=["json"], result_serializer="json",
        task_ignore_result=True, task_store_errors_even_if_ignored=False,
        task_acks_late=True, task_reject_on_worker_lost=True,
        task_default_queue=QUEUE, task_create_missing_queues=True,
        # One message per free thread: a worker does not hoard tasks the others could run.
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False, worker_redirect_stdouts=False,
        worker_send_task_events=False, task_send_sent_event=False,
        worker_enable_remote_control=True,     # `discover doctor` pings the workers
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": vt,
            # Sweep for messages of dead workers often enough for the visibility timeout to mean it.
            "unacked_restore_interval": max(1, min(10, vt // 4)), "unacked_restore_throttle": 1,
            "socket_connect_timeout": 5, "socket_timeout": 30,
        },
    )
    claim_retry = max(1.0, min(settings.task_claim_ttl, vt / 2))

    @app.task(name=TASK, bind=True, acks_late=True, reject_on_worker_lost=True,  # type: ignore[untyped-decorator]
              max_retries=None)
    def unit(self: Any, run_id: int, stage: str, key: str, item: Any, run_settings: dict[str, Any],
             world: str) -> str:
        state = current_runner()
        try:
            status = state.run_unit(run_id, stage, key, item, run_settings, world)
        except Exception as exc:  # noqa: BLE001 - an infrastructure hiccup or a bug: retried, then recorded
            tries = int(self.request.retries or 0) + 1   # claim retries count too: rare, and only cut this short
            if tries <= MAX_ERROR_RETRIES:
                log.warning("%s %s failed (%s: %s); retry %d of %d", stage, key, type(exc).__name__, exc,
                            tries, MAX_ERROR_RETRIES)
                raise self.retry(countdown=min(30, 2 ** tries)) from None
            state.record_failure(run_id, stage, key, exc)
            return "failed"
        if status == "busy":
            # Another worker holds the claim (this is a redelivery of a task still running
            # there): come back when its claim would have expired if that worker died.
            raise self.retry(countdown=claim_retry)
        return status

    return app
