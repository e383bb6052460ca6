"""Review in the browser, and retrain the page-type model on the corrections made there."""

from __future__ import annotations

from typing import Annotated

import typer

from discover.cli.app import app
from discover.cli.common import DbOpt, JsonOpt, make_settings


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


@app.command()
def train(
    folds: Annotated[int, typer.Option("--folds", min=2, max=20, help="Folds of the grouped evaluation.")] = 5,
    reset: Annotated[bool, typer.Option("--reset", help="Delete your model and go back to the shipped one.")] = False,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Refit the page-type model on the bundled corpus plus the types you corrected in review.

    Prints the evaluation grouped by site before and after your corrections. Your model goes to your data folder (never over the shipped one), and classify prefers it."""
    from discover.cli.common import console, print_json
    from discover.pages.user_model import user_model_path
    from discover.review.learn import train as do_train
    from discover.store import Store

    settings = make_settings(db=db)
    if reset:
        path = user_model_path(settings.data_path())
        existed = path.is_file()
        path.unlink(missing_ok=True)
        if as_json:
            print_json({"reset": True, "deleted": str(path) if existed else ""})
        else:
            console().print(f"deleted {path}; the shipped model is used again" if existed else
                            "there was no model of yours; the shipped model is in use")
        return
    with Store.open(settings.db_url()) as store:
        report = do_train(store, settings, folds=folds)
    if as_json:
        print_json(report.to_json())
        return
    _print_train(report)


def _print_train(report) -> None:
    from discover.cli.common import console, print_table

    b, a = report.before, report.after

    def right(fig) -> str:
        if fig.corrected_accuracy is None:
            return "-"
        return f"{round(fig.corrected_accuracy * report.corrections)} of {report.corrections}"

    print_table(f"page types: {report.corrections} correction(s) + {report.corpus} bundled pages, "
                f"{report.folds} folds grouped by site ({report.sites} sites)",
                ["held-out figure", "before", "after"],
                [("macro-F1, every page", f"{b.macro_f1:.3f}", f"{a.macro_f1:.3f}"),
                 ("macro-F1, pages you did not label", f"{b.unlabelled_macro_f1:.3f}",
                  f"{a.unlabelled_macro_f1:.3f}"),
                 ("your labels typed as you said", right(b), right(a))])
    c = console()
    for line in report.changed[:10]:
        c.print(f"  {line}")
    for note in report.notes:
        c.print(f"[yellow]note:[/yellow] {note}")
    if report.worse:
        types = ", ".join(f"{t} {x:.2f} → {y:.2f}" for t, (x, y) in report.worse_types.items())
        c.print(f"[yellow]warning:[/yellow] your corrections made the model worse on the pages you did not "
                f"label (macro-F1 {b.unlabelled_macro_f1:.3f} → {a.unlabelled_macro_f1:.3f}"
                + (f"; {types}" if types else "") + "): check them in `discover review` (status: all), "
                "or `discover train --reset`")
    c.print(f"wrote your model to {report.model_path} in {report.elapsed_s} s; classify prefers it "
            "(`discover train --reset` goes back to the shipped one)")
