"""The distributed executor's command: `discover worker` (docs/scale.md)."""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from discover.cli.app import app
from discover.cli.common import BrowserOpt, WebOpt, console, make_settings


@app.command()
def worker(
    broker: Annotated[str, typer.Option("--broker", help="Redis URL of the Celery broker: redis://HOST:PORT/N.",
                                        show_default=False)],
    db: Annotated[str, typer.Option("--db", help="The shared PostgreSQL database: postgresql://USER@HOST/DB.",
                                    show_default=False)],
    concurrency: Annotated[int | None, typer.Option(
        "--concurrency", "-c", min=1, max=512, help="Tasks run at once (threads sharing one browser) [default: 16].",
        show_default=False)] = None,
    browser_endpoint: Annotated[list[str] | None, typer.Option(
        "--browser-endpoint", help="A remote browser (CDP http://host:9222 or ws://); repeat it (or give a comma "
                                   "list) for a pool: a dead one is taken out, the others carry on.",
        show_default=False)] = None,
    browser: BrowserOpt = None,
    web: WebOpt = None,
    name: Annotated[str | None, typer.Option("--name", help="Worker name (default discover-PID@HOST).",
                                             show_default=False)] = None,
    loglevel: Annotated[str, typer.Option("--loglevel", help="debug, info, warning or error.")] = "warning",
) -> None:
    """Run a worker of the distributed executor: it takes tasks from the broker (queries to search,
    pages to fetch and classify, pages to link-check) and writes their results to the shared
    database. Ctrl-C or SIGTERM: finishes its tasks in flight, then stops."""
    from discover.errors import InputError
    from discover.scale import require_celery, require_shared_db

    level = getattr(logging, loglevel.upper(), None)
    if not isinstance(level, int):
        raise InputError(f"--loglevel {loglevel!r} is not a log level", hint="debug, info, warning or error")
    endpoints = ",".join(e for e in browser_endpoint or () if e.strip())
    settings = make_settings(broker=broker, db=db, web=web, browser=browser, browser_endpoint=endpoints or None,
                             worker_concurrency=concurrency)
    require_celery()
    require_shared_db(settings.db_url())
    logging.basicConfig(level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from discover.scale.checks import check_broker
    from discover.scale.worker import default_name, run_worker
    from discover.urls import redact_url

    status, detail = check_broker(settings.broker)
    if status != "ok":
        from discover.errors import ExecutorError

        raise ExecutorError(f"cannot use the broker: {detail}", hint="start Redis, or check --broker")
    label = name or default_name()
    console(stderr=True).print(
        f"worker {label}: {settings.worker_concurrency} tasks at once; broker {detail}; "
        f"database {redact_url(settings.db_url())}" + (f"; web world {settings.web}" if settings.web else "")
        + (f"; browsers {settings.browser_endpoint}" if settings.browser_endpoint else ""))
    code = run_worker(settings, concurrency=settings.worker_concurrency, name=label, loglevel=loglevel)
    raise typer.Exit(code)
