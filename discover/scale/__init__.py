"""Beyond one machine: the same run spread over Celery workers, PostgreSQL as the shared store.

    executor.py  CeleryExecutor: `discover run --broker ...` sends one task per unit of work
                 (discover.tasks) and reads the results from the store
    app.py       the Celery app and its one task (late acknowledgement, idempotent by
                 (run, stage, key), results upserted into the store)
    worker.py    `discover worker`: one event loop, runtime, browser and store per process
    limits.py    RedisPoliteness: fleet-wide per-host limits, engine budgets, shared back-off
                 and blocks; task claims
    checks.py    broker / database / worker checks for `discover doctor`

How to run it on several machines: docs/scale.md. Celery and Redis come with the `scale`
extra (`pip install 'discover-prospects[scale]'`); nothing here is imported on one machine.
"""

from __future__ import annotations

from discover.errors import ConfigError

#: The queue every task goes to and every worker serves.
QUEUE = "discover"
#: The one task name (the stage is an argument).
TASK = "discover.unit"


def require_celery() -> None:
    """Fail with the install hint when the `scale` extra is missing."""
    try:
        import celery  # noqa: F401
        import redis  # noqa: F401
    except ImportError as exc:
        raise ConfigError(f"the distributed executor needs Celery and Redis ({exc.name} is not installed)",
                          hint="pip install 'discover-prospects[scale]' (or run without --broker, "
                               "on this machine only)") from None


def require_shared_db(db_url: str) -> None:
    """Workers on several machines need one database server, not a file each."""
    if not db_url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        from discover.urls import redact_url

        raise ConfigError(f"the distributed executor needs a PostgreSQL database every worker reaches; "
                          f"got {redact_url(db_url) if '://' in db_url else db_url}",
                          hint="give --db postgresql://USER@HOST/DB (the same one to the run and the workers)")


def queue_for(instance_id: str) -> str:
    """The queue of one database's runs: workers serve the queue of the database they write to."""
    return f"{QUEUE}.{instance_id[:12]}"
