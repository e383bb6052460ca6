"""Search commands: `discover plan`, `discover search`, `discover serp parse`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from discover.cli.app import app
from discover.cli.common import (
    AllowPrivateOpt, BrowserOpt, DbOpt, EndpointOpt, EngineOpt, GeoOpt, HeadedOpt, JsonOpt, TypesOpt, WebOpt, console,
    make_settings, print_json, print_table, run_async,
)
from discover.errors import InputError, SearchBlocked, SearchError
from discover.records import SearchOutcome

serp_app = typer.Typer(no_args_is_help=True, help="Work with saved search-engine result pages.")
app.add_typer(serp_app, name="serp")


def load_footprint_stats(settings: Any) -> dict | None:
    """Hook: footprint yield statistics from the store when a database already exists (None
    otherwise). Planning never creates a database just to read statistics."""
    url = settings.db_url()
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
        return None
    try:
        from discover.store import Store

        with Store.open(url, migrate_schema=False) as store:
            return store.footprint_stats()
    except Exception:  # statistics are a nicety: a missing or older store must not stop planning
        return None


def _split(value: str | None) -> list[str] | None:
    if not value:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


@app.command()
def plan(
    keyword: Annotated[str, typer.Argument(help="The niche keyword, e.g. \"vegan baking\".")],
    geo: GeoOpt = None,
    types: TypesOpt = None,
    engine: EngineOpt = None,
    max_per_type: Annotated[int | None, typer.Option("--max-per-type", min=1, max=50,
                                                     help="Queries per prospect type.")] = None,
    web: WebOpt = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the footprint queries a run would search, per engine, with translation notes."""
    from discover.plan import plan_queries, yield_score

    settings = make_settings(engine=engine, db=db, web=web, max_queries_per_type=max_per_type)
    if settings.web:
        from discover.webworld.world import World

        World(settings.web)   # a --web that is not a web directory is an error here too, as in `run`
    engines = settings.engines()   # what `discover run` would use: local in a web world, else duckduckgo
    stats = load_footprint_stats(settings)
    if geo:   # as `run` does: the place as resolved ("S7K 1H1" → "Saskatoon, SK, CA"), unknown ones refused
        from discover.rank.geo import parse_place

        geo = parse_place(geo).label
    result = plan_queries(keyword, geo=geo, types=_split(types), engines=engines,
                          max_per_type=settings.max_queries_per_type, stats=stats)
    if as_json:
        data = result.to_json()
        if stats:
            for q in data["queries"]:
                q["yield"] = {e: stats.get((q["footprint"], e)) for e in engines if (q["footprint"], e) in stats}
        print_json(data)
        return
    rows = []
    for i, q in enumerate(result.queries):
        for e in engines:
            text, notes = result.translations[e][i]
            score = ""
            if stats is not None:
                score = f"{yield_score(stats.get((q.footprint, e))):.2f}"
            rows.append((i + 1, q.prospect_type, q.footprint, e, text, "; ".join(notes), score))
    title = f"plan for {result.keyword!r}" + (f" near {result.geo}" if result.geo else "")
    cols = ["#", "type", "footprint", "engine", "query", "notes"] + (["yield"] if stats is not None else [])
    print_table(title, cols, [r if stats is not None else r[:-1] for r in rows])
    for n in result.notes:
        console().print(f"note: {n}", markup=False)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help='The query as typed, operators included: \'"write for us" baking\'.')],
    engine: EngineOpt = None,
    pages: Annotated[int | None, typer.Option("--pages", min=1, max=10, help="Result pages to read.")] = None,
    web: WebOpt = None,
    headed: HeadedOpt = None,
    browser: BrowserOpt = None,
    browser_endpoint: EndpointOpt = None,
    allow_private: AllowPrivateOpt = None,
    captcha: Annotated[bool, typer.Option("--captcha", hidden=True,
                                          help="Offline only: the local engine answers with a captcha.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Run one query through the browser and print the results (exit 4 when the engine blocks)."""
    from discover.records import Query, as_dict
    from discover.runtime import Runtime
    from discover.search.runner import search_all

    if not query.strip():
        raise InputError("the query is empty")
    settings = make_settings(engine=engine, pages=pages, web=web, headed=headed, browser=browser,
                             browser_endpoint=browser_endpoint, allow_private=allow_private)
    engines = settings.engines()

    async def go() -> list:
        async with Runtime(settings, captcha=captcha) as rt:
            await rt.browser()   # no browser is an environment error (exit 3), not a failed search
            return await search_all(rt, [Query(text=query, prospect_type="seed")], engines,
                                    pages=settings.pages, max_retries=0 if captcha else 2)

    outcomes = run_async(go())
    if as_json:
        print_json([{**as_dict(o), "results": [as_dict(r) for r in o.results]} for o in outcomes])
    else:
        rows = [(r.rank, r.engine, r.url, r.title, r.snippet) for o in outcomes for r in o.results]
        print_table(f"results for {query!r}", ["rank", "engine", "url", "title", "snippet"], rows)
        for o in outcomes:
            line = f"{o.engine}: {o.outcome}" + (f" — {o.reason}" if o.reason else "") + \
                (f" ({len(o.results)} results, {o.pages_read} page(s))" if o.results else "")
            console().print(line, markup=False)
            for n in o.query.notes:
                console().print(f"  note: {n}", markup=False)
    blocked = [o for o in outcomes if o.outcome == SearchOutcome.BLOCKED]
    if blocked and len(blocked) == len(outcomes):
        raise SearchBlocked(f"{', '.join(o.engine for o in blocked)} blocked the search: "
                            f"{blocked[0].reason}", engine=blocked[0].engine,
                            hint="wait and retry, try another --engine, or use --headed to solve the captcha")
    errors = [o for o in outcomes if o.outcome == SearchOutcome.ERROR]
    if errors and len(errors) == len(outcomes):
        raise SearchError(f"the search failed: {errors[0].reason}")


@serp_app.command("parse")
def serp_parse(
    file: Annotated[Path, typer.Argument(help="A saved result page (.html).", exists=True, dir_okay=False)],
    engine: Annotated[str | None, typer.Option(
        "--engine", "-e", help="The engine that produced the page (default: told by its markup).",
        show_default=False)] = None,
    query: Annotated[str, typer.Option(help="The query the page answers (recorded on each result).")] = "",
    base_url: Annotated[str, typer.Option("--base-url", help="The page's URL, to resolve relative links.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Parse a saved result page: its kind (results / no_results / blocked) and its results.

    A challenge, captcha or refusal page is reported as blocked whatever the engine, even one
    with no parser here."""
    from discover.records import as_dict
    from discover.search.blocked import detect_block
    from discover.search.engines import ENGINES, get_engine
    from discover.search.serp import guess_engine
    from discover.search.serp import ParsedSerp, load_html

    mod = get_engine(engine) if engine else None
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {file}: {exc.strerror or exc}") from None
    name = mod.NAME if mod is not None else "unknown"
    block = detect_block(data, base_url, None, mod.SPEC.block if mod is not None else None, query)
    if block:
        parsed = ParsedSerp(kind="blocked", reason=block)
    else:
        if mod is None:
            guessed = guess_engine(load_html(data))
            if guessed is None:
                raise InputError(f"cannot tell which search engine produced {file.name}",
                                 hint=f"give --engine ({', '.join(sorted(ENGINES))})")
            mod, name = get_engine(guessed), guessed
        parsed = mod.parse(data, query=query, page=1, base_url=base_url)
    if as_json:
        print_json({"engine": name, "kind": parsed.kind, "reason": parsed.reason,
                    "fallback": parsed.fallback, "next_page_url": parsed.next_page_url,
                    "results": [as_dict(r) for r in parsed.results]})
        return
    print_table(f"{file.name}: {parsed.kind} ({name})", ["rank", "url", "title", "date", "snippet"],
                [(r.rank, r.url, r.title, r.date, r.snippet) for r in parsed.results])
    if parsed.reason:
        console().print(f"{parsed.kind}: {parsed.reason}", markup=False)
