"""Review in the browser, and retrain the page-type model on the corrections made there."""

from __future__ import annotations

from typing import Annotated

import typer

from discover.cli.app import app
from discover.cli.common import DbOpt, make_settings


@app.command()
def review(
    niche: Annotated[str | None, typer.Option("--niche", help="Review this niche only (default: every niche).",
                                              show_default=False)] = None,
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port (0 = any free port).")] = 0,
    host: Annotated[str, typer.Option("--host", help="Address to listen on; anything but loopback is reachable "
                                                     "from other machines (a warning is printed).")] = "127.0.0.1",
    open_browser: Annotated[bool, typer.Option("--open/--no-open", help="Open the page in your browser.")] = True,
    db: DbOpt = None,
) -> None:
    """Approve or reject prospects in the browser (keys: a, r, t, j/k, u); decisions go to the ledger.

    The address, with its access key, is printed on stderr. Ctrl-C stops."""
    from discover.errors import InputError
    from discover.review.server import check_installed, serve
    from discover.store import Store

    check_installed()
    settings = make_settings(db=db)
    with Store.open(settings.db_url()) as store:
        if store.last_run() is None:
            raise InputError("the database holds no run yet", hint="run `discover run KEYWORD` first, or pass --db")
        if niche is not None and store.last_run(niche) is None:
            from discover.review.queue import niches

            raise InputError(f"no run for the niche {niche!r} in this database",
                             hint="niches: " + ", ".join(niches(store)[:10]))
        try:
            serve(store, host=host, port=port, niche=niche or "", open_browser=open_browser)
        except KeyboardInterrupt:
            pass
