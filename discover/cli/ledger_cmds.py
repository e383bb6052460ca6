"""Commands after a run: shortlist / export, push to a webhook, HTML report, and the outreach ledger."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from discover.cli.app import app
from discover.cli.common import (
    DbOpt, IncludeHiddenOpt, IncludeRejectedOpt, IncludeSpamOpt, JsonOpt, OnlyApprovedOpt, ShowContactedOpt, console,
    make_settings, print_json, print_table, visibility,
)

if TYPE_CHECKING:
    from discover.settings import Settings
    from discover.store import Store

outreach_app = typer.Typer(no_args_is_help=True, help="The outreach ledger: who was contacted, who is due the "
                                                       "ONE polite follow-up, who must never be contacted.")
app.add_typer(outreach_app, name="outreach")

RunOpt = Annotated[int | None, typer.Option("--run", help="Run id (default: the latest run).", show_default=False)]


def _open(db: str | None) -> tuple["Settings", "Store"]:
    from discover.store import Store

    settings = make_settings(db=db)
    return settings, Store.open(settings.db_url())


def _when(ts: float | None) -> str:
    import time

    return time.strftime("%Y-%m-%d", time.localtime(ts)) if ts else ""


@app.command()
def shortlist(
    run: RunOpt = None,
    niche: Annotated[str | None, typer.Option("--niche", help="All runs of this keyword instead of one run.",
                                              show_default=False)] = None,
    top: Annotated[int | None, typer.Option("--top", min=1, help="Keep the best N.", show_default=False)] = None,
    types: Annotated[str | None, typer.Option("--types", help="Only these types, comma-separated.",
                                              show_default=False)] = None,
    min_score: Annotated[float | None, typer.Option("--min-score", help="Drop prospects scoring below this.",
                                                    show_default=False)] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv, json, jsonl, hubspot, pipedrive, "
                                                            "buzzstream or pitchbox.")] = "table",
    out: Annotated[str | None, typer.Option("--out", "-o", help="File to write; '-' or none prints to stdout.",
                                            show_default=False)] = None,
    include_spam: IncludeSpamOpt = False,
    show_contacted: ShowContactedOpt = False,
    include_rejected: IncludeRejectedOpt = False,
    only_approved: OnlyApprovedOpt = False,
    include_hidden: IncludeHiddenOpt = False,
    as_json: Annotated[bool, typer.Option("--json", help="With --out FILE: print what was written and left out "
                                                         "as one JSON document.")] = False,
    db: DbOpt = None,
) -> None:
    """The ranked, explained shortlist of a run, as a table or a CRM-ready file.

    Do-not-contact sites, suppressed email addresses, spam, your own site and sites already
    contacted or rejected are left out unless a flag below asks for them. Says on stderr which
    run and niche it used. Rows the CRM would refuse to import are left out and counted; nothing
    to write (every prospect filtered or refused) exits 6 with the reason."""
    from discover.errors import ExportError, InputError
    from discover.outreach.export import get_exporter, rejections, write_export
    from discover.outreach.shortlist import select_prospects

    get_exporter(fmt)
    to_file = out not in (None, "-")
    if as_json and not to_file:
        raise InputError("--json prints the export's summary, so the export itself needs --out FILE",
                         hint=f"discover shortlist --format {fmt} --out FILE --json, or --format json for the rows")
    _settings, store = _open(db)
    report: dict = {}
    with store:
        prospects = select_prospects(
            store, run_id=run, niche=niche, top=top, min_score=min_score, report=report,
            visibility=visibility(include_spam=include_spam, show_contacted=show_contacted,
                                  include_rejected=include_rejected, only_approved=only_approved,
                                  include_hidden=include_hidden),
            types=[t.strip() for t in types.split(",") if t.strip()] if types else None)
    where = _selection(report)
    if not prospects:
        why = _counts(report["dropped"]) if report["dropped"] else "the run found no prospects"
        raise ExportError(f"nothing to export from {where}: {why}",
                          hint="--show-contacted / --include-spam / fewer filters, or `discover run` again")
    importable, refused = rejections(prospects, fmt)
    if not importable:
        raise ExportError(f"none of the {len(prospects)} prospect(s) of {where} can be imported into {fmt}: "
                          + _counts(refused), hint="see docs/crm-formats.md for what each format needs")
    err = console(stderr=True)
    err.print(f"shortlist: {where}: {len(prospects)} of {report['total']} prospect(s)"
              + (f"; left out: {_counts(report['dropped'])}" if report["dropped"] else ""))
    result = write_export(prospects, fmt, out)
    if refused:
        err.print(f"not written: {_counts(result.rejected)}")
    if to_file:
        err.print(f"wrote {result.written} prospect(s) to {out} ({fmt})")
    if as_json:
        print_json({**result.to_json(), "run": report["run"], "niche": report["niche"],
                    "selected": len(prospects), "total": report["total"], "filtered": report["dropped"]})


def _selection(report: dict) -> str:
    """Which prospects a command read: "run 3 (“vegan baking”)" or "niche “vegan baking” (all runs)"."""
    if report.get("run") is not None:
        return f"run {report['run']} (“{report['niche']}”)"
    return f"niche “{report['niche']}” (all runs)"


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {why}" for why, n in sorted(counts.items(), key=lambda kv: -kv[1]))


@app.command()
def push(
    webhook: Annotated[str, typer.Option("--webhook", help="URL that receives JSON batches (docs/webhook.md).")],
    run: RunOpt = None,
    batch: Annotated[int, typer.Option("--batch", min=1, max=10_000, help="Prospects per request.")] = 100,
    token_env: Annotated[str | None, typer.Option(
        "--token-env", help="Environment variable holding a bearer token (never printed).", show_default=False)] = None,
    secret_env: Annotated[str, typer.Option(
        "--secret-env", help="Environment variable holding the Standard Webhooks signing secret "
                             "(whsec_...); requests are signed when it is set (docs/webhook.md).")
    ] = "DISCOVER_WEBHOOK_SECRET",
    include_spam: IncludeSpamOpt = False,
    show_contacted: ShowContactedOpt = False,
    include_rejected: IncludeRejectedOpt = False,
    only_approved: OnlyApprovedOpt = False,
    include_hidden: IncludeHiddenOpt = False,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Send prospects to a webhook; what is not acknowledged stays in the outbox for the next push.

    The same prospects as `shortlist` are sent: do-not-contact sites, suppressed email addresses,
    spam, your own site and sites already contacted or rejected stay out unless a flag asks for
    them. Queued entries whose site became hidden since are withheld, not sent."""
    from discover.errors import ExportError, InputError
    from discover.outreach.push import push as do_push

    token = None
    if token_env:
        token = os.environ.get(token_env)
        if not token:
            raise InputError(f"environment variable {token_env} is empty or not set",
                             hint=f"export {token_env}=... before running push")
    secret = os.environ.get(secret_env) or None
    if secret:
        from discover.outreach.push import signing_key
        signing_key(secret)   # a malformed secret is an input error before anything is queued
    _settings, store = _open(db)
    with store:
        if run is not None and store.get_run(run) is None:
            raise InputError(f"no run {run} in this database", hint="check --run and --db")
        report = do_push(store, webhook, run_id=run, batch=batch, token=token, secret=secret,
                         visibility=visibility(include_spam=include_spam, show_contacted=show_contacted,
                                               include_rejected=include_rejected, only_approved=only_approved,
                                               include_hidden=include_hidden))
    data = {"queued": report.queued, "sent": report.sent, "batches": report.batches,
            "failed_batches": report.failed_batches, "pending": report.pending, "withheld": report.withheld,
            "errors": report.errors}
    if as_json:
        print_json(data)
    else:
        console().print(f"sent {report.sent} prospect(s) in {report.batches - report.failed_batches} batch(es); "
                        f"{report.pending} pending in the outbox"
                        + (f"; {report.withheld} withheld (now hidden: do-not-contact, suppressed, ...)"
                           if report.withheld else ""))
    if report.failed_batches:
        raise ExportError(f"push failed: {report.errors[-1]}; {report.pending} prospect(s) kept in the outbox",
                          hint="run `discover push` again later: only what was not acknowledged is sent")


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write.")] = Path("report.html"),
    run: RunOpt = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Prospects listed in the shortlist section.")] = 100,
    include_spam: IncludeSpamOpt = False,
    show_contacted: ShowContactedOpt = False,
    include_rejected: IncludeRejectedOpt = False,
    only_approved: OnlyApprovedOpt = False,
    include_hidden: IncludeHiddenOpt = False,
    db: DbOpt = None,
) -> None:
    """A self-contained HTML report of a run: funnel, engines, types, scores and the shortlist.

    The shortlist section lists what `shortlist` would, with the same flags."""
    from discover.outreach.report import write_report

    _settings, store = _open(db)
    report_info: dict = {}
    with store:
        write_report(store, out, run, top=top, info=report_info,
                     visibility=visibility(include_spam=include_spam, show_contacted=show_contacted,
                                           include_rejected=include_rejected, only_approved=only_approved,
                                           include_hidden=include_hidden))
    console(stderr=True).print(f"report: {_selection(report_info)}: {report_info.get('shown', 0)} prospect(s) "
                               f"listed; wrote {out}")


StatusArg = Annotated[str, typer.Option("--status", help="contacted, followed_up, replied, won, lost, "
                                                         "do_not_contact, or a review's approved / rejected.")]


@outreach_app.command("mark")
def outreach_mark(
    domain: Annotated[str, typer.Argument(help="The site (domain, URL or an email address there).")],
    status: StatusArg,
    note: Annotated[str, typer.Option("--note", help="A note for yourself.")] = "",
    db: DbOpt = None,
) -> None:
    """Record what happened with a site; refuses a second follow-up or a do-not-contact site."""
    from discover.outreach.ledger import mark

    settings, store = _open(db)
    with store:
        d = mark(store, domain, status, settings, note=note)
    console().print(f"{d}: {status}")


@outreach_app.command("import-suppression")
def outreach_import_suppression(
    file: Annotated[Path, typer.Argument(help="Text or CSV file of domains and/or email addresses.")],
    db: DbOpt = None,
) -> None:
    """Never contact these: a domain suppresses the site, an email suppresses that address and flags its site."""
    from discover.outreach.ledger import import_suppression

    _settings, store = _open(db)
    with store:
        read, new = import_suppression(store, file)
    console().print(f"read {read} entr(ies), {new} new")


@outreach_app.command("list")
def outreach_list(db: DbOpt = None, as_json: JsonOpt = False) -> None:
    """Every site in the ledger with its latest status."""
    from discover.outreach.ledger import entries

    _settings, store = _open(db)
    with store:
        rows = sorted(entries(store).values(), key=lambda e: -e.last_event)
        supp = store.suppressions()
    if as_json:
        print_json({"ledger": [vars(e) for e in rows], "suppression": supp})
        return
    print_table("outreach ledger", ["domain", "status", "touches", "follow-ups", "last touch", "note"],
                [(e.domain, e.status, e.touches, e.follow_ups, _when(e.last_touch), e.note) for e in rows])
    if supp:
        console().print(f"{len(supp)} suppressed domain(s)/address(es)")


@outreach_app.command("due")
def outreach_due(
    show_all: Annotated[bool, typer.Option("--all", help="Also list who is NOT due, and why.")] = False,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Who is due the ONE polite follow-up (contacted, no reply, within the touch limits)."""
    from discover.outreach.ledger import follow_ups

    settings, store = _open(db)
    with store:
        everyone = follow_ups(store, settings)
    items = everyone if show_all else [i for i in everyone if i.due]
    if as_json:
        print_json([vars(i) for i in items])
        return
    if not items:
        # An empty list alone reads like a failure: say why nothing is due, and when something will be.
        waiting = sorted((i for i in everyone if i.due_at), key=lambda i: i.due_at or 0)
        c = console()
        if not everyone:
            c.print("nothing due: the outreach ledger is empty "
                    "(record contacts with `discover outreach mark DOMAIN --status contacted`)")
        elif waiting:
            nxt = waiting[0]
            c.print(f"nothing due now; next follow-up: {nxt.domain} on {_when(nxt.due_at)} "
                    f"({len(waiting)} waiting; --all lists everyone)")
        else:
            c.print(f"nothing due: none of the {len(everyone)} site(s) in the ledger is waiting for a "
                    "follow-up (--all shows why)")
        return
    print_table("follow-ups" + (" (all)" if show_all else " due"), ["domain", "due", "status", "last touch", "why"],
                [(i.domain, "yes" if i.due else "no", i.status, _when(i.last_touch), i.reason) for i in items])
